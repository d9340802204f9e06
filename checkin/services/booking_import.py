"""Bookings from a CSV file: all rows or none, re-importing updates instead of duplicating."""
import csv
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from sqlalchemy import select

from ..extensions import db
from ..models import Booking, Room
from .bookings import move_live_pin, normalize_reference

COLUMNS = ["booking_ref", "surname", "room", "check_in", "check_out"]


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    # What each row did (or, in a dry run, would do): ("added" | "updated" | "unchanged", row).
    changes: list[tuple[str, "BookingRow"]] = field(default_factory=list)
    # Updated bookings whose room or dates changed: a live PIN moves with each.
    moved: list[Booking] = field(default_factory=list)


@dataclass(frozen=True)
class BookingRow:
    reference: str
    surname: str
    room: Room
    check_in_date: date
    check_out_date: date


def import_bookings(csv_file: TextIO, dry_run: bool = False) -> ImportReport:
    """Validate every row first; write only if all are good, in one transaction (none in a dry run)."""
    report = ImportReport()
    reader = csv.DictReader(csv_file)
    if reader.fieldnames is None or [name.strip() for name in reader.fieldnames] != COLUMNS:
        report.errors.append(f"Line 1: the header must be exactly {','.join(COLUMNS)}")
        return report
    rooms = {room.name: room for room in db.session.scalars(select(Room))}
    rows: dict[str, BookingRow] = {}
    for record in reader:
        line = reader.line_num
        try:
            row = _parse_row(record, rooms)
        except ValueError as problem:
            report.errors.append(f"Line {line}: {problem}")
            continue
        if row.reference in rows:
            report.errors.append(f"Line {line}: booking {row.reference} appears twice in the file")
        rows[row.reference] = row
    if report.errors:
        return report
    for row in rows.values():
        _apply(row, report)
    if dry_run:
        db.session.rollback()
        return report
    db.session.commit()
    for booking in report.moved:
        move_live_pin(booking)
    return report


def _parse_row(record: dict, rooms: dict[str, Room]) -> BookingRow:
    values = {key.strip(): (value or "").strip() for key, value in record.items() if key is not None}
    if None in record:
        raise ValueError("too many columns")
    reference = normalize_reference(values.get("booking_ref", ""))
    if not re.fullmatch("[0-9]{4,12}", reference):
        raise ValueError(f"booking_ref {values.get('booking_ref')!r} must be 4 to 12 digits")
    surname = values.get("surname", "")
    if not surname or len(surname) > 100:
        raise ValueError("surname must be 1 to 100 characters")
    room = rooms.get(values.get("room", ""))
    if room is None:
        raise ValueError(f"no room called {values.get('room')!r} (known: {', '.join(sorted(rooms)) or 'none'})")
    try:
        check_in_date = date.fromisoformat(values.get("check_in", ""))
        check_out_date = date.fromisoformat(values.get("check_out", ""))
    except ValueError:
        raise ValueError("check_in and check_out must be dates like 2026-07-14") from None
    if check_out_date <= check_in_date:
        raise ValueError("check_out must be after check_in")
    return BookingRow(reference, surname, room, check_in_date, check_out_date)


def _apply(row: BookingRow, report: ImportReport) -> None:
    booking = db.session.scalar(select(Booking).where(Booking.reference == row.reference))
    wanted = {
        "surname": row.surname,
        "room_id": row.room.id,
        "check_in_date": row.check_in_date,
        "check_out_date": row.check_out_date,
    }
    if booking is None:
        db.session.add(Booking(reference=row.reference, **wanted))
        report.added += 1
        report.changes.append(("added", row))
    elif any(getattr(booking, key) != value for key, value in wanted.items()):
        if any(getattr(booking, key) != value for key, value in wanted.items() if key != "surname"):
            report.moved.append(booking)
        for key, value in wanted.items():
            setattr(booking, key, value)
        report.updated += 1
        report.changes.append(("updated", row))
    else:
        report.unchanged += 1
        report.changes.append(("unchanged", row))
