"""The guest's check-in: find the booking, keep the answers, confirm, hand over the room link."""
import hashlib
import hmac
import time
import uuid
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..clock import utc_now
from ..extensions import db
from ..models import BackupCode, Booking, CheckIn, PinState
from ..pins import BACKUP_CODE_FIRST_USE, pin_jobs, start_pin_generation, take_over_if_abandoned
from .rate_limits import Attempt, Limit, Refused, take

# A room link is made for a ready PIN, or for codes that wait for the arrival day (a gateway was offline).
LINKED_STATES = (PinState.READY, PinState.AWAITING_DAY)
# How often a waiting request re-reads the row when the job runs in another worker.
ROW_POLL_SECONDS = 0.1


def begin_check_in(booking: Booking) -> CheckIn:
    """The booking's one check-in, created on first use (two browsers at once get the same row)."""
    if booking.check_in is None:
        db.session.add(CheckIn(booking_id=booking.id, public_id=uuid.uuid4().hex))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
        db.session.refresh(booking)
    return booking.check_in


def check_in_by_public_id(public_id: str | None) -> CheckIn | None:
    """The check-in a guest's session points at."""
    if not public_id:
        return None
    return db.session.scalar(select(CheckIn).where(CheckIn.public_id == public_id))


def save_guest_details(check_in: CheckIn, full_name: str, phone: str, email: str) -> None:
    """Keep the guest's details and start making their PIN (unless one is pending or ready).

    Starting here, two pages before Confirm, is the point: the slow lock calls overlap with the
    guest's typing.
    """
    check_in.full_name = full_name
    check_in.phone = phone
    check_in.email = email
    db.session.commit()
    start_pin_generation(check_in)


def save_parking(check_in: CheckIn, car_registration: str | None) -> None:
    """Keep the car registration, or None for a guest without a car."""
    check_in.has_car = car_registration is not None
    check_in.car_registration = car_registration
    db.session.commit()


def retry_failed_pin(check_in: CheckIn) -> bool:
    """The guest's "Try again" after a failure, a few times an hour (each try costs lock calls)."""
    if check_in.confirmed_at is None:
        return False
    limit = Limit("guest-pin-retry", int(current_app.config["GUEST_PIN_RETRIES_PER_HOUR"]), 3600)
    if isinstance(take([Attempt(limit, check_in.public_id)]), Refused):
        return False
    return start_pin_generation(check_in)


def confirm_check_in(check_in: CheckIn, browser_key: str) -> bool:
    """Record the guest's confirmation once, however many times Confirm is posted; True if this
    browser (its session's key) is the one that confirmed, and so may carry on to the room."""
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == check_in.id, CheckIn.confirmed_at.is_(None))
        .values(confirmed_at=utc_now(), confirmed_by=_hash_token(browser_key))
    )
    db.session.commit()
    db.session.refresh(check_in)
    return confirmed_by_browser(check_in, browser_key)


def confirmed_by_browser(check_in: CheckIn, browser_key: str | None) -> bool:
    """Is this the browser (by its session's key) that confirmed the check-in?"""
    if not browser_key or check_in.confirmed_by is None:
        return False
    return hmac.compare_digest(check_in.confirmed_by, _hash_token(browser_key))


def pin_state(check_in: CheckIn) -> PinState:
    """The PIN's state as the row has it now (the row, not this worker's future, is the truth)."""
    db.session.refresh(check_in)
    return check_in.pin_state


def wait_for_pin(check_in: CheckIn, timeout: float) -> PinState:
    """Wait up to `timeout` seconds for a pending PIN: on this worker's future, else on the row.

    First, if the job's worker died, this request takes it over: the guest who confirms should
    not wait for the runner's next monitor tick.
    """
    deadline = time.monotonic() + timeout
    if pin_state(check_in) != PinState.PENDING:
        return check_in.pin_state
    if take_over_if_abandoned(check_in):
        db.session.refresh(check_in)
    pin_jobs().wait(check_in.id, timeout)
    db.session.refresh(check_in)
    while check_in.pin_state == PinState.PENDING and time.monotonic() < deadline:
        time.sleep(ROW_POLL_SECONDS)
        db.session.commit()  # end the read so the next one sees the other worker's write
        db.session.refresh(check_in)
    return check_in.pin_state


@dataclass(frozen=True)
class DoorCode:
    door: str
    code: str
    is_backup: bool  # a longer code the lock checks by itself, given while its gateway was offline
    first_use_by: datetime | None = None  # a backup code unused by then is suspended by the lock


def door_codes(check_in: CheckIn) -> list[DoorCode]:
    """The code for each door, front door first, for the room page; the backup codes in it are
    marked as seen, so they stay the guest's for the stay.

    A door shows its backup code once seen, or while it has no PIN: never a swap under the guest.
    """
    pins = {code.lock: code.pin for code in check_in.lock_codes if code.removed_at is None}
    backups = {backup.lock: backup for backup in check_in.backup_codes}
    codes = []
    for lock in sorted(pins.keys() | backups.keys(), key=lambda lock: (not lock.is_front_door, lock.name)):
        backup = backups.get(lock)
        if backup is not None and (backup.shown_at is not None or lock not in pins):
            codes.append(DoorCode(lock.name, backup.code, True, backup.valid_from + BACKUP_CODE_FIRST_USE))
        else:
            codes.append(DoorCode(lock.name, pins[lock], False))
    shown = [backups[lock].id for lock in backups if any(c.is_backup and c.door == lock.name for c in codes)]
    if shown:
        db.session.execute(
            update(BackupCode).where(BackupCode.id.in_(shown), BackupCode.shown_at.is_(None)).values(shown_at=utc_now())
        )
        db.session.commit()
    return codes


def room_token(check_in: CheckIn) -> str:
    """The room link's secret for the guest's current PIN, made the first time it is asked for.

    A link shows one PIN: once that PIN is revoked or remade (a new job), the link is over and
    the next ready PIN gets a new one. Derivable only with SECRET_KEY, stored only as a hash.
    """
    if check_in.room_link_job_id != check_in.pin_job_id:
        salt = uuid.uuid4().hex + uuid.uuid4().hex
        # Conditional, so two requests at once hand out one link between them.
        db.session.execute(
            update(CheckIn)
            .where(
                CheckIn.id == check_in.id,
                CheckIn.pin_state.in_(LINKED_STATES),
                CheckIn.pin_job_id == check_in.pin_job_id,
                or_(CheckIn.room_link_job_id.is_(None), CheckIn.room_link_job_id != check_in.pin_job_id),
            )
            .values(room_token_salt=salt, room_token_hash=_hash_token(_derive_token(salt)),
                    room_link_job_id=check_in.pin_job_id)
        )
        db.session.commit()
        db.session.refresh(check_in)
    return _derive_token(check_in.room_token_salt)


def check_in_by_room_token(token: str) -> CheckIn | None:
    """The confirmed check-in a room link was made for (the link may be over: see room_link_is_current)."""
    return db.session.scalar(select(CheckIn).where(CheckIn.room_token_hash == _hash_token(token)))


def room_link_is_current(check_in: CheckIn) -> bool:
    """True while the link's PIN is the guest's ready PIN: not revoked, not remade. A link given
    while the codes wait for the arrival day follows the arrival-day job (pins/claims.py)."""
    return check_in.pin_state in (*LINKED_STATES, PinState.PENDING) and check_in.room_link_job_id == check_in.pin_job_id


def _derive_token(salt: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"room-link:" + salt.encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
