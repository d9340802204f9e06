"""The guest's pages: find the booking, details, parking, review, room."""
from . import views  # noqa: F401  (routes register on bp)
from .blueprint import SESSION_KEY, bp

__all__ = ["SESSION_KEY", "bp"]
