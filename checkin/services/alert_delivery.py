"""Sending the owner's alerts from the outbox: a webhook and/or e-mail, with retries and backoff.

Each worker process has one sender thread, started on the first alert after the fork; it exits
when nothing is left to send. A row is claimed with a conditional UPDATE that also pushes its next
attempt back, so two workers (or the `alerts send` timer) never send it at once, and a sender that
dies mid-send leaves the row due again later. Delivery is at least once.
"""
import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import requests
from flask import Flask, current_app
from sqlalchemy import func, select, update

from ..clock import utc_now
from ..extensions import db
from ..models import AlertOutbox

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
# A claimed row is due again after this, should its sender die: longer than any send's timeouts.
CLAIM_LEASE_SECONDS = 120.0
# The sender thread looks again at least this often while alerts wait for a retry.
MAX_IDLE_SECONDS = 60.0
_senders_guard = threading.Lock()


class DeliveryError(Exception):
    """A channel refused or could not take an alert; the message is safe to store and log."""


def configured_channels(config) -> list[str]:
    """The channels whose settings are present: "webhook", "email", both or none."""
    channels = []
    if config.get("ALERT_WEBHOOK_URL"):
        channels.append("webhook")
    if config.get("MAIL_SERVER") and config.get("ALERT_EMAIL"):
        channels.append("email")
    return channels


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0


def deliver_due_alerts() -> DeliveryReport:
    """Send every alert that is due now, each claimed first; failures wait for their next attempt."""
    report = DeliveryReport()
    now = utc_now()
    due = db.session.execute(
        select(AlertOutbox.id, AlertOutbox.attempts).where(*_waiting(), AlertOutbox.next_attempt_at <= now)
    ).all()
    db.session.commit()
    for alert_id, attempts in due:
        alert = _claim(alert_id, attempts)
        if alert is None:
            continue
        try:
            _send(alert)
        except DeliveryError as error:
            _record_failure(alert, str(error))
            report.failed += 1
        else:
            db.session.execute(update(AlertOutbox).where(AlertOutbox.id == alert.id).values(sent_at=utc_now(), last_error=None))
            db.session.commit()
            log.info("Sent alert %s by %s", alert.id, alert.channel)
            report.sent += 1
    return report


def seconds_until_next_alert() -> float | None:
    """How long until the next waiting alert is due; None when nothing waits."""
    next_at = db.session.scalar(select(func.min(AlertOutbox.next_attempt_at)).where(*_waiting()))
    db.session.commit()
    return None if next_at is None else max(0.0, (next_at - utc_now()).total_seconds())


def undelivered_alerts() -> list[AlertOutbox]:
    """Alerts that ran out of attempts, for the dashboard to show."""
    return list(
        db.session.scalars(
            select(AlertOutbox)
            .where(AlertOutbox.sent_at.is_(None), AlertOutbox.attempts >= _max_attempts())
            .order_by(AlertOutbox.id.desc())
        )
    )


def _waiting():
    return AlertOutbox.sent_at.is_(None), AlertOutbox.attempts < _max_attempts()


def _max_attempts() -> int:
    return int(current_app.config["ALERT_MAX_ATTEMPTS"])


@dataclass(frozen=True)
class ClaimedAlert:
    """An alert read out of its row, so nothing holds the database while it is sent."""

    id: int
    channel: str
    subject: str
    body: str
    booking_reference: str | None
    attempts: int


def _claim(alert_id: int, attempts: int) -> ClaimedAlert | None:
    now = utc_now()
    claimed = db.session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id == alert_id, AlertOutbox.attempts == attempts, AlertOutbox.sent_at.is_(None),
               AlertOutbox.next_attempt_at <= now)
        .values(attempts=attempts + 1, next_attempt_at=now + timedelta(seconds=CLAIM_LEASE_SECONDS))
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    row = db.session.get(AlertOutbox, alert_id)
    alert = ClaimedAlert(row.id, row.channel, row.subject, row.body, row.booking_reference, row.attempts)
    db.session.commit()
    return alert


def _record_failure(alert: ClaimedAlert, reason: str) -> None:
    base = float(current_app.config["ALERT_RETRY_SECONDS"])
    delay = min(base * 2 ** (alert.attempts - 1), MAX_BACKOFF_SECONDS)
    db.session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id == alert.id)
        .values(last_error=reason, next_attempt_at=utc_now() + timedelta(seconds=delay))
    )
    db.session.commit()
    if alert.attempts >= _max_attempts():
        log.error("Gave up sending alert %s by %s after %s attempts: %s", alert.id, alert.channel, alert.attempts, reason)
    else:
        log.warning("Sending alert %s by %s failed (attempt %s), next try in %g s: %s", alert.id, alert.channel,
                    alert.attempts, delay, reason)


def _send(alert: ClaimedAlert) -> None:
    if alert.channel == "webhook":
        _post_webhook(alert)
    elif alert.channel == "email":
        _send_email(alert)
    else:
        raise DeliveryError(f"unknown channel {alert.channel!r}")


def _post_webhook(alert: ClaimedAlert) -> None:
    """JSON that ntfy (title, message, topic) and chat hooks (text) understand."""
    config = current_app.config
    payload = {
        "title": alert.subject,
        "message": alert.body,
        "text": f"{alert.subject}\n{alert.body}",
        "booking_reference": alert.booking_reference,
    }
    if config.get("ALERT_WEBHOOK_TOPIC"):
        payload["topic"] = config["ALERT_WEBHOOK_TOPIC"]
    timeout = float(config["ALERT_WEBHOOK_TIMEOUT"])
    # The URL often holds a token: errors name the failure, never the address.
    try:
        response = requests.post(config["ALERT_WEBHOOK_URL"], json=payload, timeout=timeout)
    except requests.Timeout:
        raise DeliveryError(f"the webhook did not answer within {timeout:g} s") from None
    except requests.RequestException as error:
        raise DeliveryError(f"could not reach the webhook ({type(error).__name__})") from None
    with response:
        if response.status_code >= 300:
            raise DeliveryError(f"the webhook answered HTTP {response.status_code}")


def _send_email(alert: ClaimedAlert) -> None:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = config.get("MAIL_SENDER") or config.get("MAIL_USERNAME") or config["ALERT_EMAIL"]
    message["To"] = config["ALERT_EMAIL"]
    message.set_content(alert.body + "\n")
    try:
        with smtplib.SMTP(
            config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=float(config["MAIL_TIMEOUT"])
        ) as smtp:
            if config["MAIL_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise DeliveryError("the mail server refused the username or password") from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f"the mail server answered {error.smtp_code}") from None
    except (smtplib.SMTPException, ssl.SSLError) as error:
        raise DeliveryError(f"mail error ({type(error).__name__})") from None
    except OSError as error:
        raise DeliveryError(f"could not reach the mail server ({error.strerror or type(error).__name__})") from None


class AlertSender:
    """This process's background sender: a daemon thread that lives while alerts wait."""

    def __init__(self, app: Flask):
        self.app = app
        self._guard = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    def wake(self) -> None:
        """Send what is due soon; starts the thread if none runs."""
        with self._guard:
            if self._closed:
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="owner-alerts", daemon=True)
                self._thread.start()
            self._wake.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the thread; rows it did not send stay in the outbox for the next sender."""
        with self._guard:
            self._closed = True
            thread = self._thread
            self._wake.set()
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.clear()
            delay = self._deliver()
            with self._guard:
                if self._closed or (delay is None and not self._wake.is_set()):
                    self._thread = None
                    return
            self._wake.wait(MAX_IDLE_SECONDS if delay is None else min(delay, MAX_IDLE_SECONDS))

    def _deliver(self) -> float | None:
        try:
            with self.app.app_context():
                deliver_due_alerts()
                return seconds_until_next_alert()
        except Exception:
            # A thread's exception is otherwise silent; the rows stay and are tried again.
            log.exception("Sending owner alerts failed; will try again")
            return MAX_IDLE_SECONDS


def alert_sender() -> AlertSender:
    """The current app's alert sender in this process."""
    app = current_app._get_current_object()
    with _senders_guard:
        sender = app.extensions.get("owner_alert_sender")
        if sender is None:
            sender = app.extensions["owner_alert_sender"] = AlertSender(app)
    return sender
