"""The bookings files owners have, row by row: our own CSV, Airbnb's reservations export (in the
host's language) and Booking.com's extranet export.

Each format names the columns it needs by every header it may carry; the header row decides the
format. Rows become IncomingBooking, or a RowProblem with the line and why.
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from ..models import BookingSource
from .booking_files import Cell, Table
from .bookings import REFERENCE_PATTERN, normalize_reference

FORMATS = ("checkin", "airbnb", "booking.com")
DATE_ORDERS = ("dmy", "mdy")


class FileRefused(ValueError):
    """The file as a whole cannot be imported (unknown format, dates that need --date-order)."""

    def __init__(self, message: str, needs_date_order: bool = False):
        super().__init__(message)
        self.needs_date_order = needs_date_order


@dataclass(frozen=True)
class IncomingBooking:
    line: int
    source: BookingSource
    reference: str  # normalised
    surname: str
    room_names: tuple[str, ...]  # one per room booked: a room's name, a listing title or a unit type
    check_in_date: date
    check_out_date: date
    cancelled: bool


@dataclass(frozen=True)
class RowProblem:
    line: int
    why: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.why}"


@dataclass(frozen=True)
class ParsedFile:
    format: str
    bookings: list[IncomingBooking]
    problems: list[RowProblem]
    # Our own file is imported whole or not at all (the owner fixes it); a platform's export
    # imports its readable rows and lists the others.
    all_or_nothing: bool


def header_key(text: str) -> str:
    """A header as compared: no accents, case or punctuation ("N.º de noches" -> "n o de noches")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.replace("#", " number ")).split())


def _keys(*headers: str) -> frozenset[str]:
    return frozenset(header_key(header) for header in headers)


# Airbnb's reservations export (Reservations > Export), as Airbnb writes it in the host's language.
AIRBNB_COLUMNS = {
    "code": _keys("Confirmation code", "Code de confirmation", "Bestätigungscode", "Código de confirmación",
                  "Codice di conferma", "Código de confirmação"),
    "status": _keys("Status", "Statut", "Estado", "Stato"),
    "guest": _keys("Guest name", "Nom du voyageur", "Name des Gastes", "Nombre del huésped", "Nome dell'ospite",
                   "Nome do hóspede"),
    "start": _keys("Start date", "Date de début", "Startdatum", "Fecha de inicio", "Data di inizio",
                   "Data de início"),
    "end": _keys("End date", "Date de fin", "Enddatum", "Fecha de finalización", "Data di fine",
                 "Data de término"),
    "nights": _keys("# of nights", "Nombre de nuits", "Anzahl der Nächte", "N.º de noches", "N. di notti",
                    "Nº de noites"),
    "listing": _keys("Listing", "Annonce", "Inserat", "Anuncio", "Annuncio", "Anúncio"),
}
AIRBNB_REQUIRED = ("code", "status", "guest", "start", "end", "listing")

BOOKING_COM_COLUMNS = {
    "code": _keys("Book number", "Reservation number"),
    "booked_by": _keys("Booked by"),
    "guests": _keys("Guest name(s)", "Guest names", "Guest name"),
    "start": _keys("Check-in", "Arrival"),
    "end": _keys("Check-out", "Departure"),
    "status": _keys("Status"),
    "rooms": _keys("Rooms"),
    "unit_type": _keys("Unit type"),
}
BOOKING_COM_REQUIRED = ("code", "guests", "start", "end", "status", "unit_type")

CHECKIN_COLUMNS = ["booking_ref", "surname", "room", "check_in", "check_out"]

# Status words, in any of the export's languages, that mean the stay will not happen...
CANCELLED_WORDS = ("cancel", "annul", "storn", "anulad", "cancelad", "cancellat")
# ...or that the row is a request, not a booking.
NOT_BOOKED_WORDS = ("pending", "request", "inquiry", "declined", "expired", "withdrawn", "attente", "demande",
                    "refus", "abgelehnt", "anfrage", "angefragt", "ausstehend", "pendiente", "solicitud", "rechaz",
                    "attesa", "richiesta", "rifiut", "pendente", "recusad")


def detect_format(header: list[str]) -> str | None:
    keys = {header_key(cell) for cell in header}
    if [cell.strip() for cell in header] == CHECKIN_COLUMNS:
        return "checkin"
    if all(keys & BOOKING_COM_COLUMNS[name] for name in BOOKING_COM_REQUIRED):
        return "booking.com"
    if all(keys & AIRBNB_COLUMNS[name] for name in AIRBNB_REQUIRED):
        return "airbnb"
    return None


def parse_file(table: Table, wanted_format: str = "auto", date_order: str | None = None) -> ParsedFile:
    detected = detect_format(table.header)
    if wanted_format == "auto":
        if detected is None:
            raise FileRefused(
                "Line 1: this is not a file the import knows. Use Airbnb's reservations export, Booking.com's "
                f"reservations export, or our own CSV with the header {','.join(CHECKIN_COLUMNS)}."
            )
        wanted_format = detected
    elif detected != wanted_format:
        if wanted_format == "checkin":
            raise FileRefused(f"Line 1: the header must be exactly {','.join(CHECKIN_COLUMNS)}")
        names = {"airbnb": "Airbnb's reservations export", "booking.com": "Booking.com's reservations export"}
        raise FileRefused(f"Line 1: the header row is not that of {names[wanted_format]}.")
    if wanted_format == "checkin":
        return _parse_checkin(table)
    columns = AIRBNB_COLUMNS if wanted_format == "airbnb" else BOOKING_COM_COLUMNS
    positions = _positions(table.header, columns)
    order = date_order or _date_order(table, positions)
    parse_row = _airbnb_row if wanted_format == "airbnb" else _booking_com_row
    bookings, problems = [], []
    for line, cells in table.rows:
        values = {name: (cells[index] if index < len(cells) else "") for name, index in positions.items()}
        try:
            row = parse_row(line, values, order)
        except ValueError as problem:
            problems.append(RowProblem(line, str(problem)))
            continue
        if row is not None:
            bookings.append(row)
    return ParsedFile(wanted_format, bookings, problems, all_or_nothing=False)


def _positions(header: list[str], columns: dict[str, frozenset[str]]) -> dict[str, int]:
    keys = [header_key(cell) for cell in header]
    return {name: next(i for i, key in enumerate(keys) if key in names)
            for name, names in columns.items() if any(key in names for key in keys)}


def _airbnb_row(line: int, values: dict[str, Cell], order: str) -> IncomingBooking | None:
    cancelled = _status_cancels(values["status"])
    reference = _reference(values["code"], "Confirmation code")
    check_in_date, check_out_date = _stay(values["start"], values["end"], order)
    nights = str(values.get("nights", "")).strip()
    if nights.isdigit() and (check_out_date - check_in_date).days != int(nights):
        raise ValueError(f"the dates give {(check_out_date - check_in_date).days} nights but # of nights says {nights}")
    listing = str(values["listing"]).strip()
    if not listing:
        raise ValueError("the listing is empty")
    return IncomingBooking(line, BookingSource.AIRBNB, reference, surname_from_name(str(values["guest"])),
                           (listing,), check_in_date, check_out_date, cancelled)


def _booking_com_row(line: int, values: dict[str, Cell], order: str) -> IncomingBooking | None:
    cancelled = _status_cancels(values["status"])
    reference = _reference(values["code"], "Book number")
    check_in_date, check_out_date = _stay(values["start"], values["end"], order)
    unit_types = tuple(name.strip() for name in str(values["unit_type"]).split(",") if name.strip())
    if not unit_types:
        raise ValueError("the unit type is empty")
    rooms = str(values.get("rooms", "")).strip()
    if rooms.isdigit() and int(rooms) > len(unit_types) == 1:
        unit_types = unit_types * int(rooms)  # "2 rooms" of one unit type
    booked_by = str(values.get("booked_by", "")).strip()
    # Booked by is "Surname, First name"; Guest name(s) is "First Surname[, First Surname...]".
    if "," in booked_by:
        surname = booked_by.split(",")[0].strip()
    else:
        surname = surname_from_name(str(values["guests"]).split(",")[0])
    return IncomingBooking(line, BookingSource.BOOKING_COM, reference, surname, unit_types,
                           check_in_date, check_out_date, cancelled)


def _parse_checkin(table: Table) -> ParsedFile:
    bookings, problems = [], []
    for line, cells in table.rows:
        if len(cells) > len(CHECKIN_COLUMNS):
            problems.append(RowProblem(line, "too many columns"))
            continue
        values = dict(zip(CHECKIN_COLUMNS, [str(cell).strip() if isinstance(cell, str) else cell for cell in cells]))
        try:
            reference = normalize_reference(str(values.get("booking_ref", "")))
            if not re.fullmatch(REFERENCE_PATTERN, reference):
                raise ValueError(f"booking_ref {values.get('booking_ref')!r} must be 4 to 20 letters and digits")
            surname = str(values.get("surname", ""))
            if not surname or len(surname) > 100:
                raise ValueError("surname must be 1 to 100 characters")
            try:
                check_in_date = _iso_date(values.get("check_in", ""))
                check_out_date = _iso_date(values.get("check_out", ""))
            except ValueError:
                raise ValueError("check_in and check_out must be dates like 2026-07-14") from None
            if check_out_date <= check_in_date:
                raise ValueError("check_out must be after check_in")
        except ValueError as problem:
            problems.append(RowProblem(line, str(problem)))
            continue
        bookings.append(IncomingBooking(line, BookingSource.OWNER, reference, surname, (str(values.get("room", "")),),
                                        check_in_date, check_out_date, cancelled=False))
    return ParsedFile("checkin", bookings, problems, all_or_nothing=True)


def _iso_date(value: Cell) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def surname_from_name(name: str) -> str:
    """The surname in a platform's one name field: all but the first word ("Ana García Márquez"
    gives "García Márquez"; the lookup also accepts "Márquez"). The owner can correct it."""
    words = name.split()
    return " ".join(words[1:] if len(words) > 1 else words)[:100]


def _reference(value: Cell, column: str) -> str:
    reference = normalize_reference(str(value))
    if not re.fullmatch(REFERENCE_PATTERN, reference):
        raise ValueError(f"{column} {str(value)!r} must be 4 to 20 letters and digits")
    return reference


def _status_cancels(value: Cell) -> bool:
    status = header_key(str(value))
    if any(word in status for word in CANCELLED_WORDS):
        return True
    if any(word in status for word in NOT_BOOKED_WORDS):
        raise ValueError(f"status {str(value)!r} is a request, not a booking")
    return False


def _stay(start: Cell, end: Cell, order: str | None) -> tuple[date, date]:
    check_in_date, check_out_date = parse_date(start, order), parse_date(end, order)
    if check_out_date <= check_in_date:
        raise ValueError("the end date must be after the start date")
    return check_in_date, check_out_date


DATE_SHAPE = re.compile(r"(\d{1,4})[./\-](\d{1,2})[./\-](\d{1,4})")


def parse_date(value: Cell, order: str | None) -> date:
    """A date as a spreadsheet stored it, or as text: 2026-12-01, 12/01/2026, 1/12/26, 01.12.2026."""
    if isinstance(value, date):
        return value
    match = DATE_SHAPE.fullmatch(value.strip().split(" ")[0]) if value.strip() else None
    if match is None:
        raise ValueError(f"{value!r} is not a date")
    first, second, third = match.groups()
    try:
        if len(first) == 4:
            return date(int(first), int(second), int(third))
        year = int(third) + (2000 if len(third) <= 2 else 0)
        day, month = (int(first), int(second)) if order == "dmy" else (int(second), int(first))
        if order is None and int(first) <= 12 and int(second) <= 12 and first != second:
            raise ValueError(f"{value!r} could be either day/month or month/day")
        if order is None:
            day, month = max(int(first), int(second)), min(int(first), int(second))
        return date(year, month, day)
    except ValueError as problem:
        raise ValueError(str(problem) if "could be" in str(problem) else f"{value!r} is not a date") from None


def _date_order(table: Table, positions: dict[str, int]) -> str | None:
    """Day/month or month/day, as the file's rows prove it: a day above 12, else the nights count.

    None when no row needs it (ISO dates, or day equal to month); FileRefused when the file
    cannot tell, so the owner says it with --date-order.
    """
    proofs = set()
    undecided = False
    for _, cells in table.rows:
        texts = [cells[positions[name]] for name in ("start", "end") if positions[name] < len(cells)]
        texts = [text.strip().split(" ")[0] for text in texts if isinstance(text, str)]
        shapes = [DATE_SHAPE.fullmatch(text) for text in texts]
        shapes = [shape for shape in shapes if shape and len(shape.group(1)) <= 2]
        for shape in shapes:
            first, second = int(shape.group(1)), int(shape.group(2))
            if first > 12:
                proofs.add("dmy")
            elif second > 12:
                proofs.add("mdy")
            elif first != second:
                undecided = True
        if len(shapes) == 2 and "nights" in positions and positions["nights"] < len(cells):
            proofs |= _orders_fitting_nights(shapes, str(cells[positions["nights"]]).strip())
    if len(proofs) == 1:
        return proofs.pop()
    if len(proofs) > 1:
        raise FileRefused("The file's dates mix day/month and month/day: run the import with --date-order dmy "
                          "(31/12/2026) or --date-order mdy (12/31/2026).", needs_date_order=True)
    if undecided:
        raise FileRefused("The file's dates could be day/month or month/day (like 05/06/2026): run the import "
                          "with --date-order dmy (31/12/2026) or --date-order mdy (12/31/2026).", needs_date_order=True)
    return None


def _orders_fitting_nights(shapes, nights: str) -> set[str]:
    """The one date order under which the stay has the row's number of nights, if only one does."""
    if not nights.isdigit():
        return set()
    fitting = set()
    for order in DATE_ORDERS:
        try:
            start, end = (parse_date(shape.group(0), order) for shape in shapes)
        except ValueError:
            continue
        if end - start == timedelta(days=int(nights)):
            fitting.add(order)
    return fitting if len(fitting) == 1 else set()
