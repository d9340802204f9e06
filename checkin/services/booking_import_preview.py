"""A bookings file from the owner's browser: a dry run to preview, then the same file applied.

The file travels back with the Apply button (base64 in a hidden field, as spreadsheets are
binary); a fingerprint of the preview makes sure what is applied is exactly what the owner saw
(a booking changed meanwhile means a new preview).
"""
import base64
import binascii
import hashlib
from dataclasses import dataclass

from ..models import AuditAction
from .audit import record_event
from .booking_files import UnreadableFile
from .booking_formats import FileRefused
from .booking_import import ImportReport, import_bookings

MAX_FILE_BYTES = 200_000
AUDITED_REFERENCES = 20  # the audit line names this many changed bookings at most


class ImportRefused(ValueError):
    """The file cannot be previewed or applied; the message says what to do."""


@dataclass(frozen=True)
class ImportPreview:
    file_data: str  # base64, for the Apply form
    file_name: str
    file_format: str
    date_order: str
    report: ImportReport
    fingerprint: str


def preview_import(data: bytes, file_name: str, file_format: str = "auto", date_order: str = "") -> ImportPreview:
    """What importing the file would do, row by row, without writing anything."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(f"The file is larger than {MAX_FILE_BYTES // 1000} kB: split it into smaller files.")
    report = _run(data, file_name, file_format, date_order, dry_run=True)
    encoded = base64.b64encode(data).decode()
    return ImportPreview(encoded, file_name, file_format, date_order, report,
                         _fingerprint(data, file_format, date_order, report))


def apply_import(file_data: str, file_name: str, file_format: str, date_order: str, fingerprint: str) -> ImportReport:
    """Import the previewed file; ImportRefused if the preview no longer holds."""
    data = decode_file_data(file_data)
    if preview_import(data, file_name, file_format, date_order).fingerprint != fingerprint:
        raise ImportRefused("The bookings changed since the preview: check the new preview, then apply it.")
    report = _run(data, file_name, file_format, date_order, dry_run=False)
    if report.blocked:
        raise ImportRefused("The file no longer imports cleanly: check the new preview.")
    changed = [change.reference for change in report.changes if change.kind != "unchanged"]
    listed = ", ".join(changed[:AUDITED_REFERENCES]) + (", ..." if len(changed) > AUDITED_REFERENCES else "")
    summary = report.summary()
    record_event(AuditAction.BOOKINGS_IMPORTED, None, f"{summary}: {listed}" if changed else summary)
    return report


def decode_file_data(file_data: str) -> bytes:
    try:
        return base64.b64decode(file_data, validate=True)
    except (binascii.Error, ValueError):
        raise ImportRefused("The file did not come back whole: upload it again.") from None


def _run(data: bytes, file_name: str, file_format: str, date_order: str, dry_run: bool) -> ImportReport:
    try:
        return import_bookings(data, file_name, file_format, date_order or None, dry_run=dry_run)
    except FileRefused as refusal:
        if refusal.needs_date_order:
            raise ImportRefused("The file's dates could be day/month or month/day: choose which under "
                                "\u201cDates in the file\u201d and preview again.") from None
        raise ImportRefused(str(refusal)) from None
    except UnreadableFile as refusal:
        raise ImportRefused(str(refusal)) from None


def _fingerprint(data: bytes, file_format: str, date_order: str, report: ImportReport) -> str:
    plan = "\n".join(f"{change.kind}:{change.reference}:{change.room}" for change in report.changes)
    digest = hashlib.sha256(data)
    digest.update(f"\0{file_format}\0{date_order}\0{plan}\0{report.errors}".encode())
    return digest.hexdigest()
