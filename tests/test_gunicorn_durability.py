"""Under gunicorn: many guests at once, workers killed mid-job, Confirm posted twice.

The database row is the truth: whichever worker serves a request, and even after every worker
died inside a lock-cloud call, each guest reaches the room page and each lock holds exactly one
code for them. Loopback only, bounded in time.
"""
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from databases import database_uri_for
from live_server import run_gunicorn

from benchmarks.checkin_flow import (
    NO_LOOKUP_LIMITS,
    SURNAME,
    GuestOutcome,
    check_in,
    lock_problems,
    prepare_database,
    references,
)
from guest_driver import CONFIRM, PARKING, REVIEW, ROOM, Answers
from guest_driver.http import HttpGuest, form_data

pytestmark = pytest.mark.gunicorn
RUN_SECONDS = 60


def worker_pids(master_pid: int) -> list[int]:
    """gunicorn's workers: the children of its master."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            fields = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines())
        except (OSError, ValueError):
            continue
        if int(fields["PPid"]) == master_pid:
            pids.append(int(proc.name))
    return pids


def give_details(base_url: str, reference: str) -> HttpGuest:
    """Pages 1 and 2 for one guest: the PIN job starts. Returns the guest, on page 3."""
    guest = HttpGuest(base_url, time.monotonic() + RUN_SECONDS)
    guest.up_to_parking(Answers(reference, SURNAME, "Alex Guest", "+44 20 7946 0123", "a@example.com"))
    guest.expect(PARKING)
    return guest


def test_twenty_guests_at_once_all_get_one_code_per_lock(tmp_path):
    refs = references(0, 20)
    database_uri = prepare_database(tmp_path, refs, database_uri_for(tmp_path))
    with run_gunicorn(tmp_path, database_uri, lock_latency=0.05, settings=NO_LOOKUP_LIMITS) as server:
        deadline = time.monotonic() + RUN_SECONDS
        with ThreadPoolExecutor(len(refs)) as pool:
            outcomes = list(pool.map(lambda ref: check_in(server.base_url, ref, SURNAME, 0.0, deadline), refs))
    assert [o.problem for o in outcomes if o.problem] == [], server.log()[-3000:]
    assert all(o.pin for o in outcomes)
    assert lock_problems(database_uri, outcomes) == []


@pytest.mark.parametrize("kill_after", [0.5, 1.6], ids=["in the front-door call", "in the room-lock call"])
def test_guest_reaches_the_room_after_every_worker_is_killed_mid_job(tmp_path, kill_after):
    """Each lock command takes 1 s; the workers are SIGKILLed while the PIN job is inside one."""
    (reference,) = references(0, 1)
    database_uri = prepare_database(tmp_path, [reference], database_uri_for(tmp_path))
    with run_gunicorn(tmp_path, database_uri, lock_latency=1.0) as server:
        guest = give_details(server.base_url, reference)
        time.sleep(kill_after)
        doomed = worker_pids(server.pid)
        for pid in doomed:
            os.kill(pid, signal.SIGKILL)
        # gunicorn's master starts new workers; the guest carries on as if nothing happened.
        guest.no_car()
        guest.expect(REVIEW)
        guest.confirm()
        guest.wait_for_room()
        assert guest.on(ROOM) and guest.pin(), (guest.response.url, server.log()[-3000:])
        outcome = GuestOutcome(reference, pin=guest.pin())
        assert not set(doomed) & set(worker_pids(server.pid))
        assert "Resumed an abandoned PIN job" in server.log()
    assert lock_problems(database_uri, [outcome]) == []


def test_confirm_posted_twice_at_once_gives_one_stay_and_one_set_of_codes(tmp_path):
    (reference,) = references(0, 1)
    database_uri = prepare_database(tmp_path, [reference], database_uri_for(tmp_path))
    with run_gunicorn(tmp_path, database_uri, lock_latency=0.3) as server:
        guest = give_details(server.base_url, reference)
        guest.give_car("AB12 CDE")
        action, form = form_data(guest.response.text, {}, CONFIRM)  # Confirm, pressed in two tabs
        cookies = guest.session.cookies.get_dict()

        def confirm(_):
            # Two tabs: each its own connection, the same session.
            with requests.Session() as tab:
                tab.cookies.update(cookies)
                response = tab.post(server.base_url + action, data=form,
                                    allow_redirects=False, timeout=30, headers={"Connection": "close"})
                return response.headers["Location"]

        with ThreadPoolExecutor(2) as pool:
            landings = list(pool.map(confirm, range(2)))
        rooms = []
        for landing in landings:  # either tab ends on the same room page
            guest.open(landing)
            guest.wait_for_room()
            rooms.append(guest.response.url)
        assert rooms[0] == rooms[1] and guest.on(ROOM) and guest.pin()
        outcome = GuestOutcome(reference, pin=guest.pin())
    assert lock_problems(database_uri, [outcome]) == []
