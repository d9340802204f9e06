"""Made-up exports shaped like the platforms' own: Airbnb's reservations CSV (in the host's
language), Booking.com's reservations export (.xls, .xlsx) and the calendars' .ics feeds.
Every guest is invented; phone numbers are in the +44 20 7946 0xxx drama range."""
import csv
import io
from datetime import date

AIRBNB_HEADERS = {
    "en": ["Confirmation code", "Status", "Guest name", "Contact", "# of adults", "# of children", "# of infants",
           "Start date", "End date", "# of nights", "Booked", "Listing", "Earnings"],
    "fr": ["Code de confirmation", "Statut", "Nom du voyageur", "Contact", "Nombre d'adultes", "Nombre d'enfants",
           "Nombre de bébés", "Date de début", "Date de fin", "Nombre de nuits", "Réservé", "Annonce", "Revenus"],
    "de": ["Bestätigungscode", "Status", "Name des Gastes", "Kontakt", "Anzahl der Erwachsenen",
           "Anzahl der Kinder", "Anzahl der Kleinkinder", "Startdatum", "Enddatum", "Anzahl der Nächte", "Gebucht",
           "Inserat", "Einnahmen"],
    "es": ["Código de confirmación", "Estado", "Nombre del huésped", "Contacto", "N.º de adultos", "N.º de niños",
           "N.º de bebés", "Fecha de inicio", "Fecha de finalización", "N.º de noches", "Reservado", "Anuncio",
           "Ganancias"],
    "it": ["Codice di conferma", "Stato", "Nome dell'ospite", "Contatto", "N. di adulti", "N. di bambini",
           "N. di neonati", "Data di inizio", "Data di fine", "N. di notti", "Prenotato", "Annuncio", "Guadagni"],
    "pt": ["Código de confirmação", "Status", "Nome do hóspede", "Contato", "Nº de adultos", "Nº de crianças",
           "Nº de bebês", "Data de início", "Data de término", "Nº de noites", "Reservado", "Anúncio", "Ganhos"],
}
BOOKING_COM_HEADER = ["Book number", "Booked by", "Guest name(s)", "Check-in", "Check-out", "Booked on", "Status",
                      "Rooms", "People", "Adults", "Children", "Children's ages", "Price", "Commission %",
                      "Commission amount", "Payment status", "Payment method", "Remarks", "Booker group",
                      "Booker country", "Travel purpose", "Device", "Unit type", "Duration (nights)",
                      "Cancellation date", "Address", "Phone number"]


def airbnb_row(code, status, guest, start: date, end: date, listing, date_format="%m/%d/%Y", nights=None):
    nights = (end - start).days if nights is None else nights
    return [code, status, guest, "+44 20 7946 0" + code[-3:].translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678901234567890123456")),
            "2", "0", "0", start.strftime(date_format), end.strftime(date_format), str(nights),
            "2026-01-15", listing, "€312.00"]


def airbnb_csv(rows, language="en", delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(AIRBNB_HEADERS[language])
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def booking_com_row(number, booked_by, guests, start: date, end: date, status, unit_type, rooms=1, phone="+44 20 7946 0555"):
    return [number, booked_by, guests, start, end, date(2026, 1, 20), status, rooms, 2, 2, 0, "", "240 EUR", "15%",
            "36 EUR", "by_guest", "", "Late arrival", "", "gb", "Leisure", "Mobile", unit_type, (end - start).days,
            "", "", phone]


def booking_com_xlsx(rows) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(BOOKING_COM_HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def booking_com_xls(rows) -> bytes:
    import xlwt

    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Reservations")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for column, title in enumerate(BOOKING_COM_HEADER):
        sheet.write(0, column, title)
    for line, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, date):
                sheet.write(line, column, value, date_style)
            elif isinstance(value, str) and value.isdigit() and column == 0:
                sheet.write(line, column, int(value))  # Booking.com's book number is a number cell
            else:
                sheet.write(line, column, value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ics(*events: str, name="Listing") -> bytes:
    """A calendar feed as the platforms serve it: CRLF lines, long lines folded at 75 octets."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Platform//Hosting Calendar 1.0//EN",
             "CALSCALE:GREGORIAN", f"X-WR-CALNAME:{name}"]
    for event in events:
        lines += event.strip("\n").split("\n")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


def _fold(line: str) -> str:
    folded, data = [], line.encode()
    while len(data) > 75:
        cut = 75 if not folded else 74
        while data[cut] & 0xC0 == 0x80:  # never inside a UTF-8 character
            cut -= 1
        folded.append(data[:cut].decode())
        data = data[cut:]
    folded.append(data.decode())
    return "\r\n ".join(folded)


def airbnb_event(uid, start: date, end: date, code, phone_last4, link="https://www.airbnb.com/hosting/reservations/details/{code}"):
    return f"""BEGIN:VEVENT
DTSTAMP:20260101T120000Z
DTSTART;VALUE=DATE:{start:%Y%m%d}
DTEND;VALUE=DATE:{end:%Y%m%d}
SUMMARY:Reserved
UID:{uid}
DESCRIPTION:Reservation URL: {link.format(code=code)}\\nPhone Number (Last 4 Digits): {phone_last4}
END:VEVENT"""


def airbnb_block(uid, start: date, end: date):
    return f"""BEGIN:VEVENT
DTSTAMP:20260101T120000Z
DTSTART;VALUE=DATE:{start:%Y%m%d}
DTEND;VALUE=DATE:{end:%Y%m%d}
SUMMARY:Airbnb (Not available)
UID:{uid}
END:VEVENT"""


def booking_com_event(uid, start: date, nights: int, summary="Booked"):
    """Booking.com gives only the room and the dates; this one has a DURATION instead of a DTEND."""
    return f"""BEGIN:VEVENT
DTSTAMP:20260101T120000Z
DTSTART;VALUE=DATE:{start:%Y%m%d}
DURATION:P{nights}D
SUMMARY:{summary}
UID:{uid}
END:VEVENT"""
