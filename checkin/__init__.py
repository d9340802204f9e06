"""Self check-in for small guesthouses: guests get a door PIN on TTLock locks from their phone."""
import os
from pathlib import Path

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then CHECKIN_* variables, then tests."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("CHECKIN_INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object("checkin.config.DefaultConfig")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CHECKIN")
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path, 'checkin.sqlite')}"
    _refuse_weak_secret_key(app)
    # Flask's logger is "checkin", the parent of every module's: PIN events reach stderr.
    app.logger.setLevel(app.config["LOG_LEVEL"])

    from . import (
        api,
        cli,
        database,
        errors,
        guest,
        i18n,
        local_paths,
        locks_cli,
        owner,
        pins,
        security,
        templating,
    )
    from .services import pin_events

    database.init_app(app)
    security.init_app(app)
    local_paths.init_app(app)
    pins.init_app(app)
    pin_events.listen()
    errors.init_app(app)
    templating.init_app(app)
    i18n.init_app(app)
    cli.init_app(app)
    locks_cli.init_app(app)
    app.register_blueprint(guest.bp)
    app.register_blueprint(api.bp)
    owner.init_app(app)
    return app


def _refuse_weak_secret_key(app: Flask) -> None:
    """Sessions and CSRF rest on SECRET_KEY: never serve with none, or a guessable one."""
    if app.testing:
        return
    key = app.config.get("SECRET_KEY")
    if not key or key in {"dev", "change-me"} or len(str(key)) < 16:
        raise RuntimeError(
            "SECRET_KEY is missing or too short. Set CHECKIN_SECRET_KEY, or SECRET_KEY in "
            "instance/config.py, to a long random value (python3 -c 'import secrets; "
            "print(secrets.token_hex(32))'). Every gunicorn worker must share it."
        )
