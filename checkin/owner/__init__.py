"""The owner's pages: today's guests and their PINs, bookings, rooms and locks, audit, parking,
insights."""
from flask import Flask

from . import (  # noqa: F401  (routes register on bp)
    auth,
    booking_views,
    cli,
    insights_views,
    platform_views,
    property_views,
    views,
)
from .blueprint import bp


def init_app(app: Flask) -> None:
    """Register the owner's pages and commands."""
    app.register_blueprint(bp)
    cli.init_app(app)
