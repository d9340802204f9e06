"""Gateway turns through PostgreSQL: one command at a time across processes and hosts, in order,
and a turn whose holder died is free again at once."""
import subprocess
import sys
import threading
import time

import pytest
from databases import database_uri_for
from sqlalchemy import create_engine

from checkin.locks import LockBusy
from checkin.pins.gateway_turns import PostgresGateway

pytestmark = pytest.mark.postgresql

# Another host: takes the turn, says so, and holds it until killed.
OTHER_HOST = """
import sys, time
from sqlalchemy import create_engine
from checkin.pins.gateway_turns import PostgresGateway
with PostgresGateway(create_engine(sys.argv[1]), "ttlock:owner@example.com").turn():
    print("holding", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(database_uri_for(tmp_path))
    yield engine
    engine.dispose()


def test_turns_are_one_at_a_time_in_the_order_asked(engine):
    gateway = PostgresGateway(engine, "ttlock:owner@example.com")
    order, inside, overlaps = [], [], []
    first_in = threading.Event()

    def command(n: int) -> None:
        # A fresh object per caller, as each worker on each host builds its own.
        with PostgresGateway(engine, "ttlock:owner@example.com").turn():
            if inside:
                overlaps.append(n)
            inside.append(n)
            order.append(n)
            first_in.set()
            time.sleep(0.05)
            inside.remove(n)

    with gateway.turn():  # hold the gateway while the others line up, one after another
        threads = []
        for n in range(5):
            threads.append(threading.Thread(target=command, args=(n,)))
            threads[-1].start()
            time.sleep(0.1)
    for thread in threads:
        thread.join(10)
    assert overlaps == []
    assert order == [0, 1, 2, 3, 4]


def test_a_turn_is_reentrant_in_one_thread(engine):
    gateway = PostgresGateway(engine, "ttlock:owner@example.com")
    with gateway.turn(), PostgresGateway(engine, "ttlock:owner@example.com").turn():
        pass


def test_a_second_command_on_an_occupied_gateway_is_answered_busy(engine):
    gateway = PostgresGateway(engine, "simulated")
    with gateway.occupy():
        with pytest.raises(LockBusy) as busy:
            with PostgresGateway(engine, "simulated").occupy():
                pass
    assert busy.value.errcode == -3003
    with gateway.occupy():
        pass  # free again once released


def test_a_turn_held_by_a_host_that_died_is_free_at_once(engine):
    url = engine.url.render_as_string(hide_password=False)
    other = subprocess.Popen([sys.executable, "-c", OTHER_HOST, url], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "holding"
        waiting = PostgresGateway(engine, "ttlock:owner@example.com", max_wait_seconds=0.5)
        with pytest.raises(LockBusy):
            with waiting.turn():
                pass
        other.kill()
        other.wait(10)
        started = time.monotonic()
        with PostgresGateway(engine, "ttlock:owner@example.com", max_wait_seconds=10).turn():
            assert time.monotonic() - started < 10
    finally:
        other.kill()
        other.wait(10)
        other.stdout.close()


def test_accounts_do_not_wait_for_each_other(engine):
    with PostgresGateway(engine, "ttlock:a@example.com").turn():
        with PostgresGateway(engine, "ttlock:b@example.com", max_wait_seconds=1).turn():
            pass
