"""How the owner knows a lock in every problem report: its name, then its TTLock id."""
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Lock


def lock_label(name: str | None, ttlock_id: int) -> str:
    """'Room 2 door (2002)'; 'lock 2002' for a lock the app has no name for."""
    return f"{name} ({ttlock_id})" if name else f"lock {ttlock_id}"


def label_for_lock_id(ttlock_id: int | None) -> str:
    """The label of the app's lock with this TTLock id, read in a session of its own."""
    if ttlock_id is None:
        return "the lock"
    try:
        with Session(db.engine) as session:
            name = session.scalar(select(Lock.name).where(Lock.ttlock_id == ttlock_id))
    except SQLAlchemyError:
        name = None  # the lock's error matters more than its name
    return lock_label(name, ttlock_id)
