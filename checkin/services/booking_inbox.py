"""What the owner must sort out about bookings from the platforms: a booking with no room, one
no guest can find yet (no surname, no phone digits), a stay gone from its calendar, the dates a
calendar shows as closed, and calendars that stopped answering."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..clock import property_today
from ..extensions import db
from ..models import AuditAction, Booking, Calendar, CalendarBlock, Room
from .audit import record_event
from .owner_actions import cancel


@dataclass(frozen=True)
class Inbox:
    needs_room: list[Booking]
    needs_surname: list[Booking]
    missing_from_calendar: list[Booking]
    blocks: list[CalendarBlock]
    failing_calendars: list[Calendar]
    rooms: list[Room]

    @property
    def count(self) -> int:
        return (len(self.needs_room) + len(self.needs_surname) + len(self.missing_from_calendar)
                + len(self.failing_calendars))


def inbox() -> Inbox:
    """Stays not yet ended and not cancelled that need the owner, and the calendars' state."""
    today = property_today()
    live = select(Booking).where(Booking.cancelled_at.is_(None), Booking.check_out_date >= today)
    live = live.options(selectinload(Booking.room)).order_by(Booking.check_in_date, Booking.reference)
    return Inbox(
        needs_room=list(db.session.scalars(live.where(Booking.room_id.is_(None)))),
        needs_surname=list(db.session.scalars(live.where(Booking.surname == "", Booking.phone_last4.is_(None)))),
        missing_from_calendar=list(db.session.scalars(live.where(Booking.missing_from_calendar_at.is_not(None)))),
        blocks=list(db.session.scalars(
            select(CalendarBlock).where(CalendarBlock.end_date >= today)
            .options(selectinload(CalendarBlock.calendar).selectinload(Calendar.room))
            .order_by(CalendarBlock.start_date)
        )),
        failing_calendars=list(db.session.scalars(
            select(Calendar).where(Calendar.failures_in_row > 0).options(selectinload(Calendar.room))
        )),
        rooms=list(db.session.scalars(select(Room).order_by(Room.name))),
    )


def confirm_missing_stay_cancelled(booking: Booking) -> None:
    """The owner confirms a stay gone from its calendar was cancelled: cancel it (and its code)."""
    booking.missing_from_calendar_at = None
    cancel(booking)


def keep_missing_stay(booking: Booking) -> None:
    """The owner says the stay gone from its calendar still stands: its code may be made again,
    and the calendar no longer governs it (it would go missing again at the next read)."""
    booking.missing_from_calendar_at = None
    booking.calendar_id = None
    booking.calendar_uid = None
    db.session.commit()
    record_event(AuditAction.BOOKING_EDITED, booking.reference, "Kept although gone from its calendar")
