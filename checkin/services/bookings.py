"""Bookings: how a guest's reference and surname (or phone digits) find one, cancelling one, and a
live PIN moving with one."""
import hmac
import unicodedata

from sqlalchemy import exists, or_, select

from ..clock import property_today, utc_now
from ..extensions import db
from ..models import AuditAction, Booking, PinState
from ..pins import move_codes_in_background, revoke_pin
from .audit import record_event

# Hyphens of every kind and any white space a guest or a platform puts in a reference.
REFERENCE_SEPARATORS = "-\u2010\u2011\u2012\u2013\u2014\u2212"
# A reference once normalised: what a booking stores, from any platform.
REFERENCE_PATTERN = "[A-Z0-9]{4,20}"


def normalize_reference(text: str) -> str:
    """Booking references (Airbnb HMZ4HZCAP8, Booking.com 4012345678, VRBO HA-1A2B3C) are compared
    without regard to case, spaces or hyphens."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in REFERENCE_SEPARATORS).upper()


def normalize_surname(text: str) -> str:
    """Surnames are compared without regard to case, accents, spaces, hyphens or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = (ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in letters if ch not in " -'’").casefold()


def accepted_surnames(surname: str) -> list[str]:
    """Every trailing part of the surname as normalize_surname gives it: "García Márquez" is
    matched by "García Márquez" and by "Márquez" (platforms give one name field, and guests
    with two surnames often use the last)."""
    words = surname.split()
    return [normalize_surname(" ".join(words[start:])) for start in range(len(words))]


def phone_digits_accepted() -> bool:
    """Whether a stay not yet over can be found only with the last 4 digits of a phone (a calendar
    gave no surname): then page 1 says the second field takes them."""
    return bool(db.session.scalar(select(exists().where(
        Booking.phone_last4.is_not(None), Booking.surname == "", Booking.cancelled_at.is_(None),
        Booking.check_out_date >= property_today()))))


def find_booking(reference: str, answer: str) -> Booking | None:
    """The booking with this reference if the answer is its surname (or a trailing part of it) or
    the last 4 digits of the guest's phone; None for every kind of miss.

    A multi-room booking's rooms share the reference: each lookup gives the first room whose
    check-in is not confirmed yet, so the booker checks in one room after the other.
    """
    code = normalize_reference(reference)
    candidates = list(db.session.scalars(
        select(Booking).where(or_(Booking.reference == code, Booking.platform_reference == code)).order_by(Booking.id)
    ))
    given = normalize_surname(answer).encode()
    matching = [booking for booking in candidates if _answer_matches(booking, answer, given)]
    if not candidates:
        hmac.compare_digest(b"-", given)  # a miss costs about what a wrong surname costs
    for booking in matching:
        if booking.check_in is None or booking.check_in.confirmed_at is None:
            return booking
    return matching[0] if matching else None


def _answer_matches(booking: Booking, answer: str, given: bytes) -> bool:
    # An erased booking (surname and phone digits blanked by the purge) is found by no one.
    matched = False
    for expected in accepted_surnames(booking.surname):
        matched |= bool(expected) and hmac.compare_digest(expected.encode(), given)
    if booking.phone_last4:
        digits = "".join(ch for ch in answer if not ch.isspace())
        matched |= hmac.compare_digest(booking.phone_last4.encode(), digits.encode())
    return matched


def cancel_booking(booking: Booking) -> None:
    """Cancel a booking and revoke its PIN; the guest can no longer check in."""
    booking.cancelled_at = booking.cancelled_at or utc_now()
    db.session.commit()
    record_event(AuditAction.BOOKING_CANCELLED, booking.reference)
    if booking.check_in is not None:
        revoke_pin(booking.check_in)


def move_live_pin(booking: Booking) -> bool:
    """After a booking moved room or dates: queue the move of its live PIN; False if it has none."""
    check_in = booking.check_in
    if check_in is None or check_in.pin_state not in (PinState.PENDING, PinState.READY):
        return False
    move_codes_in_background(check_in.id)
    return True
