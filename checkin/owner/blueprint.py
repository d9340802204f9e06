"""The owner blueprint and what an owner's session holds."""
from flask import Blueprint

bp = Blueprint("owner", __name__, url_prefix="/owner")
# Distinct from the guest's key: an owner's session never passes for a guest's, nor the reverse.
SESSION_KEY = "owner_id"
SESSION_MARKER_KEY = "owner_marker"
