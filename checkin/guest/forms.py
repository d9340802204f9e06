"""One form per guest page. Each error message says what to do next."""
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField, TelField
from wtforms.validators import DataRequired, Length, ValidationError


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class FindBookingForm(FlaskForm):
    reference = StringField(
        "Booking reference",
        filters=[_strip],
        validators=[
            DataRequired("Enter your booking reference."),
            Length(max=20, message="A booking reference is at most 20 characters."),
        ],
    )
    surname = StringField(
        "Surname (as on the booking)",
        filters=[_strip],
        validators=[
            DataRequired("Enter the surname the booking was made in."),
            Length(max=100, message="Enter at most 100 characters."),
        ],
    )
    submit = SubmitField("Find my booking")

    def validate_reference(self, field):
        if not re.fullmatch("[0-9 -]+", field.data):
            raise ValidationError("A booking reference has only digits, like 40321.")


class DetailsForm(FlaskForm):
    full_name = StringField(
        "Full name",
        filters=[_strip],
        validators=[
            DataRequired("Enter your full name."),
            Length(max=100, message="Enter at most 100 characters."),
        ],
    )
    phone = TelField(
        "Phone",
        filters=[_strip],
        validators=[
            DataRequired("Enter a phone number we can reach you on."),
            Length(max=30, message="Enter at most 30 characters."),
        ],
    )
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254, message="Enter at most 254 characters."),
        ],
    )
    submit = SubmitField("Continue")

    def validate_phone(self, field):
        region = current_app.config["DEFAULT_PHONE_REGION"]
        try:
            number = phonenumbers.parse(field.data, region)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError("Enter a phone number with its country code, like +44 20 7946 0123.")
        self.phone_e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def validate_email(self, field):
        try:
            result = validate_email(field.data, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError("Enter an email address like name@example.com.") from None
        self.email_normalized = result.normalized


class ParkingForm(FlaskForm):
    car_registration = StringField(
        "Car registration",
        filters=[_strip, lambda value: value.upper() if value else value],
        validators=[Length(max=12, message="A registration is at most 12 characters.")],
    )
    submit = SubmitField("Continue")
    no_car = SubmitField("I don't have a car")

    def validate_car_registration(self, field):
        if self.no_car.data:
            return
        if not field.data:
            raise ValidationError("Enter your car registration, or choose \u201cI don't have a car\u201d.")
        if not re.fullmatch("[A-Z0-9][A-Z0-9 -]*", field.data):
            raise ValidationError("Use only letters, digits, spaces and hyphens, like AB12 CDE.")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm and get my door code")


class RetryPinForm(FlaskForm):
    submit = SubmitField("Try again")
