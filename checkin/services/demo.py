"""Made-up rooms, locks and guests arriving today, so a new user can try the flow at once."""
from datetime import timedelta

from sqlalchemy import delete, select

from ..clock import property_today, utc_now
from ..extensions import db
from ..models import (
    AlertOutbox,
    AuditEvent,
    BackupCode,
    Booking,
    CheckIn,
    LockCode,
    RateLimitCounter,
    Room,
    SimulatedPasscode,
)
from .property_setup import save_lock, save_room

DEMO_LOCKS = [("Front door", 1001, True), ("Room 1 door", 2001, False), ("Room 2 door", 2002, False)]
DEMO_ROOMS = [
    ("Room 1", 2001, "First floor", "Up the stairs, first door on the left.", "Example-Guest", "example-wifi-1"),
    ("Room 2", 2002, "Ground floor", "Through the hall, the blue door at the end.", "Example-Guest", "example-wifi-1"),
]
# (reference, surname, room, days from today to arrival, nights, cancelled)
DEMO_BOOKINGS = [
    ("40321", "Testington", "Room 1", 0, 2, False),
    ("40322", "Sampleton", "Room 2", 0, 1, False),
    ("40323", "Exampleford", "Room 1", 5, 3, False),
    ("40324", "Placeholder", "Room 2", 0, 2, True),
]


def load_demo_data() -> list[Booking]:
    """Create or reset the demo property; the demo's earlier check-ins and history are wiped."""
    for name, ttlock_id, front_door in DEMO_LOCKS:
        save_lock(name, ttlock_id, front_door)
    for name, ttlock_id, floor, directions, wifi_name, wifi_password in DEMO_ROOMS:
        save_room(
            name, ttlock_id, floor=floor, directions=directions, wifi_name=wifi_name, wifi_password=wifi_password
        )
    rooms = {room.name: room for room in db.session.scalars(select(Room))}
    today = property_today()
    bookings = []
    for reference, surname, room_name, arrives_in, nights, cancelled in DEMO_BOOKINGS:
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        if booking is None:
            booking = Booking(reference=reference)
            db.session.add(booking)
        booking.surname = surname
        booking.room = rooms[room_name]
        booking.check_in_date = today + timedelta(days=arrives_in)
        booking.check_out_date = booking.check_in_date + timedelta(days=nights)
        booking.cancelled_at = utc_now() if cancelled else None
        bookings.append(booking)
    db.session.flush()
    references = [b.reference for b in bookings]
    _forget_demo_check_ins([booking.id for booking in bookings], references)
    _forget_demo_history(references)
    db.session.commit()
    return bookings


def _forget_demo_check_ins(booking_ids: list[int], references: list[str]) -> None:
    check_in_ids = select(CheckIn.id).where(CheckIn.booking_id.in_(booking_ids))
    db.session.execute(delete(LockCode).where(LockCode.check_in_id.in_(check_in_ids)))
    db.session.execute(delete(BackupCode).where(BackupCode.check_in_id.in_(check_in_ids)))
    db.session.execute(delete(CheckIn).where(CheckIn.booking_id.in_(booking_ids)))
    names = [f"Guest {reference}" for reference in references]
    db.session.execute(delete(SimulatedPasscode).where(SimulatedPasscode.name.in_(names)))


def _forget_demo_history(references: list[str]) -> None:
    """The demo bookings' audit events and alerts, so the dashboard starts as new too, and every
    try counted (the demo runs on simulated locks only: nobody else's counters are here)."""
    db.session.execute(delete(AuditEvent).where(AuditEvent.booking_reference.in_(references)))
    db.session.execute(delete(AlertOutbox).where(AlertOutbox.booking_reference.in_(references)))
    db.session.execute(delete(RateLimitCounter))
