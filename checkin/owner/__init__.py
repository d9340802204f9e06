"""The owner's pages: today's guests and their PINs, bookings, rooms and locks, audit, parking."""
from flask import Blueprint, Flask

from . import models  # noqa: F401  (registers the owner's tables)

bp = Blueprint("owner", __name__, url_prefix="/owner")
# Distinct from the guest's key: an owner's session never passes for a guest's, nor the reverse.
SESSION_KEY = "owner_id"
SESSION_MARKER_KEY = "owner_marker"


def init_app(app: Flask) -> None:
    """Register the owner's pages and commands."""
    # Imported here, not above: services import the owner's models, and the views import services.
    from . import auth, booking_views, cli, property_views, views  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
    cli.init_app(app)
