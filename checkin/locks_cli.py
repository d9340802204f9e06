"""The owner's `flask locks` commands: what the lock account holds, and whether it suits the app."""
import click
from flask import Flask
from flask.cli import AppGroup

from .locks import LockCloudError
from .locks.names import lock_label
from .locks.simulated import SimulatedLockCloud
from .pins import lock_cloud
from .services import lock_readiness
from .services.alerts import finish_sending

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
@click.option("--daily", is_flag=True, help="Tonight's locks, once a day after READINESS_CHECK_AT (for the timer).")
def check_locks_command(daily):
    """Check each lock: on the account, gateway, battery, time zone, clock, room for codes."""
    _say_if_simulated()
    try:
        if daily:
            findings = lock_readiness.run_daily_check()
            if findings is None:
                click.echo("The daily lock check is not due yet.")
                return
        else:
            locks = lock_readiness.every_lock()
            if not locks:
                raise click.ClickException("No locks are set up in the app yet: add them with `flask --app wsgi add-lock`.")
            findings = lock_readiness.check_locks(locks)
    except LockCloudError as error:
        raise click.ClickException(error.reason) from None
    finally:
        finish_sending()
    for finding in findings:
        click.echo(f"{lock_label(finding.name, finding.ttlock_id)}: {'needs attention' if finding.problems else 'OK'}")
        for problem in finding.problems:
            click.echo(f"  - {problem}")
    troubled = sum(bool(finding.problems) for finding in findings)
    if troubled:
        raise click.ClickException(f"{troubled} of {len(findings)} locks need attention (see above).")
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
