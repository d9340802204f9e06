"""The owner's account and alert commands: flask --app wsgi create-owner | unlock-owner | alerts send."""
import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from ..services.alert_delivery import deliver_due_alerts
from ..services.owner_accounts import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    save_owner,
    unlock,
)

alerts_group = AppGroup("alerts", help="Alerts to the owner (webhook and e-mail).")


def init_app(app: Flask) -> None:
    """Register create-owner, unlock-owner and the alerts group."""
    app.cli.add_command(create_owner)
    app.cli.add_command(unlock_owner)
    app.cli.add_command(alerts_group)


@click.command("create-owner")
@with_appcontext
@click.argument("email")
@click.option("--reset", is_flag=True, help="Set a new password on an existing account.")
def create_owner(email, reset):
    """Create an owner account for the dashboard at /owner (the password is asked for, or read from stdin)."""
    try:
        account = save_owner(email, _read_password(), reset=reset)
    except AccountError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"{'Password changed for' if reset else 'Created owner'} {account.email}. Sign in at /owner/login.")


@click.command("unlock-owner")
@with_appcontext
@click.argument("email")
def unlock_owner(email):
    """Clear an owner account's failed sign-ins, from every connection, so it can sign in again at once."""
    try:
        account = unlock(email)
    except AccountError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"Cleared the failed sign-ins of {account.email}. Sign in at /owner/login.")


def _read_password() -> str:
    """Asked twice, hidden, on a terminal; the first line of standard input otherwise (for scripts)."""
    if sys.stdin.isatty():
        return click.prompt(
            f"Password (at least {MIN_PASSWORD_LENGTH} characters)", hide_input=True, confirmation_prompt=True
        )
    return sys.stdin.readline().rstrip("\r\n")


@alerts_group.command("send")
def send_alerts_command():
    """Send alerts that are due, failed ones again after their backoff (run it from a timer)."""
    report = deliver_due_alerts()
    click.echo(f"Sent {report.sent} alert(s).")
    if report.failed:
        raise click.ClickException(f"{report.failed} alert(s) could not be sent; they will be retried.")
