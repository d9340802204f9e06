"""The whole app on the real TTLock client, against a TTLock-compatible cloud on loopback.

Ten guests check in at once under gunicorn; all their commands go through one gateway, which
answers "busy" to a second command like a real one. None may be lost to busy.
"""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from databases import database_uri_for
from fake_ttlock import FakeLock, FakeTTLock
from live_server import run_gunicorn

from benchmarks.checkin_flow import (
    FRONT_DOOR,
    NO_LOOKUP_LIMITS,
    SURNAME,
    check_in,
    prepare_database,
    references,
)

pytestmark = pytest.mark.gunicorn


def test_ten_guests_at_once_through_one_gateway_all_get_working_pins(tmp_path):
    refs = references(0, 10)
    database_uri = prepare_database(tmp_path, refs, database_uri_for(tmp_path))
    # One gateway serves the front door and every room lock: the worst case for "busy".
    locks = [FakeLock(FRONT_DOOR, "Front door")] + [FakeLock(int(ref), f"Room {ref} door") for ref in refs]
    with FakeTTLock(locks, gateway_latency_seconds=0.1) as cloud:
        settings = {**NO_LOOKUP_LIMITS, **cloud.app_settings()}
        with run_gunicorn(tmp_path, database_uri, settings=settings) as server:
            deadline = time.monotonic() + 60
            with ThreadPoolExecutor(len(refs)) as pool:
                outcomes = list(pool.map(lambda ref: check_in(server.base_url, ref, SURNAME, 0.0, deadline), refs))
        assert [o.problem for o in outcomes if o.problem] == [], server.log()[-3000:]
        assert cloud.busy_answers == 0
        assert cloud.logins == 1  # one token, shared by every worker through the database
        for outcome in outcomes:
            for lock_id in (FRONT_DOOR, int(outcome.reference)):
                codes = [c for c in cloud.passcodes[lock_id].values() if c["keyboardPwdName"] == f"Guest {outcome.reference}"]
                assert [c["keyboardPwd"] for c in codes] == [outcome.pin]
        assert len(cloud.passcodes[FRONT_DOOR]) == 10
