"""Locks and rooms, as the owner sets them up from the command line."""
from sqlalchemy import select, update

from ..extensions import db
from ..models import Lock, Room


class SetupError(ValueError):
    """A set-up request that cannot be carried out, in words for the owner."""


def save_lock(name: str, ttlock_id: int, front_door: bool) -> tuple[Lock, bool]:
    """Add a lock, or update the one with this TTLock id; True if it was new."""
    clash = db.session.scalar(select(Lock).where(Lock.name == name, Lock.ttlock_id != ttlock_id))
    if clash is not None:
        raise SetupError(f"Another lock (TTLock id {clash.ttlock_id}) is already called {name!r}.")
    lock = db.session.scalar(select(Lock).where(Lock.ttlock_id == ttlock_id))
    created = lock is None
    if created:
        lock = Lock(ttlock_id=ttlock_id)
        db.session.add(lock)
    lock.name = name
    lock.is_front_door = front_door
    if front_door:
        # One shared front door: the PIN job puts every guest's code on it.
        db.session.execute(update(Lock).where(Lock.ttlock_id != ttlock_id).values(is_front_door=False))
    db.session.commit()
    return lock, created


def save_room(name: str, ttlock_id: int | None, **details: str | None) -> tuple[Room, bool]:
    """Add a room or update the one with this name; its lock is named by TTLock id."""
    lock = None
    if ttlock_id is not None:
        lock = db.session.scalar(select(Lock).where(Lock.ttlock_id == ttlock_id))
        if lock is None:
            raise SetupError(f"No lock with TTLock id {ttlock_id}: add it first with add-lock.")
    room = db.session.scalar(select(Room).where(Room.name == name))
    created = room is None
    if created:
        room = Room(name=name)
        db.session.add(room)
    with db.session.no_autoflush:
        if ttlock_id is not None:
            room.lock = lock
        for field, value in details.items():
            if value is not None:
                setattr(room, field, value)
    db.session.commit()
    return room, created
