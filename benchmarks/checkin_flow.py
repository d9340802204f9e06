"""How long guests wait at Confirm, with the PIN made in the background vs at Confirm, under gunicorn.

Run from the project root: python -m benchmarks.checkin_flow [--guests 10 --latency 1.5 --think 8]
See docs/benchmarks.md for what it measures and how to read it. The guests walk the pages with
guest_driver.http, the same description of the pages the browser tests and screenshots use.
"""
import argparse
import math
import secrets
import signal
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from benchmarks.gunicorn_server import run_gunicorn
from checkin import create_app
from checkin.clock import property_today
from checkin.database import upgrade_database
from checkin.extensions import db
from checkin.services.booking_import import import_bookings
from checkin.services.property_setup import save_lock, save_room
from guest_driver import CONTACT, Answers
from guest_driver.http import GaveUp, HttpGuest, TimedRequest, request_label

FRONT_DOOR = 1001
SURNAME = "Benchley"
# Every benchmark guest comes from 127.0.0.1; real guests come from their own phones.
NO_LOOKUP_LIMITS = {"LOOKUP_LIMIT_PER_IP_MINUTE": 1_000_000, "LOOKUP_LIMIT_PER_IP_HOUR": 1_000_000}


@dataclass(frozen=True)
class Server:
    name: str
    settings: dict
    confirm_at_once: bool  # the guests spend their think time on page 2, then go straight to Confirm


SERVERS = [
    # The design: the PIN is made while the guest reads pages 3 and 4.
    Server("background PIN", {}, confirm_at_once=False),
    # The synchronous baseline: the PIN is still started by page 2, but the guest confirms the
    # instant page 2 is posted, and Confirm holds the request until the PIN is on the locks.
    Server("PIN at Confirm", {"CONFIRM_WAIT_SECONDS": 120}, confirm_at_once=True),
]


@dataclass
class GuestOutcome:
    reference: str
    requests: list[TimedRequest] = field(default_factory=list)  # every request, in order
    confirm_wait: float | None = None  # POST /confirm until the room page has arrived
    pin: str | None = None
    problem: str | None = None  # why the guest has no PIN: "failed" (contact page) or what went wrong


def check_in(base_url: str, reference: str, surname: str, think: float, deadline: float,
             confirm_at_once: bool = False) -> GuestOutcome:
    """Pages 1 to 5 for one guest, pausing `think` seconds over pages 3 and 4; never raises.

    With confirm_at_once the guest pauses on page 2 instead, then goes through to Confirm at once.
    Half the guests come by car, so both buttons of page 3 are used.
    """
    answers = Answers(reference, surname, f"Alex {surname}", "+44 20 7946 0123", f"guest{reference}@example.com",
                      car_registration="AB12 CDE" if int(reference) % 2 else None)
    guest = HttpGuest(base_url, deadline)
    outcome = GuestOutcome(reference, guest.requests)
    on_page_2, on_page_3, on_page_4 = (think, 0.0, 0.0) if confirm_at_once else (0.0, think / 2, think / 2)
    try:
        guest.open()
        guest.find_booking(answers.reference, answers.surname)
        guest.pause(on_page_2)
        guest.give_details(answers)
        guest.pause(on_page_3)
        guest.park(answers)
        guest.pause(on_page_4)
        confirmed_at = time.perf_counter()
        guest.confirm()
        guest.wait_for_room()
        waited = time.perf_counter() - confirmed_at
        if guest.on(CONTACT):
            outcome.problem = "failed"
        elif guest.pin() is None:
            raise GaveUp(f"ended on {request_label('GET', guest.path)} without a PIN")
        else:
            outcome.confirm_wait = waited
            outcome.pin = guest.pin()
    except (GaveUp, requests.RequestException) as error:
        outcome.problem = str(error) or type(error).__name__
    finally:
        guest.close()
    return outcome


@dataclass
class Scenario:
    think: float
    outcomes: list[GuestOutcome]
    seconds: float


@dataclass
class ServerRun:
    name: str
    scenarios: list[Scenario]
    worker_peak_kib: dict[int, int]  # worker pid -> VmHWM
    lock_problems: list[str]


def parse_args() -> argparse.Namespace:
    """The command line; the default timeout follows from the other settings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=10, help="guests checking in at once (default 10)")
    parser.add_argument("--latency", type=float, default=1.5, help="seconds per lock command (default 1.5)")
    parser.add_argument("--think", type=float, default=8.0,
                        help="seconds a guest spends on pages 3 and 4 together, the baseline's on page 2 "
                             "(default 8); 0 is also run")
    parser.add_argument("--timeout", type=float, help="overall bound in seconds (default: twice the expected run)")
    args = parser.parse_args()
    if not 1 <= args.guests <= 999 or args.latency < 0 or args.think < 0:
        parser.error("--guests must be 1 to 999, --latency and --think at least 0")
    if args.timeout is None:
        args.timeout = 2 * expected_seconds(args) + 60
    return args


def gateway_seconds(args: argparse.Namespace) -> float:
    """The one gateway's busy time per scenario: two commands (front door, room) per guest."""
    return 2 * args.guests * args.latency


def expected_seconds(args: argparse.Namespace) -> float:
    """Four scenarios, each at least the gateway time, the baseline's also the think time."""
    return 4 * gateway_seconds(args) + 2 * args.think


def references(scenario: int, guests: int) -> list[str]:
    """Booking references of one scenario's guests: 50000-50998, then 51000-51998."""
    return [str(50000 + 1000 * scenario + guest) for guest in range(guests)]


def prepare_database(directory: Path, all_references: list[str], database_uri: str | None = None) -> str:
    """A database with a front door, one room and lock per guest, and every guest arriving today.

    SQLite in the directory, unless database_uri names another (empty) database."""
    database_uri = database_uri or f"sqlite:///{directory / 'checkin.sqlite'}"
    app = create_app({"SECRET_KEY": secrets.token_hex(32), "LOCK_BACKEND": "simulated", "SQLALCHEMY_DATABASE_URI": database_uri})
    with app.app_context():
        upgrade_database()
        save_lock("Front door", FRONT_DOOR, front_door=True)
        arrival = property_today()
        departure = arrival + timedelta(days=1)
        rows = ["booking_ref,surname,room,check_in,check_out"]
        for reference in all_references:
            # The room lock's TTLock id is the booking reference, which makes the lock check simple.
            save_lock(f"Room {reference} door", int(reference), front_door=False)
            save_room(f"Room {reference}", int(reference))
            rows.append(f"{reference},{SURNAME},Room {reference},{arrival},{departure}")
        report = import_bookings(("\n".join(rows) + "\n").encode(), "bookings.csv")
        if report.errors:
            raise RuntimeError(f"bookings not imported: {report.errors}")
        db.engine.dispose()  # the server processes own the database from here on
    return database_uri


def run_scenario(base_url: str, refs: list[str], think: float, deadline: float, confirm_at_once: bool) -> Scenario:
    """Every guest at once, each in a thread with their own session."""
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=len(refs))
    try:
        outcomes = list(pool.map(lambda ref: check_in(base_url, ref, SURNAME, think, deadline, confirm_at_once), refs))
    finally:
        # Interrupted, do not wait for the guests: stopping the server ends their requests.
        pool.shutdown(wait=False, cancel_futures=True)
    return Scenario(think, outcomes, time.monotonic() - started)


def run_server(spec: Server, args: argparse.Namespace, deadline: float, directory: Path) -> ServerRun:
    """One gunicorn with these settings: a scenario with think time, then one without."""
    directory.mkdir()
    thinks = sorted({args.think, 0.0}, reverse=True)
    database_uri = prepare_database(directory, [ref for n in range(len(thinks)) for ref in references(n, args.guests)])
    settings = {"LOCK_BACKEND": "simulated", **NO_LOOKUP_LIMITS, **spec.settings}
    with run_gunicorn(directory, database_uri, lock_latency=args.latency, settings=settings) as server:
        scenarios = [run_scenario(server.base_url, references(n, args.guests), think, deadline, spec.confirm_at_once)
                     for n, think in enumerate(thinks)]
        memory = worker_peak_kib(server.pid)
    outcomes = [outcome for scenario in scenarios for outcome in scenario.outcomes]
    return ServerRun(spec.name, scenarios, memory, lock_problems(database_uri, outcomes))


def worker_peak_kib(master_pid: int) -> dict[int, int]:
    """VmHWM (peak resident memory) of each child of gunicorn's master: its workers."""
    peaks = {}
    for proc in Path("/proc").iterdir():
        try:
            status = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines())
        except (OSError, ValueError):
            continue  # not a process, or one that ended while being read
        if int(status["PPid"]) == master_pid and "VmHWM" in status:
            peaks[int(proc.name)] = int(status["VmHWM"].split()[0])
    return peaks


def lock_problems(database_uri: str, outcomes: list[GuestOutcome]) -> list[str]:
    """Each guest who saw a PIN has exactly that code on the front door and their room lock; nothing else."""
    expected = Counter()
    for outcome in outcomes:
        if outcome.pin:
            for lock in (FRONT_DOOR, int(outcome.reference)):
                expected[(lock, f"Guest {outcome.reference}", outcome.pin)] += 1
    engine = create_engine(database_uri)
    try:
        with engine.connect() as connection:
            actual = Counter(tuple(row) for row in connection.execute(
                text("SELECT lock_ttlock_id, name, pin FROM simulated_passcodes")))
    finally:
        engine.dispose()
    return ([f"extra code {code} on lock {lock}: {name}" for (lock, name, code) in actual - expected]
            + [f"missing code {code} on lock {lock}: {name}" for (lock, name, code) in expected - actual])


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def print_table(headers: list[str], rows: list[list]) -> None:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [headers] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
    print()


def print_confirm_waits(runs: list[ServerRun]) -> None:
    """Confirm wait per server and think time, with the guests who got no PIN."""
    print("Confirm wait: POST /confirm until the room page with the PIN has arrived (seconds)")
    rows = []
    for run in runs:
        for scenario in run.scenarios:
            waits = [o.confirm_wait for o in scenario.outcomes if o.confirm_wait is not None]
            failed = sum(o.problem == "failed" for o in scenario.outcomes)
            lost = len(scenario.outcomes) - len(waits) - failed
            figures = [percentile(waits, 0.5), percentile(waits, 0.95), max(waits)] if waits else []
            rows.append([run.name, f"{scenario.think:g}", len(scenario.outcomes), len(waits), failed, lost,
                         *([f"{figure:.1f}" for figure in figures] or ["-"] * 3), f"{scenario.seconds:.0f}"])
    print_table(["server", "think s", "guests", "PIN", "failed", "lost", "p50", "p95", "max", "run s"], rows)


def print_pages(run: ServerRun) -> None:
    """Requests per second and latency per page, over both of the server's scenarios."""
    seconds = sum(scenario.seconds for scenario in run.scenarios)
    latencies: dict[str, list[float]] = {}
    for scenario in run.scenarios:
        for outcome in scenario.outcomes:
            for request in outcome.requests:
                latencies.setdefault(request.label, []).append(request.seconds)
    order = list(latencies)  # in the order the guests first asked for each page
    latencies["all requests"] = [latency for page in order for latency in latencies[page]]
    rows = []
    for page in [*order, "all requests"]:
        values = latencies[page]
        rows.append([page, len(values), f"{len(values) / seconds:.2f}",
                     f"{percentile(values, 0.5) * 1000:.0f}", f"{percentile(values, 0.99) * 1000:.0f}"])
    print(f"Pages, {run.name} ({seconds:.0f} s of both scenarios)")
    print_table(["page", "requests", "req/s", "p50 ms", "p99 ms"], rows)


def print_report(args: argparse.Namespace, runs: list[ServerRun], seconds: float) -> None:
    """Every table, then the workers' memory and the lock check."""
    print(f"{args.guests} guests at once per scenario, {args.latency:g} s per lock command, think time "
          f"{args.think:g} s over pages 3-4 (and 0 s); gateway time per scenario about "
          f"{gateway_seconds(args):.0f} s (2 commands x {args.guests} guests x {args.latency:g} s)\n")
    print_confirm_waits(runs)
    for run in runs:
        print_pages(run)
    for run in runs:
        peaks = ", ".join(f"{kib / 1024:.1f}" for _, kib in sorted(run.worker_peak_kib.items()))
        print(f"Peak memory per worker (VmHWM, MiB), {run.name}: {peaks}")
    problems = Counter(f"{run.name}: {o.problem}" for run in runs for s in run.scenarios for o in s.outcomes
                       if o.problem)
    for problem, guests in problems.items():
        print(f"No PIN for {guests} guest(s), {problem}")
    for run in runs:
        print(f"Lock codes, {run.name}: " + ("; ".join(run.lock_problems) or
              "every PIN a guest saw is on the front door and their room lock once; no other codes"))
    print(f"\nWhole run: {seconds:.0f} s (bound {args.timeout:.0f} s)")


def _exit_on_sigterm(signum, frame) -> None:
    """SIGTERM (timeout(1), the end of a CI job) as an exit, so the servers are still stopped."""
    raise SystemExit(128 + signum)


def main() -> int:
    """Both servers, both scenarios each, the report; exit status 1 if a guest got no PIN or a lock is wrong."""
    args = parse_args()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    started = time.monotonic()
    deadline = started + args.timeout
    print(f"Expected about {expected_seconds(args):.0f} s plus start-up; giving up after {args.timeout:.0f} s.\n",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="checkin-benchmark-") as workdir:
        runs = [run_server(spec, args, deadline, Path(workdir, f"server-{n}")) for n, spec in enumerate(SERVERS)]
    print_report(args, runs, time.monotonic() - started)
    everyone_in = all(o.pin for run in runs for s in run.scenarios for o in s.outcomes)
    return 0 if everyone_in and not any(run.lock_problems for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
