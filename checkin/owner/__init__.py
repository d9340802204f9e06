"""The owner's pages: today's guests and their PINs, bookings, rooms and locks, audit, parking."""
from flask import Blueprint, Flask

bp = Blueprint("owner", __name__, url_prefix="/owner")
# Distinct from the guest's key: an owner's session never passes for a guest's, nor the reverse.
SESSION_KEY = "owner_id"
SESSION_MARKER_KEY = "owner_marker"


def init_app(app: Flask) -> None:
    """Register the owner's pages and commands."""
    # Imported here, not above: the views import bp from this module.
    from . import auth, booking_views, cli, property_views, views  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
    cli.init_app(app)
