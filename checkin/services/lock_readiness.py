"""Are the locks ready for tonight's guests? The rules of `flask locks check` and the daily check.

For each lock: on the account, a gateway that hears it (a Wi-Fi lock needs none), its battery,
its time zone and its clock against ours (codes open by the lock's clock), and room for more
codes (a lock holds about 250). The findings are kept per lock for the dashboard; problems reach
the owner as one alert that names the rooms, once a day for the same problems.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ..clock import at_property_time, property_today, property_zone, utc_now
from ..extensions import db
from ..locks import LockCloudError, LockInfo
from ..locks.names import lock_label
from ..models import Booking, Lock, LockCheck, Room
from ..pins import lock_cloud
from .alerts import alert_lock_problem

BATTERY_WARNING_BELOW = 20  # percent
BATTERY_URGENT_BELOW = 10
CLOCK_TOLERANCE = timedelta(minutes=2)
CODES_PER_LOCK = 250  # about what a TTLock lock stores
CODES_ROOM_WARNING = 25  # warn when fewer places than this are left
OUR_CODE_PREFIX = "Guest "  # how the PIN jobs name their codes (see pins/plan.py)


@dataclass
class LockFinding:
    name: str
    ttlock_id: int
    rooms: list[str]  # the rooms it opens ("front door" for the shared door)
    problems: list[str] = field(default_factory=list)
    urgent: bool = False

    def problem(self, text: str, urgent: bool = False) -> None:
        self.problems.append(text)
        self.urgent |= urgent


def tonights_locks() -> list[Lock]:
    """The front door and the lock of every room with an arrival today (property time)."""
    rooms_arriving = select(Booking.room_id).where(
        Booking.check_in_date == property_today(), Booking.cancelled_at.is_(None)
    )
    lock_ids = select(Room.lock_id).where(Room.id.in_(rooms_arriving))
    locks = db.session.scalars(
        select(Lock).where(Lock.is_front_door | Lock.id.in_(lock_ids)).order_by(Lock.is_front_door.desc(), Lock.name)
    ).all()
    return list(locks)


def every_lock() -> list[Lock]:
    return list(db.session.scalars(select(Lock).order_by(Lock.is_front_door.desc(), Lock.name)))


def check_locks(locks: list[Lock]) -> list[LockFinding]:
    """Check the locks, record the findings for the dashboard, and alert the owner once about
    any problems. LockCloudError if the lock cloud cannot be asked at all."""
    rooms = _rooms_by_lock()
    targets = [(lock.id, lock.name, lock.ttlock_id, rooms.get(lock.id, [])) for lock in locks]
    db.session.commit()  # no transaction stays open across the cloud calls below
    on_account = {info.lock_id: info for info in lock_cloud().list_locks()}
    findings = []
    for lock_id, name, ttlock_id, lock_rooms in targets:
        finding = LockFinding(name, ttlock_id, lock_rooms)
        _check_lock(finding, on_account.get(ttlock_id))
        _record(lock_id, finding)
        findings.append(finding)
    _alert(findings)
    return findings


def readiness_check_due() -> bool:
    """True once READINESS_CHECK_AT has passed today (property time) and no check ran since."""
    due_at = at_property_time(property_today(), current_app.config["READINESS_CHECK_AT"])
    last = db.session.scalar(select(db.func.max(LockCheck.checked_at)))
    db.session.commit()
    return utc_now() >= due_at and (last is None or last < due_at)


def run_daily_check() -> list[LockFinding] | None:
    """The maintenance timer's daily check of tonight's locks; None if it is not due yet."""
    if not readiness_check_due():
        return None
    try:
        return check_locks(tonights_locks())
    except LockCloudError as error:
        alert_lock_problem("every lock", f"The daily lock check could not ask the lock cloud: {error.reason}")
        raise


def lock_problems_today() -> list[LockCheck]:
    """Locks whose check today found problems, urgent first, for the dashboard."""
    since = at_property_time(property_today(), "00:00")
    rows = db.session.scalars(
        select(LockCheck).where(LockCheck.checked_at >= since, LockCheck.problems != "")
        .order_by(LockCheck.urgent.desc(), LockCheck.id)
    ).all()
    return list(rows)


def _check_lock(finding: LockFinding, listed: LockInfo | None) -> None:
    if listed is None:
        finding.problem(
            "It is not on the TTLock account, or the account is not its administrator. "
            "Check its TTLock id against `flask --app wsgi locks list`.", urgent=True,
        )
        return
    cloud = lock_cloud()
    gateway_works = listed.is_wifi or _check_gateway(finding, listed)
    _check_battery(finding, listed.battery_percent)
    try:
        detail = cloud.lock_detail(finding.ttlock_id)
        zone_problem = _time_zone_problem(detail.timezone_offset_ms)
        if zone_problem:
            finding.problem(zone_problem, urgent=True)
        if gateway_works:
            _check_clock(finding)
        _check_room_for_codes(finding)
    except LockCloudError as error:
        finding.problem(error.reason)


def _check_gateway(finding: LockFinding, listed: LockInfo) -> bool:
    if not listed.has_gateway:
        finding.problem("It has no gateway, so PINs cannot reach it. Pair a gateway in the TTLock app.", urgent=True)
        return False
    gateways = lock_cloud().lock_gateways(finding.ttlock_id)
    if gateways:
        _remember_gateway(finding.ttlock_id, gateways[0])
        return True
    finding.problem(
        "No gateway has heard it in the last 30 minutes: its gateway is offline or too far away. "
        "Guests would get backup codes instead of their PIN.", urgent=True,
    )
    return False


def _remember_gateway(ttlock_id: int, gateway_id: int) -> None:
    """Commands queue per gateway: locks behind different gateways get theirs at the same time."""
    db.session.execute(update(Lock).where(Lock.ttlock_id == ttlock_id).values(gateway_id=gateway_id))
    db.session.commit()


def _check_battery(finding: LockFinding, percent: int | None) -> None:
    if percent is None:
        return
    if percent < BATTERY_URGENT_BELOW:
        finding.problem(f"Its battery is at {percent}%: change the batteries today.", urgent=True)
    elif percent < BATTERY_WARNING_BELOW:
        finding.problem(f"Its battery is at {percent}%: change the batteries soon.")


def _check_clock(finding: LockFinding) -> None:
    lock_time = lock_cloud().lock_clock(finding.ttlock_id)
    drift = lock_time - utc_now()
    if abs(drift) > CLOCK_TOLERANCE:
        minutes = round(abs(drift).total_seconds() / 60)
        finding.problem(
            f"Its clock is {minutes} minutes {'fast' if drift > timedelta(0) else 'slow'}, so codes open and "
            "close at the wrong time. Set its time in the TTLock app.", urgent=True,
        )


def _check_room_for_codes(finding: LockFinding) -> None:
    codes = lock_cloud().list_passcodes(finding.ttlock_id)
    ours = sum(code.name.startswith(OUR_CODE_PREFIX) for code in codes)
    if len(codes) > CODES_PER_LOCK - CODES_ROOM_WARNING:
        finding.problem(
            f"It holds {len(codes)} codes ({ours} from this app, {len(codes) - ours} others) of about "
            f"{CODES_PER_LOCK}: delete old codes in the TTLock app before it refuses new ones.",
            urgent=len(codes) >= CODES_PER_LOCK,
        )


def _time_zone_problem(lock_offset_ms: int | None) -> str | None:
    """Whether the lock's time zone offset fits the property's zone now."""
    zone = property_zone()
    now = utc_now().astimezone(zone)
    current = now.utcoffset()
    # TTLock calls it a raw offset, Java's word for the offset without summer time, yet some
    # clients store the current offset: which one the lock wants is undocumented, so accept both.
    standard = current - now.dst()
    if lock_offset_ms is None:
        return "TTLock did not report the lock's time zone offset."
    if timedelta(milliseconds=lock_offset_ms) in (current, standard):
        return None
    return (
        f"Its time zone is {_utc_offset(timedelta(milliseconds=lock_offset_ms))} but {zone.key} "
        f"is at {_utc_offset(current)} now, so PINs could open at the wrong hours. "
        "Set the lock's time zone in the TTLock app."
    )


def _utc_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _rooms_by_lock() -> dict[int, list[str]]:
    rooms: dict[int, list[str]] = {}
    for lock in db.session.scalars(select(Lock).where(Lock.is_front_door)):
        rooms.setdefault(lock.id, []).append("front door")
    for room in db.session.scalars(select(Room).where(Room.lock_id.is_not(None)).order_by(Room.name)):
        rooms.setdefault(room.lock_id, []).append(room.name)
    return rooms


def _record(lock_id: int, finding: LockFinding) -> None:
    row = db.session.scalar(select(LockCheck).where(LockCheck.lock_id == lock_id))
    if row is None:
        row = LockCheck(lock_id=lock_id)
        db.session.add(row)
    row.checked_at, row.problems, row.urgent = utc_now(), "\n".join(finding.problems), finding.urgent
    db.session.commit()


def _alert(findings: list[LockFinding]) -> None:
    troubled = [finding for finding in findings if finding.problems]
    if not troubled:
        return
    where = ", ".join(f"{', '.join(f.rooms) or 'no room'} ({lock_label(f.name, f.ttlock_id)})" for f in troubled)
    lines = " ".join(
        f"{'URGENT ' if f.urgent else ''}{lock_label(f.name, f.ttlock_id)}: {' '.join(f.problems)}" for f in troubled
    )
    alert_lock_problem(where, lines)
