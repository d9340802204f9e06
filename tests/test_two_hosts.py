"""Two app hosts on one PostgreSQL database, in front of one TTLock gateway.

Each "host" is its own gunicorn with its own instance folder (so no file on disk is shared): only
the database can keep the gateway's commands apart. The fake cloud answers "busy" to a second
command on a gateway, as a real one does, and the app is told not to retry busy answers. Ten
guests, alternating between the hosts, must all get a PIN, with no busy answer and no code twice.
"""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from databases import database_uri_for
from fake_ttlock import FakeLock, FakeTTLock
from live_server import run_gunicorn

from benchmarks.checkin_flow import FRONT_DOOR, NO_LOOKUP_LIMITS, SURNAME, check_in, prepare_database, references

pytestmark = [pytest.mark.gunicorn, pytest.mark.postgresql]
GUESTS = 10


def test_ten_guests_through_two_hosts_and_one_gateway_meet_no_busy_and_no_duplicate(tmp_path):
    refs = references(0, GUESTS)
    database_uri = prepare_database(tmp_path, refs, database_uri_for(tmp_path))
    locks = [FakeLock(FRONT_DOOR, "Front door")] + [FakeLock(int(ref), f"Room {ref} door") for ref in refs]
    with FakeTTLock(locks, gateway_latency_seconds=0.1) as cloud:
        settings = {**NO_LOOKUP_LIMITS, **cloud.app_settings()}
        (tmp_path / "host-a").mkdir()
        (tmp_path / "host-b").mkdir()
        with run_gunicorn(tmp_path / "host-a", database_uri, settings=settings) as host_a, \
                run_gunicorn(tmp_path / "host-b", database_uri, settings=settings) as host_b:
            deadline = time.monotonic() + 90
            hosts = [host_a.base_url if n % 2 == 0 else host_b.base_url for n in range(GUESTS)]
            with ThreadPoolExecutor(GUESTS) as pool:
                outcomes = list(pool.map(
                    lambda guest: check_in(guest[0], guest[1], SURNAME, 0.0, deadline), zip(hosts, refs)))
        logs = host_a.log()[-2000:] + host_b.log()[-2000:]
        assert [o.problem for o in outcomes if o.problem] == [], logs
        assert cloud.busy_answers == 0
        assert cloud.logins == 1  # one token for both hosts, through the database
        for outcome in outcomes:
            for lock_id in (FRONT_DOOR, int(outcome.reference)):
                codes = [c for c in cloud.passcodes[lock_id].values() if c["keyboardPwdName"] == f"Guest {outcome.reference}"]
                assert [c["keyboardPwd"] for c in codes] == [outcome.pin]
        front_door_pins = [code["keyboardPwd"] for code in cloud.passcodes[FRONT_DOOR].values()]
        assert len(front_door_pins) == len(set(front_door_pins)) == GUESTS
