"""The readiness check before guests arrive, against the fake TTLock cloud."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from checkin.clock import property_today
from checkin.extensions import db
from checkin.locks_cli import locks_group
from checkin.models import AlertOutbox, Booking, Lock, LockCheck, Room
from checkin.services import lock_readiness
from fake_ttlock import FakeLock, FakeTTLock
from lock_doubles import use_lock_cloud

WINTER_NOON = datetime(2026, 1, 15, 12, 30, tzinfo=timezone.utc)


def add_property(app, arrivals=("Room 1",)):
    """A front door and three rooms with their own locks; guests arrive today in `arrivals`."""
    with app.app_context():
        db.session.add(Lock(name="Front door", ttlock_id=1001, is_front_door=True))
        for n in (1, 2, 3):
            lock = Lock(name=f"Room {n} door", ttlock_id=2000 + n)
            db.session.add(Room(name=f"Room {n}", lock=lock))
        db.session.flush()
        rooms = {room.name: room for room in db.session.scalars(db.select(Room))}
        for index, name in enumerate(arrivals):
            db.session.add(Booking(reference=f"5000{index}", surname="Example", room=rooms[name],
                                   check_in_date=property_today(), check_out_date=property_today() + timedelta(days=1)))
        db.session.commit()


def fake_locks(**changes):
    locks = {lock_id: FakeLock(lock_id, name) for lock_id, name in
             [(1001, "Front door"), (2001, "Room 1 door"), (2002, "Room 2 door"), (2003, "Room 3 door")]}
    for lock_id, fields in changes.items():
        for key, value in fields.items():
            setattr(locks[lock_id], key, value)
    return list(locks.values())


@pytest.fixture
def fake(app, tmp_path, request):
    changes = getattr(request, "param", {})
    with FakeTTLock(fake_locks(**changes)) as fake:
        use_lock_cloud(app, fake.client(tmp_path / "queue"))
        yield fake


def findings(app):
    with app.app_context(), time_machine.travel(WINTER_NOON, tick=False):
        return {f.name: f for f in lock_readiness.check_locks(lock_readiness.every_lock())}


def test_tonight_means_the_front_door_and_the_rooms_with_arrivals(app):
    add_property(app, arrivals=("Room 2",))
    with app.app_context():
        assert [lock.name for lock in lock_readiness.tonights_locks()] == ["Front door", "Room 2 door"]


def test_healthy_locks_have_no_problems(app, fake):
    add_property(app)
    assert all(not finding.problems for finding in findings(app).values())


def test_battery_under_20_is_a_warning_and_under_10_urgent(app, fake):
    add_property(app)
    fake.locks[2001].battery, fake.locks[2002].battery = 15, 8
    found = findings(app)
    assert found["Room 1 door"].problems == ["Its battery is at 15%: change the batteries soon."]
    assert not found["Room 1 door"].urgent
    assert found["Room 2 door"].problems == ["Its battery is at 8%: change the batteries today."]
    assert found["Room 2 door"].urgent


def test_an_offline_gateway_is_urgent_but_a_wifi_lock_needs_none(app, fake):
    add_property(app)
    fake.locks[2001].gateway_online = False
    fake.locks[2002].gateway, fake.locks[2002].wifi = None, True
    found = findings(app)
    assert "No gateway has heard it in the last 30 minutes" in found["Room 1 door"].problems[0]
    assert found["Room 1 door"].urgent
    assert found["Room 2 door"].problems == []


def test_a_lock_clock_more_than_2_minutes_off_is_a_problem(app, fake):
    add_property(app)
    fake.locks[2001].clock_offset_ms = 3 * 60 * 1000
    fake.locks[2002].clock_offset_ms = -90 * 1000
    found = findings(app)
    assert found["Room 1 door"].problems == [
        "Its clock is 3 minutes fast, so codes open and close at the wrong time. Set its time in the TTLock app."
    ]
    assert found["Room 2 door"].problems == []


def test_a_lock_nearly_full_of_codes_counts_ours_and_others(app, fake):
    add_property(app)
    codes = fake.passcodes[2001]
    for n in range(230):
        codes[n] = {"keyboardPwdId": n, "keyboardPwd": str(100000 + n), "startDate": 0, "endDate": 0,
                    "keyboardPwdName": f"Guest {n}" if n < 30 else f"Cleaner {n}"}
    found = findings(app)
    assert found["Room 1 door"].problems == [
        "It holds 230 codes (30 from this app, 200 others) of about 250: delete old codes in the TTLock app "
        "before it refuses new ones."
    ]


def test_problems_reach_the_owner_as_one_alert_naming_the_rooms_and_the_dashboard(app, fake, client):
    add_property(app)
    fake.locks[2001].battery = 8
    fake.locks[2003].gateway_online = False
    findings(app)
    findings(app)  # the same problems again the same day: no second alert
    with app.app_context():
        subjects = db.session.scalars(db.select(AlertOutbox.subject)).all()
    assert subjects == ["Lock needs attention: Room 1 (Room 1 door (2001)), Room 3 (Room 3 door (2003))"]
    with app.app_context(), time_machine.travel(WINTER_NOON, tick=False):
        problems = [(check.lock.name, check.urgent) for check in lock_readiness.lock_problems_today()]
    assert problems == [("Room 1 door", True), ("Room 3 door", True)]


def test_the_daily_check_runs_once_after_the_set_hour(app, fake, runner):
    add_property(app, arrivals=("Room 1",))
    fake.locks[2002].battery = 5  # no arrival in Room 2 tonight: not looked at by the daily check
    with time_machine.travel(datetime(2026, 1, 15, 11, 59, tzinfo=timezone.utc), tick=False):
        assert runner.invoke(locks_group, ["check", "--daily"]).output == "The daily lock check is not due yet.\n"
    with time_machine.travel(WINTER_NOON, tick=False):
        # Check-in dates are today's; the booking must arrive on the frozen day.
        with app.app_context():
            for booking in db.session.scalars(db.select(Booking)):
                booking.check_in_date = property_today()
            db.session.commit()
        result = runner.invoke(locks_group, ["check", "--daily"])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[:2] == ["Front door (1001): OK", "Room 1 door (2001): OK"]
        assert "Room 2" not in result.output
        again = runner.invoke(locks_group, ["check", "--daily"])
    assert again.output == "The daily lock check is not due yet.\n"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LockCheck)) == 2
