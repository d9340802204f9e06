"""What the owner's pages show: today's stays, each booking's check-in and PIN, the parking list."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..locks.names import lock_label
from ..models import BackupCode, Booking, CheckIn, LockCode, PinState, RemovalState
from ..pins import codes_misplaced
from . import check_ins
from .bookings import normalize_reference, normalize_surname
from .owner_actions import retry_refusal

PIN_STATE_WORDS = {
    PinState.NOT_STARTED: "Not started",
    PinState.PENDING: "Being made",
    PinState.READY: "Ready",
    PinState.FAILED: "Failed",
    PinState.REVOKED: "Revoked",
    PinState.AWAITING_DAY: "Gateway offline: backup codes on arrival day",
}
REMOVAL_WORDS = {
    RemovalState.PENDING: "Coming off the locks",
    RemovalState.DONE: "Off every lock",
    RemovalState.FAILED: "Not all off the locks",
}
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class BookingStatus:
    """One booking as the owner sees it; never holds the PIN."""

    booking: Booking
    stage: str  # not started | details given | confirmed
    pin_state: str
    pin_words: str
    doors: list[str]  # locks that hold the guest's code now
    # A ready PIN whose codes are not exactly on the booking's current locks (a move pending or failed).
    doors_wrong: bool
    backup_doors: list[str]  # locks for which the guest holds a backup code (a gateway was offline)
    pin_error: str | None
    can_retry: bool
    has_car: bool | None
    car_registration: str | None
    removal_state: str | None = None  # after Revoke or Cancel: pending | done | failed
    removal_words: str | None = None
    removal_error: str | None = None

    @property
    def needs_attention(self) -> bool:
        if self.pin_state in (PinState.FAILED, PinState.AWAITING_DAY) or self.removal_state == RemovalState.FAILED:
            return True
        return self.pin_state == PinState.READY and (not (self.doors or self.backup_doors) or self.doors_wrong)


@dataclass(frozen=True)
class DayOverview:
    day: date
    arrivals: list[BookingStatus]
    in_house: list[BookingStatus]
    departures: list[BookingStatus]

    @property
    def needs_attention(self) -> list[BookingStatus]:
        return [status for status in self.arrivals + self.in_house if status.needs_attention]


def booking_status(booking: Booking) -> BookingStatus:
    """The booking's check-in stage, PIN state, doors and last error, in words."""
    check_in = booking.check_in
    if check_in is not None and check_in.pin_state == PinState.PENDING:
        check_ins.pin_state(check_in)  # takes over a job whose worker died, as a guest's page would
    state = PinState(check_in.pin_state) if check_in else PinState.NOT_STARTED
    if check_in is None or not check_in.details_given:
        stage = "not started"
    else:
        stage = "confirmed" if check_in.confirmed_at else "details given"
    live_codes = [code for code in check_in.lock_codes if code.removed_at is None] if check_in else []
    return BookingStatus(
        booking=booking,
        stage=stage,
        pin_state=state,
        pin_words=PIN_STATE_WORDS[state],
        doors=sorted(lock_label(code.lock.name, code.lock.ttlock_id) for code in live_codes),
        doors_wrong=check_in is not None and codes_misplaced(check_in),
        backup_doors=sorted(lock_label(code.lock.name, code.lock.ttlock_id) for code in check_in.backup_codes)
        if check_in else [],
        pin_error=check_in.pin_error if check_in and state != PinState.PENDING else None,
        can_retry=check_in is not None and retry_refusal(check_in) is None,
        has_car=check_in.has_car if check_in else None,
        car_registration=check_in.car_registration if check_in else None,
        removal_state=check_in.removal_state if check_in else None,
        removal_words=REMOVAL_WORDS.get(check_in.removal_state) if check_in else None,
        removal_error=check_in.removal_error if check_in else None,
    )


def day_overview(day: date) -> DayOverview:
    """Arrivals, guests staying on and departures on a day at the property (cancelled ones left out)."""
    bookings = _with_details(
        select(Booking)
        .where(Booking.cancelled_at.is_(None), Booking.check_in_date <= day, Booking.check_out_date >= day)
        .order_by(Booking.check_in_date, Booking.reference)
    )
    statuses = [booking_status(booking) for booking in bookings]
    return DayOverview(
        day=day,
        arrivals=[s for s in statuses if s.booking.check_in_date == day],
        in_house=[s for s in statuses if s.booking.check_in_date < day < s.booking.check_out_date],
        departures=[s for s in statuses if s.booking.check_out_date == day],
    )


def parking_list(day: date) -> list[BookingStatus]:
    """Guests arriving or staying on a day, arrivals first, with their car registration."""
    overview = day_overview(day)
    return overview.arrivals + overview.in_house


def find_bookings(text: str) -> list[Booking]:
    """Bookings whose reference starts with the text or whose surname contains it; latest stays first."""
    query = select(Booking).order_by(Booking.check_in_date.desc(), Booking.reference)
    reference, surname = normalize_reference(text), normalize_surname(text)
    if surname:
        # Surnames match as guests type them (any case, accents, hyphens): compare in Python.
        rows = db.session.execute(select(Booking.id, Booking.reference, Booking.surname)).all()
        ids = [
            booking_id for booking_id, booking_reference, booking_surname in rows
            if booking_reference.startswith(reference) or surname in normalize_surname(booking_surname)
        ]
        query = query.where(Booking.id.in_(ids))
    return _with_details(query.limit(SEARCH_LIMIT))


def booking_by_reference(reference: str) -> Booking | None:
    """The booking with this reference, with its room and check-in loaded."""
    found = _with_details(select(Booking).where(Booking.reference == normalize_reference(reference)))
    return found[0] if found else None


def _with_details(query) -> list[Booking]:
    options = (
        selectinload(Booking.room),
        selectinload(Booking.check_in).selectinload(CheckIn.lock_codes).selectinload(LockCode.lock),
        selectinload(Booking.check_in).selectinload(CheckIn.backup_codes).selectinload(BackupCode.lock),
    )
    return list(db.session.scalars(query.options(*options)))
