"""Alerts reach the owner by e-mail and webhook, once per event, without a PIN, and without a guest waiting."""
import email
import email.policy
import logging
import queue
import time
from datetime import timedelta

import pytest
from conftest import Guest, shows_pin

from checkin.extensions import db
from checkin.locks import LockBusy, LockUnreachable
from checkin.models import AlertOutbox, CheckIn
from checkin.services.alerts import (
    alert_guest_needs_help,
    alert_lock_problem,
    alert_owner,
    finish_sending,
)
from conftest import Guest

from .conftest import ROOM_1, wait_for_pin
from .servers import smtp_sink, webhook_receiver

DELIVERY_TIMEOUT = 10


@pytest.fixture
def mailbox():
    with smtp_sink() as (port, messages):
        yield port, messages


@pytest.fixture
def webhook():
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def app_config(mailbox, webhook):
    port, _ = mailbox
    return {
        "ALERT_WEBHOOK_URL": webhook.url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_STARTTLS": False,
        "MAIL_SENDER": "checkin@example.com",
        "ALERT_EMAIL": "owner@example.com",
        "ALERT_RETRY_SECONDS": 0.05,
    }


def next_item(items: queue.Queue):
    return items.get(timeout=DELIVERY_TIMEOUT)


def assert_nothing_more(items: queue.Queue, wait=0.3):
    with pytest.raises(queue.Empty):
        items.get(timeout=wait)


def outbox(app):
    """(channel, attempts, sent) for each outbox row."""
    with app.app_context():
        return sorted((r.channel, r.attempts, r.sent_at is not None) for r in db.session.scalars(db.select(AlertOutbox)))


def outbox_becomes(app, expected):
    """The outbox once it matches `expected`, or as it is when time is up."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while (rows := outbox(app)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return rows


def test_a_failed_pin_reaches_the_owner_by_mail_and_webhook_without_the_pin(app, demo, cloud, mailbox, webhook):
    _, messages = mailbox
    cloud.failures[("add", ROOM_1)] = [LockBusy("Could not reach the TTLock cloud.")] * 2
    Guest(app.test_client()).check_in()
    check_in = wait_for_pin(app)
    assert check_in.pin_state == "failed"

    mail = next_item(messages)
    assert mail["from"] == "<checkin@example.com>" and mail["to"] == ["<owner@example.com>"]
    message = email.message_from_string(mail["data"], policy=email.policy.default)
    assert message["Subject"] == "A guest's door PIN could not be made: booking 40321"
    assert (message["From"], message["To"]) == ("checkin@example.com", "owner@example.com")
    text = message.get_content()
    assert "Could not reach the TTLock cloud." in text and "retry the PIN" in text
    hook = next_item(webhook.received)
    assert hook["content_type"] == "application/json"
    assert hook["json"]["title"] == "A guest's door PIN could not be made: booking 40321"
    assert "Could not reach the TTLock cloud." in hook["json"]["message"]
    assert hook["json"]["text"].startswith(hook["json"]["title"])
    assert hook["json"]["booking_reference"] == "40321"
    for sent in (text, str(hook["json"])):
        assert check_in.pin is None or not shows_pin(sent, check_in.pin)


def test_an_alert_never_repeats_the_guest_pin(app, checked_in, mailbox, webhook):
    with app.app_context():
        alert_owner("Lock said no", "40321", f"The lock answered: code {checked_in} already exists.")
    body = next_item(webhook.received)["json"]["message"]
    assert not shows_pin(body, checked_in) and "code [PIN] already exists" in body
    assert not shows_pin(next_item(mailbox[1])["data"], checked_in)


def test_a_guest_on_the_contact_page_alerts_once_per_check_in(app, checked_in, webhook, mailbox):
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        assert alert_guest_needs_help(check_in) is True
        assert alert_guest_needs_help(check_in) is False
        assert alert_guest_needs_help(None) is False
    message = next_item(webhook.received)["json"]["message"]
    assert "booking 40321" in message and "Testington, Room 1" in message and "open the owner dashboard" in message
    assert not shows_pin(message, checked_in)
    next_item(mailbox[1])
    assert_nothing_more(webhook.received)
    assert_nothing_more(mailbox[1], wait=0)


def test_the_same_event_alerts_once_and_a_new_one_alerts_again(app, demo, webhook):
    with app.app_context():
        assert alert_owner("A guest's door PIN could not be made", "40321", "Reason: offline.") is True
        assert alert_owner("A guest's door PIN could not be made", "40321", "Reason: offline.") is False
        assert alert_owner("A guest's door PIN could not be made", "40321", "Reason: busy.") is True
        assert alert_owner("Other", "40321", "x", dedupe_key="job-1") is True
        assert alert_owner("Other again", "40321", "y", dedupe_key="job-1") is False
    messages = sorted(next_item(webhook.received)["json"]["message"] for _ in range(3))
    assert messages == [
        "A guest's door PIN could not be made (booking 40321). Reason: busy.",
        "A guest's door PIN could not be made (booking 40321). Reason: offline.",
        "Other (booking 40321). x",
    ]
    assert_nothing_more(webhook.received)


def test_a_lock_problem_alerts_once_a_day(app, webhook, clock):
    with app.app_context():
        assert alert_lock_problem("Room 1 door", "No gateway is bound to it.") is True
        assert alert_lock_problem("Room 1 door", "No gateway is bound to it.") is False
    hook = next_item(webhook.received)["json"]
    assert hook["title"] == "Lock needs attention: Room 1 door" and "No gateway is bound to it." in hook["message"]
    clock.shift(timedelta(days=1))
    with app.app_context():
        assert alert_lock_problem("Room 1 door", "No gateway is bound to it.") is True


def test_a_failed_delivery_is_retried_with_backoff_and_logged_without_the_url(app, demo, webhook, mailbox, caplog):
    webhook.statuses[:] = [503, 502]
    with app.app_context():
        alert_owner("Test event", "40321", "Do something.")
    assert next_item(webhook.received)["json"]["title"] == "Test event: booking 40321"
    expected = [("email", 1, True), ("webhook", 3, True)]
    assert outbox_becomes(app, expected) == expected
    warnings = [r.getMessage() for r in caplog.records if r.name.endswith("alert_delivery")]
    assert any("the webhook answered HTTP 503" in w for w in warnings)
    assert not any(webhook.url in w for w in warnings)


def test_the_guest_never_waits_for_a_slow_webhook(app, demo, webhook, mailbox):
    webhook.open.clear()  # the webhook answers nothing until the guest's request is over
    with app.app_context():
        alert_owner("Test event", "40321", "Do something.")
    # The guest's request is over while the webhook still holds the alert unanswered.
    assert webhook.holding.wait(DELIVERY_TIMEOUT) and webhook.received.empty()
    webhook.open.set()
    next_item(webhook.received)


def test_without_a_channel_the_alert_is_logged_once(app, demo, caplog):
    app.config.update(ALERT_WEBHOOK_URL=None, MAIL_SERVER=None)
    with caplog.at_level(logging.ERROR, logger="checkin.services.alerts"), app.app_context():
        alert_owner("Test event", "40321", "Do something.")
        alert_owner("Test event", "40321", "Do something.")
    assert [r.getMessage() for r in caplog.records if r.name == "checkin.services.alerts"] == [
        "Owner alert: Test event (booking 40321). Do something."
    ]
    assert outbox(app) == [("log", 0, True)]


def test_alerts_send_retries_what_is_due_for_the_timer(app, demo, runner, webhook, mailbox):
    app.config.update(MAIL_SERVER=None, ALERT_RETRY_SECONDS=0, ALERT_WEBHOOK_URL="http://127.0.0.1:9/closed")
    with app.app_context():
        alert_owner("Test event", "40321", "Do something.")
        app.extensions["owner_alert_sender"].shutdown()  # the command does the sending from here
    failed = runner.invoke(args=["alerts", "send"])
    assert failed.exit_code == 1 and "could not be sent" in failed.output
    app.config["ALERT_WEBHOOK_URL"] = webhook.url
    sent = runner.invoke(args=["alerts", "send"])
    assert sent.exit_code == 0 and "Sent 1 alert(s)." in sent.output
    assert next_item(webhook.received)["json"]["title"] == "Test event: booking 40321"
    assert runner.invoke(args=["alerts", "send"]).output == "Sent 0 alert(s).\n"


def test_the_dashboard_tells_the_owner_when_alerts_cannot_be_delivered(app, client, owner, webhook, mailbox):
    app.config.update(MAIL_SERVER=None, ALERT_MAX_ATTEMPTS=2)
    webhook.statuses[:] = [500, 500]
    with app.app_context():
        alert_owner("Test event", "40321", "Do something.")
    assert outbox_becomes(app, [("webhook", 2, False)]) == [("webhook", 2, False)]
    page = client.get("/owner/").get_data(as_text=True)
    assert "1 alert(s) could not be delivered" in page and "the webhook answered HTTP 500" in page


def test_a_command_waits_for_its_alerts_before_it_exits(app, webhook, mailbox):
    app.config["MAIL_SERVER"] = None
    with app.app_context():
        alert_lock_problem("Front door", "The lock is not on the TTLock account.")
        finish_sending()
    assert outbox(app) == [("webhook", 1, True)]
    assert webhook.received.get_nowait()["json"]["title"] == "Lock needs attention: Front door"
