"""Self check-in for small guesthouses: guests get a door PIN on TTLock locks from their phone."""
import os
from pathlib import Path

from flask import Flask

from .config import load_settings

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
    # Raises InvalidSetting (one line for the owner) on a missing or wrong setting.
    loaded = load_settings(app.instance_path, test_config)
    app.config.update(loaded.flask_config())
    app.extensions["settings"] = loaded
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path, 'checkin.sqlite')}"
    # Flask's logger is "checkin", the parent of every module's: PIN events reach stderr.
    app.logger.setLevel(app.config["LOG_LEVEL"])
    if app.config["LOCK_BACKEND"] == "simulated":
        app.logger.warning(
            "LOCK_BACKEND is simulated: a demo, the PINs guests get open no real door. "
            "Set LOCK_BACKEND to ttlock for real locks."
        )

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

