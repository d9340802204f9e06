"""Bookings CSV from the owner's browser: a dry run to preview, then the same file applied.

The file travels back with the Apply button; a fingerprint of the preview makes sure what is
applied is exactly what the owner saw (a booking changed meanwhile means a new preview).
"""
import hashlib
import io
from dataclasses import dataclass

from ..models import AuditAction
from .audit import record_event
from .booking_import import ImportReport, import_bookings

MAX_CSV_BYTES = 200_000
AUDITED_REFERENCES = 20  # the audit line names this many changed bookings at most


class ImportRefused(ValueError):
    """The file cannot be previewed or applied; the message says what to do."""


@dataclass(frozen=True)
class ImportPreview:
    csv_text: str
    report: ImportReport
    fingerprint: str


def decode_upload(data: bytes) -> str:
    """The uploaded file as text: UTF-8 (with or without a BOM, as spreadsheets save it)."""
    if len(data) > MAX_CSV_BYTES:
        raise ImportRefused(f"The file is larger than {MAX_CSV_BYTES // 1000} kB: split it into smaller files.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("The file is not UTF-8 text: save it from your spreadsheet as \u201cCSV UTF-8\u201d.") from None


def preview_import(csv_text: str) -> ImportPreview:
    """What importing the file would do, row by row, without writing anything."""
    # Browsers send a form's text back with CRLF line ends: compare files by their lines.
    csv_text = csv_text.replace("\r\n", "\n")
    report = import_bookings(io.StringIO(csv_text, newline=""), dry_run=True)
    return ImportPreview(csv_text, report, _fingerprint(csv_text, report))


def apply_import(csv_text: str, fingerprint: str) -> ImportReport:
    """Import the previewed file; ImportRefused if the preview no longer holds."""
    if preview_import(csv_text).fingerprint != fingerprint:
        raise ImportRefused("The bookings changed since the preview: check the new preview, then apply it.")
    report = import_bookings(io.StringIO(csv_text.replace("\r\n", "\n"), newline=""))
    if report.errors:
        raise ImportRefused("The file no longer imports cleanly: check the new preview.")
    changed = [row.reference for kind, row in report.changes if kind != "unchanged"]
    listed = ", ".join(changed[:AUDITED_REFERENCES]) + (", ..." if len(changed) > AUDITED_REFERENCES else "")
    summary = f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged"
    record_event(AuditAction.BOOKINGS_IMPORTED, None, f"{summary}: {listed}" if changed else summary)
    return report


def _fingerprint(csv_text: str, report: ImportReport) -> str:
    plan = "\n".join(f"{kind}:{row.reference}" for kind, row in report.changes) + "\n" + "\n".join(report.errors)
    return hashlib.sha256(f"{csv_text}\0{plan}".encode()).hexdigest()
