"""One form per guest page. Each error message says what to do next, in the guest's language."""
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField, TelField
from wtforms.validators import DataRequired, Length, ValidationError


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class FindBookingForm(FlaskForm):
    reference = StringField(
        _l("Booking reference"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your booking reference.")),
            Length(max=20, message=_l("A booking reference is at most 20 characters.")),
        ],
    )
    surname = StringField(
        _l("Surname (as on the booking)"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the surname the booking was made in.")),
            Length(max=100, message=_l("Enter at most 100 characters.")),
        ],
    )
    submit = SubmitField(_l("Find my booking"))

    def validate_reference(self, field):
        # As the platforms write them (HMZ4HZCAP8, 4012345678, HA-1A2B3C), with any spaces added.
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 \-‐‑–]*", field.data):
            raise ValidationError(_l("A booking reference has only letters, digits and hyphens, like HMZ4HZCAP8."))

    def accept_phone_digits(self):
        """Where some bookings came without a surname, the same field takes the phone's last 4 digits."""
        self.surname.label.text = _l("Surname (or the last 4 digits of your phone number)")


class DetailsForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your full name.")),
            Length(max=100, message=_l("Enter at most 100 characters.")),
        ],
    )
    phone = TelField(
        _l("Phone"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter a phone number we can reach you on.")),
            Length(max=30, message=_l("Enter at most 30 characters.")),
        ],
    )
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("Enter at most 254 characters.")),
        ],
    )
    submit = SubmitField(_l("Continue"))

    def validate_phone(self, field):
        region = current_app.config["DEFAULT_PHONE_REGION"]
        try:
            number = phonenumbers.parse(field.data, region)
        except phonenumbers.NumberParseException:
            number = None
        # Possible (a plausible length for its country), not "valid": the library's number ranges
        # lag behind real new ones, and a guest must never be stuck at the door over a phone check.
        if number is None or not phonenumbers.is_possible_number(number):
            raise ValidationError(
                _("Enter a phone number with its country code, like %(example)s.", example=_example_number(number, region))
            )
        self.phone_e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def validate_email(self, field):
        try:
            result = validate_email(field.data, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(_l("Enter an email address like name@example.com.")) from None
        self.email_normalized = result.normalized


def _example_number(typed: phonenumbers.PhoneNumber | None, default_region: str) -> str:
    """A number of the guest's country (the one they typed a code for, else the property's)."""
    region = phonenumbers.region_code_for_country_code(typed.country_code) if typed else None
    example = phonenumbers.example_number(region or default_region) or phonenumbers.example_number(default_region)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class ParkingForm(FlaskForm):
    car_registration = StringField(
        _l("Car registration"),
        filters=[_strip, lambda value: value.upper() if value else value],
        validators=[Length(max=12, message=_l("A registration is at most 12 characters."))],
    )
    submit = SubmitField(_l("Continue"))
    no_car = SubmitField(_l("I don't have a car"))

    def validate_car_registration(self, field):
        if self.no_car.data:
            return
        if not field.data:
            raise ValidationError(_l("Enter your car registration, or choose \u201cI don't have a car\u201d."))
        # Letters of any alphabet (German plates have Ü), ASCII digits, spaces and hyphens.
        if not (field.data[0] not in " -" and all(ch.isalpha() or ch in "0123456789 -" for ch in field.data)):
            raise ValidationError(_l("Use only letters, digits, spaces and hyphens, like AB12 CDE."))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm and get my door code"))


class RetryPinForm(FlaskForm):
    submit = SubmitField(_l("Try again"))
