"""The owner's commands for bookings from the platforms: room names, calendars."""
import click
from flask.cli import with_appcontext

from .services.alerts import finish_sending
from .services.calendars import CalendarRefused, add_calendar, sync_calendars, where
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


@click.command("add-calendar")
@with_appcontext
@click.argument("room")
@click.argument("url")
def add_calendar_command(room, url):
    """Add a room's calendar link (Airbnb: Calendar > Availability > Connect calendars > Export;
    Booking.com: Rates & Availability > Sync calendars > Export). Then run sync-calendars."""
    try:
        calendar, created = add_calendar(room, url)
    except CalendarRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"{'Added' if created else 'Already there:'} the calendar {where(calendar.url)} for {calendar.room.name}.")


@click.command("sync-calendars")
@with_appcontext
@click.option("--force", is_flag=True, help="Read every calendar now, even one read in the last few minutes.")
def sync_calendars_command(force):
    """Read the rooms' calendars: new stays become bookings, closed dates blocks (safe at any time)."""
    failed = False
    for report in sync_calendars(force=force):
        if report.error:
            failed = True
            alerted = " The owner was alerted." if report.alerted else ""
            click.echo(f"{report.calendar}: not read, nothing changed: {report.error}{alerted}", err=True)
            continue
        click.echo(f"{report.calendar}: {len(report.added)} added, {len(report.updated)} updated, "
                   f"{len(report.missing)} gone from the calendar (to confirm), {report.blocks} closed period(s).")
    finish_sending()
    if failed:
        raise SystemExit(1)
