"""flask create-owner: the password from a prompt or standard input, hashed, at least 12 characters."""
from types import SimpleNamespace

from werkzeug.security import check_password_hash

from checkin.extensions import db
from checkin.models import OwnerAccount

from .conftest import Owner


def accounts(app):
    with app.app_context():
        return {account.email: account.password_hash for account in db.session.scalars(db.select(OwnerAccount))}


def test_create_owner_reads_the_password_from_standard_input(app, runner, client):
    result = runner.invoke(args=["create-owner", "Owner@Example.com"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Created owner owner@example.com" in result.output
    stored = accounts(app)["owner@example.com"]
    assert "a long enough password" not in stored and check_password_hash(stored, "a long enough password")
    assert Owner(client).log_in("OWNER@example.com", "a long enough password").status_code == 302


def test_a_short_password_is_refused(app, runner):
    result = runner.invoke(args=["create-owner", "owner@example.com"], input="too short\n")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert accounts(app) == {}


def test_not_an_email_is_refused(runner):
    result = runner.invoke(args=["create-owner", "not-an-email"], input="a long enough password\n")
    assert result.exit_code != 0 and "is not an e-mail address" in result.output


def test_an_existing_account_needs_reset_to_change_its_password(app, runner):
    runner.invoke(args=["create-owner", "owner@example.com"], input="a long enough password\n")
    again = runner.invoke(args=["create-owner", "owner@example.com"], input="another long password\n")
    assert again.exit_code != 0 and "--reset" in again.output
    reset = runner.invoke(args=["create-owner", "owner@example.com", "--reset"], input="another long password\n")
    assert reset.exit_code == 0 and "Password changed for owner@example.com" in reset.output
    assert check_password_hash(accounts(app)["owner@example.com"], "another long password")


def test_on_a_terminal_the_password_is_asked_twice_hidden(monkeypatch, app, runner):
    prompts = []

    def fake_prompt(text, **options):
        prompts.append((text, options))
        return "typed at the terminal"

    terminal = SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr("checkin.owner.cli.sys", terminal)
    monkeypatch.setattr("click.prompt", fake_prompt)
    result = runner.invoke(args=["create-owner", "owner@example.com"])
    assert result.exit_code == 0, result.output
    assert prompts[0][1] == {"hide_input": True, "confirmation_prompt": True}
    assert check_password_hash(accounts(app)["owner@example.com"], "typed at the terminal")
