"""The owner's commands: flask --app wsgi <command>."""
import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .config import masked
from .database import upgrade_database
from .locks import LockCloudError
from .pins import move_misplaced_codes, resume_pin_jobs, sweep_codes
from .platform_cli import add_calendar_command, map_room, sync_calendars_command
from .services.booking_files import UnreadableFile
from .services.booking_formats import DATE_ORDERS, FORMATS, FileRefused
from .services.booking_import import import_bookings
from .services.database_copy import CopyError, copy_database
from .services.demo import load_demo_data
from .services.guest_data import (
    booking_by_reference,
    delete_guest_data,
    export_guest_data,
    purge_guest_data,
)
from .services.property_setup import SetupError, save_lock, save_room


def init_app(app: Flask) -> None:
    for command in (init_db, add_lock, add_room, import_bookings_command, map_room, add_calendar_command,
                    sync_calendars_command, demo, jobs, sweep, config, copy_db,
                    purge_guest_data_command, export_guest_data_command, delete_guest_data_command):
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db():
    """Create the database or upgrade it to the newest schema (every row is kept); same as `db upgrade`."""
    upgrade_database()
    click.echo(f"Database ready: {current_app.config['SQLALCHEMY_DATABASE_URI']}")


@click.command("add-lock")
@with_appcontext
@click.argument("name")
@click.option("--ttlock-id", type=int, required=True, help="The lockId from TTLock (see `locks list`).")
@click.option("--front-door", is_flag=True, help="The shared front door: every guest's PIN opens it.")
def add_lock(name, ttlock_id, front_door):
    """Add a lock, or update the one with this TTLock id."""
    try:
        lock, created = save_lock(name, ttlock_id, front_door)
    except SetupError as problem:
        raise click.ClickException(str(problem)) from None
    role = "front door" if lock.is_front_door else "room lock"
    click.echo(f"{'Added' if created else 'Updated'} {lock.name!r} (TTLock id {lock.ttlock_id}, {role}).")


@click.command("add-room")
@with_appcontext
@click.argument("name")
@click.option("--ttlock-id", type=int, help="TTLock id of the lock on the room's door.")
@click.option("--floor", help='Where it is, e.g. "First floor".')
@click.option("--directions", help="How to get there from the front door.")
@click.option("--wifi-name", help="Wi-Fi network name shown to the guest.")
@click.option("--wifi-password", help="Wi-Fi password shown to the guest.")
def add_room(name, ttlock_id, floor, directions, wifi_name, wifi_password):
    """Add a room, or update the one with this name."""
    try:
        room, created = save_room(
            name, ttlock_id, floor=floor, directions=directions, wifi_name=wifi_name, wifi_password=wifi_password
        )
    except SetupError as problem:
        raise click.ClickException(str(problem)) from None
    lock = room.lock.name if room.lock else "no lock yet"
    click.echo(f"{'Added' if created else 'Updated'} {room.name!r} ({lock}).")


@click.command("import-bookings")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "file_format", type=click.Choice(["auto", *FORMATS]), default="auto", show_default=True,
              help="Which export the file is; auto tells by its header row.")
@click.option("--dry-run", is_flag=True, help="Only list what would be added, changed and cancelled.")
@click.option("--date-order", type=click.Choice(DATE_ORDERS),
              help="For dates like 05/06/2026 the file cannot settle: dmy (day first) or mdy (month first).")
def import_bookings_command(path, file_format, dry_run, date_order):
    """Import bookings: Airbnb's reservations export (CSV, any language), Booking.com's reservations
    export (.xls, .xlsx or CSV) or our own CSV (booking_ref,surname,room,check_in,check_out)."""
    try:
        report = import_bookings(Path(path).read_bytes(), Path(path).name, file_format, date_order, dry_run=dry_run)
    except (UnreadableFile, FileRefused) as refusal:
        raise click.ClickException(f"Nothing was imported. {refusal}") from None
    verb = {"added": "add", "updated": "update", "cancelled": "cancel", "unchanged": "no change"}
    for change in report.changes:
        if dry_run or change.kind != "unchanged":
            click.echo(f"  {verb[change.kind] if dry_run else change.kind:9} {change.reference:12} {change.surname}, "
                       f"{change.room}, {change.check_in_date} to {change.check_out_date}")
    for error in report.errors:
        click.echo(error, err=True)
    for note in report.notes:
        click.echo(note, err=True)
    if report.blocked:
        raise click.ClickException("Nothing was imported: fix the lines above and run it again.")
    click.echo(f"{'Dry run, nothing written' if dry_run else 'Imported'} ({report.format}): {report.summary()}.")

@click.command("demo")
@with_appcontext
@click.option("--url", default="http://127.0.0.1:5000/", show_default=True, help="Where the app will be served.")
def demo(url):
    """Create or upgrade the database, then a demo property with guests arriving today (resets earlier demo history)."""
    if current_app.config["LOCK_BACKEND"] != "simulated":
        raise click.ClickException(
            "The demo runs on simulated locks, not on your real ones: "
            "CHECKIN_LOCK_BACKEND=simulated flask --app wsgi demo"
        )
    upgrade_database()
    bookings = load_demo_data()
    click.echo(f"Demo property ready. Open {url} on your phone or browser and check in with:")
    for booking in bookings:
        note = "cancelled" if booking.cancelled_at else f"arrives {booking.check_in_date.isoformat()}"
        click.echo(f"  booking reference {booking.reference}, surname {booking.surname} ({note}, {booking.room.name})")


@click.command("copy-db")
@with_appcontext
@click.option(
    "--to", "target_url", required=True, help="An empty database, e.g. postgresql+psycopg://USER:PASS@HOST/DB."
)
def copy_db(target_url):
    """Copy every row into an empty database (e.g. SQLite to PostgreSQL); this one is only read."""
    try:
        counts = copy_database(target_url)
    except CopyError as problem:
        raise click.ClickException(str(problem)) from None
    for table, rows in counts.items():
        click.echo(f"{table}: {rows} row(s)")
    click.echo(
        f"Copied {sum(counts.values())} row(s). Point SQLALCHEMY_DATABASE_URI at the new database and restart the app."
    )


@click.group("jobs")
def jobs():
    """PIN jobs in the background."""


@jobs.command("resume")
@with_appcontext
def resume_jobs():
    """Take up PIN jobs whose worker died, and those waiting for today's arrivals (run it from a
    timer; safe at any time)."""
    resumed = resume_pin_jobs()
    if resumed:
        # This process's pool runs them: wait so the command ends with the jobs done.
        current_app.extensions["pin_jobs"].shutdown(cancel_queued=False)
    click.echo(f"Resumed {resumed} PIN job(s).")


@click.command("sweep")
@with_appcontext
def sweep():
    """Delete from the locks the codes of ended, cancelled or revoked stays, and move again the
    PINs of moved bookings not yet on their new locks (safe at any time)."""
    report = sweep_codes()
    click.echo(f"Removed {report.removed} code(s) from the locks.")
    moved = move_misplaced_codes()
    if moved:
        click.echo(f"Moved {moved} PIN(s) to their bookings' current locks.")
    for failure in report.failed:
        click.echo(f"Not removed, will retry next run: {failure}", err=True)
    if report.failed:
        raise SystemExit(1)


@click.command("purge-guest-data")
@with_appcontext
def purge_guest_data_command():
    """Erase guests' details RETAIN_GUEST_DATA_DAYS after check-out (run it from a timer; safe at any time)."""
    report = purge_guest_data()
    days = current_app.config["RETAIN_GUEST_DATA_DAYS"]
    click.echo(f"Erased the guest data of {len(report.erased)} booking(s) that checked out over {days} days ago"
               + (f": {', '.join(report.erased)}." if report.erased else "."))
    click.echo(f"Deleted {report.aged_rows} old rate-limit record(s); "
               f"forgot the PINs of {report.codes_forgotten} code(s) off the locks.")


@click.command("export-guest-data")
@with_appcontext
@click.argument("reference")
def export_guest_data_command(reference):
    """Print as JSON everything held about a booking's guest (for their request to see it)."""
    booking = _booking(reference)
    click.echo(json.dumps(export_guest_data(booking), indent=2, ensure_ascii=False))


@click.command("delete-guest-data")
@with_appcontext
@click.argument("reference")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_guest_data_command(reference, yes):
    """Erase a booking's guest data now; their door code is taken off the locks first."""
    booking = _booking(reference)
    reference = booking.reference
    if not yes:
        click.confirm(f"Erase the guest data of booking {reference} ({booking.check_in_date} to "
                      f"{booking.check_out_date}) and take their door code off the locks?", abort=True)
    try:
        delete_guest_data(booking)
    except LockCloudError as error:
        raise click.ClickException(
            f"Booking {reference}'s guest data is erased and the PIN revoked, but a code is still on a lock: "
            f"{error.reason} Run `sweep` once the lock is reachable."
        ) from None
    click.echo(f"Erased the guest data of booking {reference}; no code of theirs is on a lock.")


def _booking(reference: str):
    booking = booking_by_reference(reference)
    if booking is None:
        raise click.ClickException(f"No booking with reference {reference}.")
    return booking


@click.group("config")
def config():
    """The app's settings."""


@config.command("check")
@with_appcontext
def check_config():
    """Print the effective settings (secrets hidden) and where each came from."""
    loaded = current_app.extensions["settings"]
    click.echo("# Every setting is valid. Effective values (secrets hidden):")
    for key, _ in loaded.settings:
        source = loaded.sources.get(key, "default")
        click.echo(f"{key} = {masked(key, current_app.config[key])}  # {source}")
    if loaded.passthrough:
        click.echo("# Passed to Flask and its extensions as given:")
        for key, (value, source) in sorted(loaded.passthrough.items()):
            click.echo(f"{key} = {masked(key, value)}  # {source}")
    if loaded.settings.LOCK_BACKEND == "simulated":
        click.echo("WARNING: LOCK_BACKEND is simulated: a demo, the PINs guests get open no real door.")
