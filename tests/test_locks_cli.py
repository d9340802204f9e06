"""`flask locks list` and `flask locks check`, against the fake TTLock cloud."""
from datetime import datetime, timezone

import pytest
import time_machine
from fake_ttlock import FakeLock, FakeTTLock
from lock_doubles import use_lock_cloud

from checkin.extensions import db
from checkin.locks_cli import locks_group
from checkin.models import AlertOutbox, Lock

HOUR_MS = 3600 * 1000
WINTER = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
SUMMER = datetime(2026, 7, 15, 12, 0, tzinfo=timezone.utc)


def add_locks(app, *locks: tuple[str, int]) -> None:
    with app.app_context():
        for index, (name, ttlock_id) in enumerate(locks):
            db.session.add(Lock(name=name, ttlock_id=ttlock_id, is_front_door=index == 0))
        db.session.commit()


@pytest.fixture
def fake_cloud(app, tmp_path):
    """The app talking to a fake TTLock account with four locks."""
    locks = [
        FakeLock(1001, "Front door", timezone_offset_ms=0),
        FakeLock(1002, "Room 1", gateway=None, battery=15),
        FakeLock(1004, "Room 3", timezone_offset_ms=8 * HOUR_MS),
        FakeLock(1005, "Room 4", timezone_offset_ms=HOUR_MS),
    ]
    with FakeTTLock(locks) as fake:
        use_lock_cloud(app, fake.client(tmp_path / "queue"))
        yield fake


def test_list_shows_id_name_gateway_and_battery(runner, fake_cloud):
    result = runner.invoke(locks_group, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split() == ["1001", "Front", "door", "yes", "90%"]
    assert lines[2].split() == ["1002", "Room", "1", "NO", "15%"]


def test_check_says_what_is_wrong_with_each_lock(app, runner, fake_cloud):
    add_locks(app, ("Front door", 1001), ("Room 1", 1002), ("Room 2", 1003), ("Room 3", 1004))
    with time_machine.travel(WINTER):
        result = runner.invoke(locks_group, ["check"])

    assert result.exit_code == 1
    assert "Front door (1001): OK" in result.output
    assert "Room 1 (1002): needs attention\n  - It has no gateway" in result.output
    assert "Room 2 (1003): needs attention\n  - It is not on the TTLock account" in result.output
    assert "Its time zone is UTC+08:00 but Europe/London is at UTC+00:00 now" in result.output
    assert "3 of 4 locks need attention" in result.output
    # The owner hears of the problems once, in one alert naming the rooms, even if the check
    # runs again from the timer.
    with time_machine.travel(WINTER):
        runner.invoke(locks_group, ["check"])
    with app.app_context():
        subjects = db.session.scalars(db.select(AlertOutbox.subject)).all()
    assert subjects == ["Lock needs attention: no room (Room 1 (1002)), no room (Room 2 (1003)), no room (Room 3 (1004))"]


@pytest.mark.parametrize("moment", [WINTER, SUMMER])
def test_check_passes_when_every_lock_is_ready(app, runner, fake_cloud, moment):
    # In summer London is at UTC+01:00; the lock may hold that or the zone's standard offset.
    add_locks(app, ("Front door", 1001), *([("Room 4", 1005)] if moment == SUMMER else []))
    with time_machine.travel(moment):
        result = runner.invoke(locks_group, ["check"])
    assert result.exit_code == 0, result.output
    assert "Every lock is ready for guest PINs." in result.output


def test_check_without_locks_in_the_app_fails(runner, fake_cloud):
    result = runner.invoke(locks_group, ["check"])
    assert result.exit_code == 1
    assert "No locks are set up" in result.output


def test_check_works_on_the_simulated_locks(app, runner):
    add_locks(app, ("Front door", 1001), ("Room 1", 1002))
    result = runner.invoke(locks_group, ["check"])
    assert result.exit_code == 0, result.output
