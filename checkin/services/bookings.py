"""Bookings: how a guest's reference and surname find one, cancelling one, and a live PIN moving with one."""
import hmac
import unicodedata

from sqlalchemy import select

from ..clock import utc_now
from ..extensions import db
from ..models import AuditAction, Booking, PinState
from ..pins import move_codes_in_background, revoke_pin
from .audit import record_event


def normalize_reference(text: str) -> str:
    """Booking references are compared without spaces or hyphens."""
    return "".join(ch for ch in text if ch not in " -").upper()


def normalize_surname(text: str) -> str:
    """Surnames are compared without regard to case, accents, spaces, hyphens or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = (ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in letters if ch not in " -'’").casefold()


def find_booking(reference: str, surname: str) -> Booking | None:
    """The booking with this reference if the surname matches it; None for every kind of miss."""
    booking = db.session.scalar(select(Booking).where(Booking.reference == normalize_reference(reference)))
    expected = normalize_surname(booking.surname if booking else "-")
    matches = hmac.compare_digest(expected.encode(), normalize_surname(surname).encode())
    # An erased booking (its surname blanked) is found by no one.
    return booking if booking is not None and booking.surname and matches else None


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
