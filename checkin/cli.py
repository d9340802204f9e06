"""The owner's commands: flask --app wsgi <command>."""
import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .database import upgrade_database
from .pins import resume_pin_jobs, sweep_codes
from .services.booking_import import import_bookings
from .services.demo import load_demo_data
from .services.property_setup import SetupError, save_lock, save_room


def init_app(app: Flask) -> None:
    for command in (init_db, add_lock, add_room, import_bookings_command, demo, jobs, sweep):
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
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_bookings_command(csv_file):
    """Import bookings from CSV: booking_ref,surname,room,check_in,check_out (ISO dates)."""
    report = import_bookings(csv_file)
    if report.errors:
        for error in report.errors:
            click.echo(error, err=True)
        raise click.ClickException("Nothing was imported: fix the lines above and run it again.")
    click.echo(f"Imported: {report.added} added, {report.updated} updated, {report.unchanged} unchanged.")


@click.command("demo")
@with_appcontext
@click.option("--url", default="http://127.0.0.1:5000/", show_default=True, help="Where the app will be served.")
def demo(url):
    """Create or upgrade the database, then a demo property with guests arriving today (resets earlier demo check-ins)."""
    upgrade_database()
    bookings = load_demo_data()
    click.echo(f"Demo property ready. Open {url} on your phone or browser and check in with:")
    for booking in bookings:
        note = "cancelled" if booking.cancelled_at else f"arrives {booking.check_in_date.isoformat()}"
        click.echo(f"  booking reference {booking.reference}, surname {booking.surname} ({note}, {booking.room.name})")


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
    """Delete from the locks the codes of ended, cancelled or revoked stays (safe at any time)."""
    report = sweep_codes()
    click.echo(f"Removed {report.removed} code(s) from the locks.")
    for failure in report.failed:
        click.echo(f"Not removed, will retry next run: {failure}", err=True)
    if report.failed:
        raise SystemExit(1)
