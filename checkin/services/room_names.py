"""Rooms by the platforms' names: an Airbnb listing title or a Booking.com unit type stands for
one room or several ("any of our doubles"); a booking gets a free one of them."""
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import AuditAction, Booking, Room, RoomName
from .audit import record_event


class MappingRefused(ValueError):
    """The mapping cannot be saved; the message says why, for the owner."""


def normalize_room_name(name: str) -> str:
    """Platform names are matched without regard to case or runs of spaces."""
    return " ".join(name.split()).casefold()


def rooms_for_name(name: str) -> list[Room]:
    """The rooms a platform's name stands for: its mapping, else the room of that very name."""
    key = normalize_room_name(name)
    mapped = list(db.session.scalars(
        select(Room).join(RoomName, RoomName.room_id == Room.id).where(RoomName.source_name == key).order_by(Room.name)
    ))
    if mapped:
        return mapped
    return [room for room in db.session.scalars(select(Room).order_by(Room.name)) if normalize_room_name(room.name) == key]


def room_is_free(room_id: int, check_in_date: date, check_out_date: date, booking_id: int | None = None) -> bool:
    """No other live booking in the room overlaps these nights (a departure day may be an arrival day)."""
    overlapping = select(Booking.id).where(
        Booking.room_id == room_id,
        Booking.cancelled_at.is_(None),
        Booking.check_in_date < check_out_date,
        Booking.check_out_date > check_in_date,
    )
    if booking_id is not None:
        overlapping = overlapping.where(Booking.id != booking_id)
    return db.session.scalar(overlapping.limit(1)) is None


def choose_room(source_name: str, check_in_date: date, check_out_date: date, current: Booking | None = None) -> Room | None:
    """A free room the name stands for, keeping the booking's own room while it still fits; None
    when the name maps to no room or every room it stands for is taken (the owner decides)."""
    candidates = rooms_for_name(source_name)
    booking_id = current.id if current is not None else None
    if current is not None and current.room in candidates:
        candidates.remove(current.room)
        candidates.insert(0, current.room)
    for room in candidates:
        if room_is_free(room.id, check_in_date, check_out_date, booking_id):
            return room
    return None


def map_room_name(source_name: str, room_names: list[str]) -> tuple[list[Room], list[Booking]]:
    """Make the platform's name stand for these rooms (replacing its earlier mapping), then give
    the bookings waiting under that name a free room. Returns the rooms and the bookings placed."""
    key = normalize_room_name(source_name)
    if not key or len(key) > 200:
        raise MappingRefused("Give the platform's name for the room (1 to 200 characters).")
    rooms = []
    for name in room_names:
        room = db.session.scalar(select(Room).where(Room.name == name.strip()))
        if room is None:
            known = ", ".join(db.session.scalars(select(Room.name).order_by(Room.name))) or "none"
            raise MappingRefused(f"No room called {name!r} (known: {known}).")
        rooms.append(room)
    if not rooms:
        raise MappingRefused("Name at least one room.")
    for mapping in db.session.scalars(select(RoomName).where(RoomName.source_name == key)):
        db.session.delete(mapping)
    db.session.flush()
    for room in dict.fromkeys(rooms):
        db.session.add(RoomName(source_name=key, room_id=room.id))
    db.session.flush()
    placed = place_waiting_bookings()
    db.session.commit()
    record_event(AuditAction.ROOM_NAME_MAPPED, None, f"{source_name!r} -> {', '.join(room.name for room in rooms)}")
    return rooms, placed


def place_waiting_bookings() -> list[Booking]:
    """Give each live booking that needs a room a free one its platform name stands for (no commit)."""
    waiting = db.session.scalars(
        select(Booking).where(Booking.room_id.is_(None), Booking.cancelled_at.is_(None),
                              Booking.source_room_name.is_not(None)).order_by(Booking.check_in_date, Booking.id)
    )
    placed = []
    for booking in list(waiting):
        room = choose_room(booking.source_room_name, booking.check_in_date, booking.check_out_date, booking)
        if room is not None:
            booking.room = room
            db.session.flush()
            placed.append(booking)
    return placed


def room_mappings() -> dict[str, list[str]]:
    """Every mapped platform name and its rooms' names, for the owner's page."""
    mappings: dict[str, list[str]] = {}
    for mapping in db.session.scalars(select(RoomName).join(Room).order_by(RoomName.source_name, Room.name)):
        mappings.setdefault(mapping.source_name, []).append(mapping.room.name)
    return mappings


def move_booking(booking: Booking, room_id: int) -> None:
    """The owner puts a booking in another room; refused when that room is taken those nights."""
    room = db.session.get(Room, room_id)
    if room is None:
        raise MappingRefused("Choose a room.")
    if not room_is_free(room.id, booking.check_in_date, booking.check_out_date, booking.id):
        raise MappingRefused(f"{room.name} is taken on some of those nights.")
    booking.room = room
    db.session.commit()
    record_event(AuditAction.BOOKING_EDITED, booking.reference, f"Moved to {room.name}")
