"""A lock that refuses 4-digit PINs (TTLock -3006): 6 digits on every lock, remembered, shown."""
from checkin.extensions import db
from checkin.locks.ttlock_errors import error_for
from checkin.models import Lock
from checkin.pins.placement import choose_pin, is_acceptable_pin
from conftest import Guest
from .conftest import FRONT_DOOR, ROOM_1, pins_on, wait_for_pin



def test_six_digit_pins_are_neither_runs_nor_repeats():
    assert is_acceptable_pin("482915", 6)
    for pin in ["123456", "654321", "111111", "121212", "123123", "012345", "48291"]:
        assert not is_acceptable_pin(pin, 6), pin
    assert is_acceptable_pin(choose_pin(set(), 6), 6)


def test_a_lock_refusing_4_digits_gets_6_on_every_lock_and_later_guests_at_once(app, demo, cloud, owner):
    cloud.failures[("add", ROOM_1)] = [error_for(-3006, "passcode length must be 6 to 9", "lock 'Room 1 door'")]
    Guest(app.test_client()).check_in()
    check_in = wait_for_pin(app)
    assert check_in.pin_state == "ready" and len(check_in.pin) == 6
    assert pins_on(app, FRONT_DOOR) == pins_on(app, ROOM_1) == [check_in.pin]  # the 4-digit one came off
    with app.app_context():
        flags = dict(db.session.execute(db.select(Lock.name, Lock.needs_six_digits)).all())
    assert flags == {"Front door": False, "Room 1 door": True, "Room 2 door": False}
    page = owner.client.get("/owner/locks").get_data(as_text=True)
    assert page.count("Needs 6-digit PINs") == 1

    # The next guest of Room 1 gets 6 digits at the first try.
    app.config["EARLY_CHECK_IN_DAYS"] = 5
    adds_before = len([call for call in cloud.calls if call[0] == "add"])
    Guest(app.test_client()).check_in("40323", "Exampleford")
    later = wait_for_pin(app, "40323")
    assert later.pin_state == "ready" and len(later.pin) == 6
    assert len([call for call in cloud.calls if call[0] == "add"]) - adds_before == 2


def test_only_the_lock_that_refused_is_marked(app, demo, cloud):
    cloud.failures[("add", FRONT_DOOR)] = [error_for(-3006, "passcode length must be 6 to 9", "lock 'Front door'")]
    Guest(app.test_client()).check_in()
    assert len(wait_for_pin(app).pin) == 6
    with app.app_context():
        marked = db.session.scalars(db.select(Lock.name).where(Lock.needs_six_digits)).all()
    assert marked == ["Front door"]
