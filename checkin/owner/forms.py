"""One form per owner screen. Each error message says what to do next."""
import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from ..extensions import db
from ..models import Booking, Lock, Room
from ..services.bookings import REFERENCE_PATTERN, normalize_reference


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField("E-mail", filters=[_strip], validators=[DataRequired("Enter your e-mail address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=200)])
    submit = SubmitField("Sign in")


class BookingForm(FlaskForm):
    """Add a booking; EditBookingForm leaves out the reference."""

    reference = StringField(
        "Booking reference", filters=[_strip, lambda value: normalize_reference(value) if value else value],
        validators=[DataRequired("Enter the booking reference.")],
    )
    surname = StringField(
        "Surname", filters=[_strip],
        validators=[DataRequired("Enter the surname the booking was made in."), Length(max=100, message="Enter at most 100 characters.")],
    )
    room_id = SelectField("Room", coerce=int, validators=[InputRequired("Choose a room.")])
    check_in_date = DateField("Arrives", validators=[InputRequired("Enter the arrival date.")])
    check_out_date = DateField("Leaves", validators=[InputRequired("Enter the departure date.")])
    submit = SubmitField("Save booking")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.room_id.choices = [(room.id, room.name) for room in db.session.scalars(select(Room).order_by(Room.name))]

    def validate_reference(self, field):
        if not re.fullmatch(REFERENCE_PATTERN, field.data):
            raise ValidationError("A booking reference is 4 to 20 letters and digits, like 40321 or HMZ4HZCAP8.")
        if db.session.scalar(select(Booking.id).where(Booking.reference == field.data)) is not None:
            raise ValidationError(f"Booking {field.data} already exists: find it in the list to change it.")

    def validate_check_out_date(self, field):
        if self.check_in_date.data and field.data and field.data <= self.check_in_date.data:
            raise ValidationError("The departure date must be after the arrival date.")


class EditBookingForm(BookingForm):
    reference = None
    # A calendar gives some stays without the code the guest holds: the owner adds it here.
    platform_reference = StringField(
        "Reference the guest holds (Airbnb code, Booking.com number)",
        filters=[_strip, lambda value: normalize_reference(value) if value else None],
    )

    def validate_platform_reference(self, field):
        if field.data and not re.fullmatch(REFERENCE_PATTERN, field.data):
            raise ValidationError("A booking reference is 4 to 20 letters and digits, like 4012345678 or HMZ4HZCAP8.")


class ImportForm(FlaskForm):
    csv_file = FileField("Bookings file (CSV, .xlsx or .xls)", validators=[FileRequired("Choose a file to import.")])
    file_format = SelectField("Kind of file", default="auto")
    date_order = SelectField("Dates in the file", default="")
    submit = SubmitField("Preview the import")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_format.choices = [("auto", "Tell from the header row"), ("airbnb", "Airbnb reservations export"),
                                    ("booking.com", "Booking.com reservations export"), ("checkin", "Our own CSV")]
        self.date_order.choices = [("", "Tell from the file"), ("dmy", "Day first: 31/12/2026"),
                                   ("mdy", "Month first: 12/31/2026")]


class ApplyImportForm(FlaskForm):
    file_data = HiddenField(validators=[DataRequired()])
    file_name = HiddenField(validators=[DataRequired(), Length(max=255)])
    file_format = HiddenField(validators=[AnyOf(["auto", "airbnb", "booking.com", "checkin"])])
    date_order = HiddenField(validators=[AnyOf(["", "dmy", "mdy"])])
    fingerprint = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Apply these changes")


class LockForm(FlaskForm):
    name = StringField(
        "Name", filters=[_strip],
        validators=[DataRequired("Enter a name, like Front door."), Length(max=80, message="Enter at most 80 characters.")],
    )
    ttlock_id = IntegerField(
        "TTLock id", validators=[InputRequired("Enter the lock's TTLock id (see flask locks list)."),
                                 NumberRange(min=1, message="A TTLock id is a positive number.")],
    )
    front_door = BooleanField("Front door (every guest's PIN opens it)")
    submit = SubmitField("Save lock")


class RoomForm(FlaskForm):
    name = StringField(
        "Name", filters=[_strip],
        validators=[DataRequired("Enter a name, like Room 1."), Length(max=80, message="Enter at most 80 characters.")],
    )
    lock_ttlock_id = SelectField("Lock on the door", coerce=int)
    floor = StringField("Floor", filters=[_strip], validators=[Length(max=40, message="Enter at most 40 characters.")])
    directions = TextAreaField("Directions from the front door", filters=[_strip])
    wifi_name = StringField("Wi-Fi network", filters=[_strip], validators=[Length(max=80, message="Enter at most 80 characters.")])
    wifi_password = StringField("Wi-Fi password", filters=[_strip], validators=[Length(max=80, message="Enter at most 80 characters.")])
    submit = SubmitField("Save room")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locks = db.session.scalars(select(Lock).order_by(Lock.name))
        self.lock_ttlock_id.choices = [(0, "No lock yet")] + [(lock.ttlock_id, lock.name) for lock in locks]


class RoomNameForm(FlaskForm):
    """A platform's name for rooms (an Airbnb listing title, a Booking.com unit type) and its rooms."""

    source_name = StringField(
        "Name on the platform", filters=[_strip],
        validators=[DataRequired("Enter the listing title or unit type, as the platform writes it."),
                    Length(max=200, message="Enter at most 200 characters.")],
    )
    room_ids = SelectMultipleField("Rooms it stands for", coerce=int,
                                   validators=[DataRequired("Choose at least one room.")])
    submit = SubmitField("Save")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rooms = {room.id: room for room in db.session.scalars(select(Room).order_by(Room.name))}
        self.room_ids.choices = [(room.id, room.name) for room in self._rooms.values()]

    def chosen_rooms(self) -> list[Room]:
        return [self._rooms[room_id] for room_id in self.room_ids.data]
