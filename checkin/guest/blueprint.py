"""The guest blueprint and what a guest's session holds."""
from flask import Blueprint

bp = Blueprint("guest", __name__)
# The session holds only the check-in's public id: never a PIN or a room link.
SESSION_KEY = "check_in"
# A random key for this browser: the check-in records (a hash of) the one that confirmed.
BROWSER_KEY = "browser"
# When this browser was last seen (epoch seconds): a guest session ends after an idle spell.
LAST_SEEN_KEY = "seen"
