"""The guest blueprint and what a guest's session holds."""
from flask import Blueprint

bp = Blueprint("guest", __name__)
# The session holds only the check-in's public id: never a PIN or a room link.
SESSION_KEY = "check_in"
