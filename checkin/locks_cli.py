"""The owner's `flask locks` commands: what the lock account holds, and whether it suits the app."""
from datetime import timedelta

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from .clock import property_zone, utc_now
from .extensions import db
from .locks import LockCloudError, LockInfo
from .locks.names import lock_label
from .locks.simulated import SimulatedLockCloud
from .models import Lock
from .pins import lock_cloud
from .services.alerts import alert_lock_problem, finish_sending

locks_group = AppGroup("locks", help="See and check the locks on the TTLock account.")


def init_app(app: Flask) -> None:
    """Register the `locks` command group."""
    app.cli.add_command(locks_group)


@locks_group.command("list")
def list_locks_command():
    """List the account's locks: TTLock id, name, gateway, battery."""
    _say_if_simulated()
    try:
        locks = lock_cloud().list_locks()
    except LockCloudError as error:
        raise click.ClickException(error.reason) from None
    if not locks:
        click.echo("The account administers no locks.")
        return
    click.echo(f"{'TTLock id':>10}  {'Name':<30}  {'Gateway':<7}  Battery")
    for lock in locks:
        battery = "?" if lock.battery_percent is None else f"{lock.battery_percent}%"
        gateway = "yes" if lock.has_gateway else "NO"
        click.echo(f"{lock.lock_id:>10}  {lock.name:<30}  {gateway:<7}  {battery}")


@locks_group.command("check")
def check_locks_command():
    """Check each lock in the app: on the account, with a gateway, in the property's time zone."""
    _say_if_simulated()
    # Read the rows, then end the transaction: none may stay open across the cloud calls.
    locks = [(lock.name, lock.ttlock_id) for lock in db.session.scalars(select(Lock).order_by(Lock.name))]
    db.session.commit()
    if not locks:
        raise click.ClickException("No locks are set up in the app yet: add them with `flask --app wsgi add-lock`.")
    try:
        on_account = {info.lock_id: info for info in lock_cloud().list_locks()}
    except LockCloudError as error:
        raise click.ClickException(error.reason) from None
    troubled = 0
    for name, ttlock_id in locks:
        problems = _problems_with(ttlock_id, on_account.get(ttlock_id))
        label = lock_label(name, ttlock_id)
        click.echo(f"{label}: {'needs attention' if problems else 'OK'}")
        for problem in problems:
            click.echo(f"  - {problem}")
            alert_lock_problem(label, problem)
        troubled += bool(problems)
    finish_sending()
    if troubled:
        raise click.ClickException(f"{troubled} of {len(locks)} locks need attention (see above).")
    if _simulated():
        click.echo("Every simulated lock answers; no real lock was checked (LOCK_BACKEND is simulated).")
    else:
        click.echo("Every lock is ready for guest PINs.")


def _simulated() -> bool:
    return isinstance(lock_cloud(), SimulatedLockCloud)


def _say_if_simulated() -> None:
    if _simulated():
        click.echo(
            "WARNING: LOCK_BACKEND is simulated: these are the demo's made-up locks, not your TTLock "
            "account, and guests' PINs open no real door. Set LOCK_BACKEND to ttlock for real locks."
        )


def _problems_with(ttlock_id: int, listed: LockInfo | None) -> list[str]:
    if listed is None:
        return [
            "It is not on the TTLock account, or the account is not its administrator. "
            "Check its TTLock id against `flask --app wsgi locks list`."
        ]
    problems = []
    if not listed.has_gateway:
        problems.append("It has no gateway, so PINs cannot reach it. Pair a gateway in the TTLock app.")
    try:
        detail = lock_cloud().lock_detail(ttlock_id)
    except LockCloudError as error:
        return [*problems, error.reason]
    zone_problem = _time_zone_problem(detail.timezone_offset_ms)
    if zone_problem:
        problems.append(zone_problem)
    return problems


def _time_zone_problem(lock_offset_ms: int | None) -> str | None:
    """Whether the lock's time zone offset fits the property's zone now."""
    zone = property_zone()
    now = utc_now().astimezone(zone)
    current = now.utcoffset()
    # TTLock calls it a raw offset, Java's word for the offset without summer time, yet some
    # clients store the current offset: which one the lock wants is undocumented, so accept both.
    standard = current - now.dst()
    if lock_offset_ms is None:
        return "TTLock did not report the lock's time zone offset."
    if timedelta(milliseconds=lock_offset_ms) in (current, standard):
        return None
    return (
        f"Its time zone is {_utc_offset(timedelta(milliseconds=lock_offset_ms))} but {zone.key} "
        f"is at {_utc_offset(current)} now, so PINs could open at the wrong hours. "
        "Set the lock's time zone in the TTLock app."
    )


def _utc_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
