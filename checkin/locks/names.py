"""How the owner knows a lock in every problem report: its name, then its TTLock id."""


def lock_label(name: str | None, ttlock_id: int | None) -> str:
    """'Room 2 door (2002)'; 'lock 2002' for a lock the app has no name for."""
    if ttlock_id is None:
        return "the lock"
    return f"{name} ({ttlock_id})" if name else f"lock {ttlock_id}"
