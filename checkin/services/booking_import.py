"""Bookings from a file: our own CSV, Airbnb's reservations export or Booking.com's extranet export.

Re-importing a file changes nothing; a cancelled row cancels its booking (and removes its live
code); a booking whose room or dates changed takes its live PIN along; a platform room name that
maps to no room leaves the booking waiting for one.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..locks import LockCloudError
from ..models import Booking, BookingSource, Room
from .booking_files import read_table
from .booking_formats import IncomingBooking, ParsedFile, RowProblem, parse_file
from .bookings import move_live_pin
from .owner_actions import cancel
from .room_names import choose_room, rooms_for_name


@dataclass(frozen=True)
class Change:
    """What importing did (or, in a dry run, would do) to one booking."""

    kind: str  # added | updated | unchanged | cancelled
    line: int
    reference: str
    surname: str
    room: str  # the room's name, or what the booking waits for
    check_in_date: date
    check_out_date: date


@dataclass
class ImportReport:
    format: str = ""
    problems: list[RowProblem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    blocked: bool = False  # problems in an all-or-nothing file: nothing was (or would be) written
    notes: list[str] = field(default_factory=list)  # after the fact, e.g. codes left for the sweep
    # Updated bookings whose room or dates changed: a live PIN moves with each.
    moved: list[Booking] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if change.kind == kind)

    @property
    def added(self) -> int:
        return self.count("added")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def cancelled(self) -> int:
        return self.count("cancelled")

    @property
    def errors(self) -> list[str]:
        return [str(problem) for problem in self.problems]

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.cancelled} cancelled, {self.unchanged} unchanged"
                + (f", {len(self.problems)} line(s) not read" if self.problems else ""))


def import_bookings(data: bytes, filename: str, file_format: str = "auto", date_order: str | None = None,
                    dry_run: bool = False) -> ImportReport:
    """Read the file and apply it in one transaction (none in a dry run). UnreadableFile or
    FileRefused when the file as a whole cannot be read."""
    parsed = parse_file(read_table(data, filename), file_format, date_order)
    report = ImportReport(format=parsed.format, problems=list(parsed.problems))
    rows = _without_duplicates(parsed, report)
    if parsed.all_or_nothing:
        rooms = {room.name: room for room in db.session.scalars(select(Room))}
        for row in rows:
            if row.room_names[0] not in rooms:
                known = ", ".join(sorted(rooms)) or "none"
                report.problems.append(RowProblem(row.line, f"no room called {row.room_names[0]!r} (known: {known})"))
        report.problems.sort(key=lambda problem: problem.line)
        if report.problems:
            report.blocked = True
            return report
    to_cancel: list[Booking] = []
    for row in rows:
        _apply(row, report, to_cancel)
    if dry_run:
        db.session.rollback()
        return report
    db.session.commit()
    for booking in to_cancel:
        _cancel(booking, report)
    for booking in report.moved:
        move_live_pin(booking)
    return report


def _without_duplicates(parsed: ParsedFile, report: ImportReport) -> list[IncomingBooking]:
    seen: dict[str, IncomingBooking] = {}
    for row in parsed.bookings:
        if row.reference in seen:
            report.problems.append(RowProblem(row.line, f"booking {row.reference} appears twice in the file"))
            continue
        seen[row.reference] = row
    return list(seen.values())


def _apply(row: IncomingBooking, report: ImportReport, to_cancel: list[Booking]) -> None:
    """One row: a booking per room it books ("REF", then "REFR2", "REFR3"... for more rooms)."""
    platform = row.source != BookingSource.OWNER
    references = [row.reference] + [f"{row.reference}R{number}" for number in range(2, len(row.room_names) + 1)]
    for reference, room_name in zip(references, row.room_names):
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        if row.cancelled:
            if booking is not None and booking.cancelled_at is None and booking not in to_cancel:
                to_cancel.append(booking)
                report.changes.append(_change("cancelled", row, booking, reference))
            elif booking is not None:
                report.changes.append(_change("unchanged", row, booking, reference))
            continue
        if booking is None and platform:
            booking = _calendar_booking_for(row, room_name)
            if booking is not None:  # the same stay, already in from a calendar without its code
                booking.reference, booking.platform_reference, booking.source = reference, row.reference, row.source
                booking.surname = booking.surname or row.surname
                booking.source_room_name = room_name
                db.session.flush()
                report.changes.append(_change("updated", row, booking, reference))
                continue
        if booking is None:
            booking = Booking(reference=reference, platform_reference=row.reference if platform else None,
                              surname=row.surname, source=row.source, check_in_date=row.check_in_date,
                              check_out_date=row.check_out_date, source_room_name=room_name if platform else None)
            booking.room = _room_for(row, room_name, None)
            db.session.add(booking)
            db.session.flush()  # the next rows' free-room checks see it
            report.changes.append(_change("added", row, booking, reference))
            continue
        changed = _update(booking, row, room_name, platform)
        if changed:
            db.session.flush()
            report.changes.append(_change("updated", row, booking, reference))
            if changed & {"room", "check_in_date", "check_out_date"}:
                report.moved.append(booking)
        else:
            report.changes.append(_change("unchanged", row, booking, reference))
    if platform and not row.cancelled:
        # A multi-room booking that lost rooms on the platform: the rooms gone are cancelled.
        gone = db.session.scalars(select(Booking).where(
            Booking.platform_reference == row.reference, Booking.reference.not_in(references),
            Booking.cancelled_at.is_(None)))
        for booking in gone:
            if booking not in to_cancel:
                to_cancel.append(booking)
                report.changes.append(_change("cancelled", row, booking, booking.reference))


def _calendar_booking_for(row: IncomingBooking, room_name: str) -> Booking | None:
    """A booking a calendar made without the platform's code, for a room this name stands for,
    on the same dates."""
    rooms = [room.id for room in rooms_for_name(room_name)]
    return db.session.scalar(select(Booking).where(
        Booking.source == BookingSource.CALENDAR, Booking.platform_reference.is_(None),
        Booking.cancelled_at.is_(None), Booking.room_id.in_(rooms),
        Booking.check_in_date == row.check_in_date, Booking.check_out_date == row.check_out_date,
    ).order_by(Booking.id))


def _update(booking: Booking, row: IncomingBooking, room_name: str, platform: bool) -> set[str]:
    """Bring the booking in line with the row; what changed. A surname the owner corrected
    stays: the platform's is used only where the booking has none."""
    wanted = {"check_in_date": row.check_in_date, "check_out_date": row.check_out_date}
    if not booking.surname or not platform:
        wanted["surname"] = row.surname
    if platform:
        wanted["source_room_name"] = room_name
    changed = [key for key, value in wanted.items() if getattr(booking, key) != value]
    for key in changed:
        setattr(booking, key, wanted[key])
    if not platform or changed or booking.room is None:
        # No free room for new dates keeps the room it has (its guest may hold a code for it).
        room = _room_for(row, room_name, booking)
        if room is not None and room is not booking.room:
            booking.room = room
            changed.append("room")
    return set(changed)


def _room_for(row: IncomingBooking, room_name: str, booking: Booking | None) -> Room | None:
    if row.source == BookingSource.OWNER:
        return rooms_for_name(room_name)[0]  # checked before: our own file names the room itself
    return choose_room(room_name, row.check_in_date, row.check_out_date, booking)


def _change(kind: str, row: IncomingBooking, booking: Booking, reference: str) -> Change:
    room = booking.room.name if booking.room is not None else f"needs a room ({booking.source_room_name})"
    return Change(kind, row.line, reference, booking.surname, room, booking.check_in_date, booking.check_out_date)


def _cancel(booking: Booking, report: ImportReport) -> None:
    try:
        cancel(booking)
    except LockCloudError:
        report.notes.append(f"Booking {booking.reference} is cancelled; its code could not be removed from "
                            "every lock yet and will be by the next sweep.")
