"""The owner's one-tap fixes and what they do to the locks: retry, revoke, cancel, show the PIN."""
import pytest
from conftest import Guest, shows_pin

from checkin.extensions import db
from checkin.locks import LockBusy, LockUnreachable
from checkin.models import AuditEvent, Booking, CheckIn, LockCode
from checkin.pins import sweep_codes

from .conftest import FRONT_DOOR, OWNER_EMAIL, ROOM_1, pins_on, wait_for_pin, wait_for_removal


def audit_trail(app):
    with app.app_context():
        return [(e.actor, e.action, e.booking_reference) for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


@pytest.fixture
def failed_pin(app, demo, cloud):
    """Guest 40321 confirmed, but the room lock's gateway was offline for both attempts."""
    cloud.failures[("add", ROOM_1)] = [LockBusy("Could not reach the TTLock cloud.")] * 2
    Guest(app.test_client()).check_in()
    check_in = wait_for_pin(app)
    assert check_in.pin_state == "failed"


def test_the_dashboard_shows_each_guest_pin_state_and_doors_but_never_the_pin(client, owner, checked_in):
    page = client.get("/owner/")
    text = page.get_data(as_text=True)
    assert "Testington" in text and "Sampleton" in text
    assert "Confirmed" in text and "Ready" in text
    assert "Front door (1001), Room 1 door (2001)" in text
    assert not shows_pin(text, checked_in)
    assert not shows_pin(client.get("/owner/bookings/40321").get_data(as_text=True), checked_in)


def test_show_pin_is_a_post_and_is_audited(app, client, owner, checked_in):
    page = owner.post("/owner/bookings/40321/pin", token_from="/owner/bookings/40321")
    assert page.status_code == 200 and checked_in in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert (OWNER_EMAIL, "pin_shown", "40321") in audit_trail(app)
    assert client.get("/owner/bookings/40321/pin").status_code == 405


def test_a_failed_pin_shows_on_the_dashboard_with_its_reason_and_one_tap_retry(app, client, owner, cloud, failed_pin):
    page = client.get("/owner/").get_data(as_text=True)
    assert "Needs you now (1)" in page
    assert "Could not reach the TTLock cloud." in page
    assert 'action="/owner/bookings/40321/retry-pin"' in page
    assert pins_on(app, FRONT_DOOR) == [] and pins_on(app, ROOM_1) == []

    response = owner.post("/owner/bookings/40321/retry-pin", {"from": "dashboard"})
    assert response.headers["Location"] == "/owner/"
    check_in = wait_for_pin(app)
    assert check_in.pin_state == "ready"
    assert pins_on(app, FRONT_DOOR) == pins_on(app, ROOM_1) == [check_in.pin]
    assert (OWNER_EMAIL, "pin_retried", "40321") in audit_trail(app)
    assert ("system", "pin_ready", "40321") in audit_trail(app)
    assert "Needs you now" not in client.get("/owner/").get_data(as_text=True)


def test_revoke_takes_the_code_off_every_lock(app, client, owner, checked_in):
    response = owner.post("/owner/bookings/40321/revoke-pin", token_from="/owner/bookings/40321")
    assert response.headers["Location"] == "/owner/bookings/40321"
    assert "The PIN is revoked. Its codes are coming off the locks" in client.get("/owner/bookings/40321").get_data(
        as_text=True)
    assert wait_for_removal(app) == "done"
    assert pins_on(app, FRONT_DOOR) == pins_on(app, ROOM_1) == []
    page = client.get("/owner/bookings/40321").get_data(as_text=True)
    assert "Off every lock" in page and "Revoked" in page
    assert (OWNER_EMAIL, "pin_revoked", "40321") in audit_trail(app)


def test_retry_after_revoke_makes_a_new_pin(app, owner, checked_in):
    owner.post("/owner/bookings/40321/revoke-pin")
    owner.post("/owner/bookings/40321/retry-pin")
    check_in = wait_for_pin(app)
    assert check_in.pin_state == "ready"
    assert pins_on(app, FRONT_DOOR) == pins_on(app, ROOM_1) == [check_in.pin]


def test_cancel_cancels_the_booking_and_removes_its_codes(app, client, owner, checked_in):
    owner.post("/owner/bookings/40321/cancel")
    assert wait_for_removal(app) == "done"
    assert pins_on(app, FRONT_DOOR) == pins_on(app, ROOM_1) == []
    with app.app_context():
        assert db.session.scalar(db.select(Booking).where(Booking.reference == "40321")).cancelled_at is not None
    assert (OWNER_EMAIL, "booking_cancelled", "40321") in audit_trail(app)
    # The guest can no longer check in, and the owner cannot retry it.
    assert Guest(app.test_client()).find_booking().status_code == 200
    owner.post("/owner/bookings/40321/retry-pin")
    assert "The booking is cancelled." in client.get("/owner/bookings/40321").get_data(as_text=True)


def test_an_unreachable_lock_during_revoke_is_explained_and_left_for_the_sweep(app, client, owner, cloud, checked_in):
    cloud.failures[("delete", ROOM_1)] = [LockUnreachable("The gateway for Room 1 door is offline.")]
    owner.post("/owner/bookings/40321/revoke-pin")
    assert wait_for_removal(app) == "failed"
    page = client.get("/owner/bookings/40321").get_data(as_text=True)
    assert "Not all off the locks" in page and "The gateway for Room 1 door is offline." in page
    assert "Retry removing codes" in page
    assert pins_on(app, FRONT_DOOR) == [] and pins_on(app, ROOM_1) == [checked_in]
    with app.app_context():
        live = db.session.scalars(db.select(LockCode).where(LockCode.removed_at.is_(None))).all()
        assert [code.lock.ttlock_id for code in live] == [ROOM_1]
        assert sweep_codes().removed == 1
    assert pins_on(app, ROOM_1) == []
    assert wait_for_removal(app) == "done"
    assert ("system", "lock_error", "40321") in audit_trail(app)
    assert ("system", "code_swept", "40321") in audit_trail(app)


def test_actions_on_a_booking_nobody_checked_in_for_say_why_not(client, owner, demo):
    owner.post("/owner/bookings/40322/retry-pin")
    assert "has not started checking in yet" in client.get("/owner/bookings/40322").get_data(as_text=True)
    assert client.get("/owner/bookings/99999").status_code == 404


def test_actions_need_the_csrf_token(app, client, owner, checked_in):
    assert client.post("/owner/bookings/40321/cancel").status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(CheckIn)).pin_state == "ready"


def test_revoke_and_cancel_answer_at_once_while_the_gateway_is_slow(app, client, owner, cloud, checked_in, monkeypatch):
    import threading

    released = threading.Event()
    slow_delete = cloud.delete_passcode

    def delete_when_released(lock_id, passcode_id):
        assert released.wait(10)
        slow_delete(lock_id, passcode_id)

    monkeypatch.setattr(cloud, "delete_passcode", delete_when_released)
    owner.post("/owner/bookings/40321/cancel")  # returns while the gateway still holds the delete
    page = client.get("/owner/bookings/40321").get_data(as_text=True)
    assert "Coming off the locks" in page
    assert pins_on(app, FRONT_DOOR) == [checked_in]
    released.set()
    assert wait_for_removal(app) == "done"
    assert "Off every lock" in client.get("/owner/bookings/40321").get_data(as_text=True)
    assert pins_on(app, FRONT_DOOR) == pins_on(app, ROOM_1) == []


def test_a_failed_removal_can_be_retried_by_the_owner(app, client, owner, cloud, checked_in):
    cloud.failures[("delete", ROOM_1)] = [LockUnreachable("The gateway for Room 1 door is offline.")]
    owner.post("/owner/bookings/40321/revoke-pin")
    assert wait_for_removal(app) == "failed"
    assert "Needs you now" in client.get("/owner/").get_data(as_text=True)
    owner.post("/owner/bookings/40321/retry-removal", token_from="/owner/bookings/40321")
    assert wait_for_removal(app) == "done"
    assert pins_on(app, ROOM_1) == []
