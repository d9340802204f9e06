"""The owner blueprint and what an owner's session holds."""
from flask import Blueprint

bp = Blueprint("owner", __name__, url_prefix="/owner")
# Distinct from the guest's key: an owner's session never passes for a guest's, nor the reverse.
SESSION_KEY = "owner_id"
# The account's session generation at sign-in: a session holding an older one is over.
SESSION_GENERATION_KEY = "owner_generation"
