"""The owner's commands for bookings from the platforms: room names, calendars."""
import click
from flask.cli import with_appcontext

from .services.room_names import MappingRefused, map_room_name


@click.command("map-room")
@with_appcontext
@click.argument("source_name")
@click.argument("rooms", nargs=-1, required=True)
def map_room(source_name, rooms):
    """Say which rooms a platform's name stands for: an Airbnb listing title or a Booking.com unit
    type. Several rooms: each booking gets a free one. Bookings waiting under the name get a room."""
    try:
        mapped, placed = map_room_name(source_name, list(rooms))
    except MappingRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"{source_name!r} stands for {', '.join(room.name for room in mapped)}.")
    for booking in placed:
        click.echo(f"  {booking.reference} ({booking.check_in_date} to {booking.check_out_date}) is now in {booking.room.name}.")
