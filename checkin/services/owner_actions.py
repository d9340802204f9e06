"""What the owner does to a booking: retry or revoke its PIN, cancel it, read the PIN, add or edit it.

Every action is audited under the acting owner (see audit.acting_as).
"""
from datetime import date

from sqlalchemy import update

from ..clock import utc_now
from ..extensions import db
from ..locks.names import lock_label
from ..models import AuditAction, Booking, CheckIn, PinState, RemovalState
from ..pins import queue_code_removal, revoke_pin, start_pin_generation
from ..stays import stay_window
from . import check_ins
from .audit import record_event
from .bookings import cancel_booking, move_live_pin

RETRYABLE = (PinState.NOT_STARTED, PinState.FAILED, PinState.REVOKED, PinState.AWAITING_DAY)


class ActionRefused(Exception):
    """The action does not apply to this booking now; the message says why, for the owner."""


def retry_refusal(check_in: CheckIn) -> str | None:
    """Why a new PIN cannot be made for this check-in now; None if it can."""
    booking = check_in.booking
    if booking.cancelled_at is not None:
        return "The booking is cancelled."
    if utc_now() >= stay_window(booking)[1]:
        return "The stay has ended."
    if not check_in.details_given:
        return "The guest has not given their details yet."
    if check_in.pin_state not in RETRYABLE:
        return "The PIN is already ready or being made."
    return None


def retry_pin(check_in: CheckIn) -> None:
    """Start a new PIN job for a failed, revoked or never-started PIN."""
    refusal = retry_refusal(check_in)
    if refusal:
        raise ActionRefused(refusal)
    # start_pin_generation claims only not-started or failed rows: a revoked PIN starts over.
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == check_in.id, CheckIn.pin_state == PinState.REVOKED)
        .values(pin_state=PinState.NOT_STARTED)
    )
    db.session.commit()
    if not start_pin_generation(check_in):
        raise ActionRefused("A PIN is already being made for this booking.")
    record_event(AuditAction.PIN_RETRIED, check_in.booking.reference)


def revoke(check_in: CheckIn) -> None:
    """Stop the guest's PIN now; its codes come off the locks in the background."""
    if check_in.pin_state not in (PinState.PENDING, PinState.READY, PinState.FAILED, PinState.AWAITING_DAY):
        raise ActionRefused("There is no PIN to revoke.")
    revoke_pin(check_in)


def cancel(booking: Booking) -> None:
    """Cancel the booking and revoke its PIN; its codes come off the locks in the background."""
    if booking.cancelled_at is not None:
        raise ActionRefused("The booking is already cancelled.")
    cancel_booking(booking)


def retry_removal(check_in: CheckIn) -> None:
    """Try again to take a revoked or cancelled guest's codes off the locks."""
    if check_in.removal_state != RemovalState.FAILED:
        raise ActionRefused("No code removal has failed for this booking.")
    queue_code_removal(check_in.id)


def reveal_pin(check_in: CheckIn) -> tuple[str | None, list[tuple[str, str]]]:
    """The guest's ready PIN and backup codes (door, code), for the owner to read to them; every
    reveal is audited."""
    backups = [(lock_label(backup.lock.name, backup.lock.ttlock_id), backup.code) for backup in check_in.backup_codes]
    if check_in.pin_state != PinState.READY or not (check_in.pin or backups):
        raise ActionRefused("There is no working PIN to show.")
    record_event(AuditAction.PIN_SHOWN, check_in.booking.reference)
    return check_in.pin, backups


def room_link_token(check_in: CheckIn) -> str | None:
    """The token of the guest's room link, to send them again (a remade PIN has a new link);
    None until the guest has confirmed and the PIN is ready."""
    if check_in.confirmed_at is None or check_in.pin_state != PinState.READY:
        return None
    return check_ins.room_token(check_in)


def add_booking(reference: str, surname: str, room_id: int, check_in_date: date, check_out_date: date) -> Booking:
    """Add a booking (the form has checked the reference is new and the dates in order)."""
    booking = Booking(reference=reference, surname=surname, room_id=room_id,
                      check_in_date=check_in_date, check_out_date=check_out_date)
    db.session.add(booking)
    db.session.commit()
    record_event(AuditAction.BOOKING_ADDED, reference, f"{surname}, {check_in_date} to {check_out_date}")
    return booking


def edit_booking(booking: Booking, surname: str, room_id: int, check_in_date: date, check_out_date: date,
                 platform_reference: str | None) -> bool:
    """Change a booking; True if it has a live PIN that now moves with it (same PIN, the new
    room's lock, the new dates; an early check-out ends it). The lock work runs in the background."""
    wanted = {"surname": surname, "room_id": room_id, "check_in_date": check_in_date, "check_out_date": check_out_date,
              "platform_reference": platform_reference}
    changed = sorted(key for key, value in wanted.items() if getattr(booking, key) != value)
    for key in changed:
        setattr(booking, key, wanted[key])
    db.session.commit()
    if changed:
        record_event(AuditAction.BOOKING_EDITED, booking.reference, "Changed " + ", ".join(changed).replace("_", " "))
    return bool(set(changed) - {"surname", "platform_reference"}) and move_live_pin(booking)
