"""A fast guest whose front door and room lock sit behind different gateways: how long from
giving their details to a ready PIN, with one queue for both doors (before) and a queue per
gateway (after, the doors' codes placed at the same time).

In-process, on the simulated lock cloud at --latency seconds per gateway command, on a fresh
SQLite file; prints figures. Run: python -m benchmarks.two_gateways [--latency 1.0] [--runs 5]
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from checkin import create_app
from checkin.database import upgrade_database
from checkin.extensions import db
from checkin.models import Booking, CheckIn, Lock, PinState
from checkin.pins import start_pin_generation
from checkin.services.check_ins import begin_check_in
from checkin.services.demo import load_demo_data


def one_guest(app, gateways: dict[str, int | None]) -> float:
    """Seconds from the details (the job starts) until the PIN is on both doors."""
    with app.app_context():
        load_demo_data()
        for lock in db.session.scalars(select(Lock)):
            lock.gateway_id = gateways.get(lock.name)
        db.session.commit()
        check_in = begin_check_in(db.session.scalar(select(Booking).where(Booking.reference == "40321")))
        check_in.full_name = "Alex Testington"
        db.session.commit()
        started = time.perf_counter()
        start_pin_generation(check_in)
        app.extensions["pin_jobs"].wait(check_in.id, timeout=120)
        elapsed = time.perf_counter() - started
        db.session.expire_all()  # the job wrote the row in its own session
        state = db.session.get(CheckIn, check_in.id).pin_state
        db.session.commit()
    if state != PinState.READY:
        raise SystemExit(f"The PIN ended {state}, not ready.")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per simulated gateway command")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="two-gateways-"))
    app = create_app({
        "SECRET_KEY": "benchmark-only-secret-key-long-enough",
        "LOCK_BACKEND": "simulated",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
        "LOCK_QUEUE_DIR": str(folder / "queues"),
        "SIMULATED_LOCK_LATENCY": args.latency,
    })
    with app.app_context():
        upgrade_database()
    cases = {
        "before: one queue for both doors": {},
        "after: a queue per gateway": {"Front door": 1, "Room 1 door": 2},
    }
    print(f"One guest, front door and room lock on different gateways, {args.latency:g} s per command, "
          f"{args.runs} runs each")
    for label, gateways in cases.items():
        times = [one_guest(app, gateways) for _ in range(args.runs)]
        print(f"  {label:<36} median {statistics.median(times):5.2f} s   "
              f"min {min(times):5.2f} s   max {max(times):5.2f} s")
    app.extensions["pin_jobs"].shutdown()


if __name__ == "__main__":
    main()
