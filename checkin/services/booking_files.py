"""A bookings file as a table: CSV in any common encoding and delimiter, .xlsx, .xls.

Each row keeps the line (or spreadsheet row) number the owner sees, for error messages.
Cells are text, or a date where a spreadsheet stored one.
"""
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

import openpyxl
import xlrd
from charset_normalizer import from_bytes

Cell = str | date
# In order of preference when several fit.
SPREADSHEET_ENCODINGS = ["utf_16", "cp1252", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "mac_roman"]


class UnreadableFile(ValueError):
    """The file is not a table this app can read; the message says what to do."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[Cell]]]  # (line number, cells), blank rows left out


def read_table(data: bytes, filename: str) -> Table:
    """The first sheet or the CSV, whatever the file name says: the content decides."""
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the OLE2 container of an .xls
        return _read_xls(data)
    return _read_csv(data, filename)


def _read_csv(data: bytes, filename: str) -> Table:
    text = _decode(data, filename)
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel  # one column, or nothing to tell by: commas
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = []
    for cells in reader:
        if any(cell.strip() for cell in cells):
            rows.append((reader.line_num, cells))
    return _table(rows)


def _decode(data: bytes, filename: str) -> str:
    if not data.strip():
        raise UnreadableFile(f"{filename} is empty.")
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(f"{filename} is not a CSV file or a spreadsheet.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_legacy(data)
        if text is None:
            raise UnreadableFile(f"{filename} is not text: save it from your spreadsheet as CSV.") from None
    return text.lstrip("\ufeff").replace("\r\n", "\n")


def _decode_legacy(data: bytes) -> str | None:
    """Text a spreadsheet saved as UTF-16 (Excel's "Unicode text"), Windows-125x, ISO-8859-x or
    Mac Roman. The detector lists the encodings that fit; a short file fits several, so the one
    giving the most plausible text wins, the commoner encoding on a tie (cp1252 over Mac Roman)."""
    matches = from_bytes(data, cp_isolation=SPREADSHEET_ENCODINGS)
    decoded = [(str(match), match.encoding) for match in matches]
    if not decoded:
        return None
    rank = {encoding: index for index, encoding in enumerate(SPREADSHEET_ENCODINGS)}
    text, _ = max(decoded, key=lambda item: (_plausibility(item[0]), -rank.get(item[1], len(rank))))
    return text


def _plausibility(text: str) -> float:
    """The share of characters a bookings file is made of: letters, digits, spaces, ASCII punctuation."""
    plain = sum(1 for ch in text if ch.isalnum() or ch.isspace() or (ch.isascii() and ch.isprintable()) or ch in "€’")
    return plain / max(1, len(text))


def _read_xlsx(data: bytes) -> Table:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as problem:
        raise UnreadableFile(f"The .xlsx file could not be opened ({type(problem).__name__}).") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(value) for value in values]
            if any(cells):
                rows.append((number, cells))
    finally:
        workbook.close()
    return _table(rows)


def _read_xls(data: bytes) -> Table:
    try:
        book = xlrd.open_workbook(file_contents=data)
    except xlrd.XLRDError as problem:
        raise UnreadableFile(f"The .xls file could not be opened: {problem}") from None
    sheet = book.sheet_by_index(0)
    rows = []
    for index in range(sheet.nrows):
        cells = []
        for cell in sheet.row(index):
            if cell.ctype == xlrd.XL_CELL_DATE:
                cells.append(xlrd.xldate_as_datetime(cell.value, book.datemode).date())
            else:
                cells.append(_cell(cell.value))
        if any(cells):
            rows.append((index + 1, cells))
    return _table(rows)


def _cell(value) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a booking number a spreadsheet stored as a number
    return str(value).strip()


def _table(rows: list[tuple[int, list[Cell]]]) -> Table:
    if not rows:
        raise UnreadableFile("The file has no rows.")
    (_, header), *body = rows
    return Table([str(cell).strip() for cell in header], body)
