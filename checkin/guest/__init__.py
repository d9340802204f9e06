"""The guest's pages: find the booking, details, parking, review, room."""
from flask import Blueprint

bp = Blueprint("guest", __name__)
# The session holds only the check-in's public id: never a PIN or a room link.
SESSION_KEY = "check_in"

from . import views  # noqa: E402,F401  (routes register on bp)
