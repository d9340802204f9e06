"""A gateway offline at check-in: the guest gets a backup code for each door it cuts off."""
import re
from datetime import timedelta

import pytest
from conftest import shows_pin

from checkin.clock import property_today
from checkin.extensions import db
from checkin.locks import LockConfigurationError
from checkin.models import AlertOutbox, BackupCode, Booking, CheckIn, PinState
from checkin.pins import resume_pin_jobs
from conftest import codes_on

FRONT_DOOR, ROOM_1 = 1001, 2001


@pytest.fixture
def app_config():
    return {"CONFIRM_WAIT_SECONDS": 5.0}


def check_in_and_open_room(app, guest):
    response = guest.check_in()
    location = response.headers["Location"]
    assert location.startswith("/room/"), location
    return guest.client.get(location)


def the_check_in(app) -> CheckIn:
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        db.session.expunge(check_in)
        return check_in


def backup_codes(app) -> dict[str, BackupCode]:
    with app.app_context():
        rows = db.session.scalars(db.select(BackupCode)).all()
        return {row.lock.name: (row.code, row.shown_at) for row in rows}


def alert_bodies(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(db.select(AlertOutbox.body)).all()


def test_room_gateway_offline_gives_a_backup_code_for_the_room_and_the_pin_for_the_front_door(
    app, guest, demo, cloud
):
    cloud.offline_lock_ids = {ROOM_1}
    page = check_in_and_open_room(app, guest)

    check_in = the_check_in(app)
    assert check_in.pin_state == PinState.READY
    assert [code.pin for code in codes_on(app, FRONT_DOOR)] == [check_in.pin]
    (room_code,) = codes_on(app, ROOM_1)
    assert re.fullmatch("[0-9]{6,9}", room_code.pin) and room_code.name == "Guest 40321"
    grouped = " ".join(room_code.pin[i:i + 3] for i in range(0, len(room_code.pin), 3))
    text = page.data.decode()
    assert re.search(rf"<dt>Front door</dt><dd><span class=\"pin\" aria-hidden=\"true\">{check_in.pin}</span>", text)
    assert re.search(rf"<dt>Room 1 door</dt><dd><span class=\"pin\" aria-hidden=\"true\">{grouped}</span>", text)
    assert "These codes are longer than usual" in text
    assert backup_codes(app)["Room 1 door"][1] is not None  # seen: the guest keeps it
    (body,) = [b for b in alert_bodies(app) if "gateway" in b.lower()]
    assert "backup codes for Room 1 door" in body
    assert not shows_pin(body, check_in.pin) and not shows_pin(body, room_code.pin)


def test_both_gateways_offline_gives_two_backup_codes_and_no_pin(app, guest, demo, cloud):
    cloud.offline_lock_ids = {FRONT_DOOR, ROOM_1}
    page = check_in_and_open_room(app, guest)

    check_in = the_check_in(app)
    assert (check_in.pin_state, check_in.pin) == (PinState.READY, None)
    codes = backup_codes(app)
    assert set(codes) == {"Front door", "Room 1 door"}
    assert codes["Front door"][0] != codes["Room 1 door"][0]
    text = page.data.decode()
    assert text.index("<dt>Front door</dt>") < text.index("<dt>Room 1 door</dt>")
    dashboard_status = owner_status(app)
    assert dashboard_status.backup_doors == ["Front door (1001)", "Room 1 door (2001)"]
    assert not dashboard_status.needs_attention


def owner_status(app):
    from checkin.services.owner_dashboard import booking_by_reference, booking_status

    with app.app_context():
        return booking_status(booking_by_reference("40321"))


def test_backup_codes_are_hour_granular_and_cover_the_stay(app, guest, demo, cloud):
    cloud.offline_lock_ids = {ROOM_1}
    check_in_and_open_room(app, guest)
    (code,) = codes_on(app, ROOM_1)
    assert code.start_ms % 3_600_000 == 0 and code.end_ms % 3_600_000 == 0
    (front,) = codes_on(app, FRONT_DOOR)
    assert code.start_ms >= front.start_ms - 3_600_000 and code.end_ms >= front.end_ms


def test_a_failure_a_backup_code_cannot_cover_sends_the_guest_to_the_contact_page(app, guest, demo, cloud):
    cloud.failures[("add", FRONT_DOOR)] = [LockConfigurationError("TTLock rejected the client id.")] * 3
    response = guest.check_in()
    assert response.headers["Location"] == "/contact"
    assert the_check_in(app).pin_state == PinState.FAILED
    assert backup_codes(app) == {}


def test_a_backup_code_the_cloud_will_not_give_fails_the_pin(app, guest, demo, cloud, monkeypatch):
    cloud.offline_lock_ids = {ROOM_1}

    def no_backup(*args):
        raise LockConfigurationError("Lock 'Room 1 door' holds no data for backup codes (TTLock error -1007).")

    monkeypatch.setattr(cloud, "get_backup_code", no_backup)
    response = guest.check_in()
    assert response.headers["Location"] == "/contact"
    check_in = the_check_in(app)
    assert check_in.pin_state == PinState.FAILED
    assert "No backup code could be had either" in check_in.pin_error
    assert codes_on(app, FRONT_DOOR) == []  # no half PIN left behind


def test_before_the_arrival_day_the_backup_codes_wait_for_the_day(app, guest, demo, cloud):
    app.config["EARLY_CHECK_IN_DAYS"] = 5
    cloud.offline_lock_ids = {ROOM_1}
    response = guest.check_in("40323", "Exampleford")
    page = guest.client.get(response.headers["Location"])
    assert b"Your door codes will appear on this page on the day you arrive" in page.data
    assert the_check_in(app).pin_state == PinState.AWAITING_DAY
    assert backup_codes(app) == {} and codes_on(app, ROOM_1) == []
    assert any("before their arrival day" in body for body in alert_bodies(app))

    with app.app_context():
        assert resume_pin_jobs() == 0  # not yet the day
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40323"))
        booking.check_in_date, booking.check_out_date = property_today(), property_today() + timedelta(days=2)
        db.session.commit()
        assert resume_pin_jobs() == 1
    app.extensions["pin_jobs"].wait(the_check_in(app).id, timeout=10)
    check_in = the_check_in(app)
    assert check_in.pin_state == PinState.READY
    assert set(backup_codes(app)) == {"Room 1 door"}
    # The page the guest was told to keep now shows the codes.
    page = guest.client.get(response.headers["Location"])
    assert page.status_code == 200 and b"These codes are longer than usual" in page.data


def test_a_backup_code_the_guest_has_seen_is_never_swapped(app, guest, demo, cloud):
    cloud.offline_lock_ids = {ROOM_1}
    check_in_and_open_room(app, guest)
    seen = backup_codes(app)["Room 1 door"][0]
    # The owner revokes and retries once the gateway is back: the room lock gets the new PIN too,
    # but the guest's page keeps the code they already hold.
    cloud.offline_lock_ids = set()
    with app.app_context():
        from checkin.services import owner_actions

        check_in = db.session.scalar(db.select(CheckIn))
        owner_actions.revoke(check_in)
        owner_actions.retry_pin(check_in)
    app.extensions["pin_jobs"].wait(the_check_in(app).id, timeout=10)
    assert the_check_in(app).pin_state == PinState.READY
    with app.app_context():
        from checkin.services.check_ins import door_codes

        codes = {door.door: door.code for door in door_codes(db.session.scalar(db.select(CheckIn)))}
    assert codes["Room 1 door"] == seen


def test_the_owner_can_read_the_backup_codes_to_the_guest(app, guest, demo, cloud):
    from checkin.services import owner_actions

    cloud.offline_lock_ids = {FRONT_DOOR, ROOM_1}
    check_in_and_open_room(app, guest)
    with app.app_context():
        pin, backups = owner_actions.reveal_pin(db.session.scalar(db.select(CheckIn)))
    assert pin is None
    ids = {"Front door": FRONT_DOOR, "Room 1 door": ROOM_1}
    assert dict(backups) == {f"{door} ({ids[door]})": code for door, (code, _) in backup_codes(app).items()}


def test_the_purge_erases_backup_codes_like_the_pin(app, guest, demo, cloud, runner):
    import time_machine

    from checkin.stays import stay_window

    cloud.offline_lock_ids = {ROOM_1}
    check_in_and_open_room(app, guest)
    with app.app_context():
        stay_ends = stay_window(db.session.scalar(db.select(Booking).where(Booking.reference == "40321")))[1]
    data = runner.invoke(args=["export-guest-data", "40321"]).output
    assert backup_codes(app)["Room 1 door"][0] not in data and "(withheld while it opens a door)" in data
    retention = timedelta(days=app.config["RETAIN_GUEST_DATA_DAYS"])
    with time_machine.travel(stay_ends + retention + timedelta(minutes=1)):
        result = runner.invoke(args=["purge-guest-data"])
    assert result.exit_code == 0, result.output
    assert backup_codes(app)["Room 1 door"][0] == ""
