"""Past one machine: two app hosts on one PostgreSQL database, and page 1 on PostgreSQL vs SQLite.

Run from the project root, with a PostgreSQL server to use (scripts/with-postgresql starts a
throw-away one and sets TEST_DATABASE_URL):

    scripts/with-postgresql .venv/bin/python -m benchmarks.two_hosts [--guests 10 --latency 0.5]

1. Ten guests at once, alternating between two gunicorn "hosts" (each its own instance folder, so
   only the database is shared), all behind one simulated gateway that carries one command at a
   time. The total is set against the serial limit: 2 commands x guests x latency, the least any
   correct design can take, since the gateway carries nothing in parallel.
2. Page 1 (GET /) requests per second from 8 clients for a few seconds, on one gunicorn host
   on PostgreSQL and on one on SQLite, measured in the same run.
"""
import argparse
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from benchmarks.checkin_flow import NO_LOOKUP_LIMITS, SURNAME, check_in, lock_problems, prepare_database, references
from benchmarks.gunicorn_server import run_gunicorn

PAGE_ONE_CLIENTS = 8


def fresh_postgresql_database(server_url: str, name: str) -> str:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def two_hosts(folder: Path, database_uri: str, guests: int, latency: float) -> None:
    refs = references(0, guests)
    folder.mkdir()
    prepare_database(folder, refs, database_uri)
    settings = {"LOCK_BACKEND": "simulated", **NO_LOOKUP_LIMITS}
    (folder / "host-a").mkdir()
    (folder / "host-b").mkdir()
    with run_gunicorn(folder / "host-a", database_uri, lock_latency=latency, settings=settings) as host_a, \
            run_gunicorn(folder / "host-b", database_uri, lock_latency=latency, settings=settings) as host_b:
        hosts = [host_a.base_url if n % 2 == 0 else host_b.base_url for n in range(guests)]
        deadline = time.monotonic() + 120 + 4 * guests * latency
        started = time.monotonic()
        with ThreadPoolExecutor(guests) as pool:
            outcomes = list(pool.map(lambda g: check_in(g[0], g[1], SURNAME, 0.0, deadline), zip(hosts, refs)))
        total = time.monotonic() - started
    serial_limit = 2 * guests * latency
    print(f"Two hosts, one gateway, {guests} guests at once, {latency:g} s per lock command:")
    print(f"  all PINs ready after {total:.1f} s; serial limit {serial_limit:.1f} s "
          f"(2 commands x {guests} guests x {latency:g} s): {total / serial_limit:.2f} x the limit")
    problems = [o.problem for o in outcomes if o.problem]
    print(f"  guests without a PIN: {len(problems)}; lock codes: "
          + ("; ".join(lock_problems(database_uri, outcomes)) or "exactly one per guest per lock"))


def page_one_rate(folder: Path, database_uri: str, seconds: float) -> float:
    """GET / requests per second from PAGE_ONE_CLIENTS clients for `seconds`."""
    folder.mkdir()
    prepare_database(folder, references(0, 1), database_uri)
    with run_gunicorn(folder, database_uri, settings={"LOCK_BACKEND": "simulated"}) as server:
        stop = time.monotonic() + seconds
        counts = [0] * PAGE_ONE_CLIENTS

        def client(n: int) -> None:
            session = requests.Session()
            while time.monotonic() < stop:
                session.get(server.base_url + "/", timeout=10).raise_for_status()
                counts[n] += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(PAGE_ONE_CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return sum(counts) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per simulated lock command")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long page 1 is measured on each database")
    args = parser.parse_args()
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        print("Needs a PostgreSQL server: scripts/with-postgresql .venv/bin/python -m benchmarks.two_hosts",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="two-hosts-") as folder:
        folder = Path(folder)
        two_hosts(folder / "hosts", fresh_postgresql_database(server_url, "bench_two_hosts"), args.guests, args.latency)
        postgresql = page_one_rate(folder / "pg", fresh_postgresql_database(server_url, "bench_page_one"), args.seconds)
        sqlite = page_one_rate(folder / "sqlite", f"sqlite:///{folder / 'page-one.sqlite'}", args.seconds)
    print(f"Page 1 (GET /), {PAGE_ONE_CLIENTS} clients, one gunicorn host (3 workers):")
    print(f"  PostgreSQL {postgresql:.0f} requests/s; SQLite {sqlite:.0f} requests/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
