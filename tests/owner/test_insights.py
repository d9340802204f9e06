"""The owner's insights: guests walk the pages, the owner reads where they stopped, how long
Confirm took and which locks failed, on the page and in the CSV; no guest data in the events."""
import csv
import io
import re
from datetime import datetime, time, timedelta

import pytest
from conftest import Guest
from sqlalchemy import delete, insert, select

from checkin.clock import property_today, property_zone, utc_now
from checkin.extensions import db
from checkin.locks import LockBusy
from checkin.models import Booking, CheckIn, FunnelEvent, LockCode, Room
from checkin.services.insights import Step, record_pin_failure
from checkin.services.property_setup import save_lock
from guest_driver import PARKING

from .conftest import ROOM_1, Owner, wait_for_pin


def add_bookings(app, count, first_reference=50001, arrives_in_days=0, nights=2):
    """Bookings in Room 1 for guests "Walker1", "Walker2", ...; returns (reference, surname) pairs."""
    with app.app_context():
        room = db.session.scalar(select(Room).where(Room.name == "Room 1"))
        today = property_today()
        pairs = []
        for number in range(count):
            reference, surname = str(first_reference + number), f"Walker{number + 1}"
            arrival = today + timedelta(days=arrives_in_days)
            db.session.add(Booking(reference=reference, surname=surname, room=room, check_in_date=arrival,
                                   check_out_date=arrival + timedelta(days=nights)))
            pairs.append((reference, surname))
        db.session.commit()
        return pairs


def walk_to_parking(app, reference, surname) -> Guest:
    """A guest on their own phone: finds the booking, gives details, sees the parking page and stops."""
    guest = Guest(app.test_client())
    assert guest.find_booking(reference, surname).status_code == 302
    assert guest.give_details(full_name=f"Sam {surname}").status_code == 302
    assert PARKING.heading in guest.client.get(PARKING.path).get_data(as_text=True)
    return guest


def walk_to_room(app, reference, surname) -> Guest:
    """A guest on their own phone who checks in and opens the room page they are sent to."""
    guest = Guest(app.test_client())
    confirmed = guest.check_in(reference, surname)
    assert confirmed.status_code == 302 and "/room/" in confirmed.location
    assert guest.client.get(confirmed.location).status_code == 200
    return guest


def funnel_table(page: str) -> dict[str, tuple[str, str]]:
    """The funnel table as {step: (reached, stopped)}, read from the rendered HTML."""
    rows = re.findall(
        r'<tr id="step-(\w+)"><th scope="row">[^<]+</th><td class="num">([^<]+)</td><td class="num">([^<]+)</td></tr>',
        page,
    )
    return {step: (reached, stopped) for step, reached, stopped in rows}


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def add_event(app, step: Step, occurred_at: datetime, times=1, **measures) -> None:
    with app.app_context():
        db.session.execute(insert(FunnelEvent), [dict(step=step, occurred_at=occurred_at, **measures)] * times)
        db.session.commit()


def test_the_owner_sees_how_many_guests_got_stuck_on_parking_last_week(app, demo, cloud, owner):
    guests = add_bookings(app, 5)
    for reference, surname in guests[:2]:
        walk_to_room(app, reference, surname)
    for reference, surname in guests[2:4]:
        walk_to_parking(app, reference, surname)
    stuck_on_details = Guest(app.test_client())
    assert stuck_on_details.find_booking(*guests[4]).status_code == 302
    assert stuck_on_details.client.get("/details").status_code == 200
    # Someone who never found their booking, a visit without a search (a monitor, say), and a
    # guest who stopped at parking eight days ago.
    assert Guest(app.test_client()).find_booking("59999", "Nobody").status_code == 200
    assert Guest(app.test_client()).client.get("/contact").status_code == 200
    with app.app_context():
        eight_days_ago = utc_now() - timedelta(days=8)
    add_event(app, Step.PARKING, eight_days_ago)

    page = owner.client.get("/owner/insights?period=7d")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert funnel_table(html) == {
        "find_booking": ("6", "1"),
        "details": ("5", "1"),
        "parking": ("4", "2"),  # the answer: two guests stopped on the parking page
        "review": ("2", "0"),
        "confirm": ("2", "0"),
        "room": ("2", "—"),
    }
    assert 'aria-current="page">Last 7 days' in html
    assert "Needed the contact page: <strong>0</strong>" in html
    assert "Guests reaching each step of check-in" in html and "Parking: 4 reached, 2 stopped here." in html

    download = owner.client.get("/owner/insights.csv?period=7d")
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
    assert download.get_data().startswith("\ufeffsection,item,value".encode())  # UTF-8 for spreadsheets
    rows = csv_rows(download)
    assert ["stopped at", "Parking", "2"] in rows
    assert ["reached", "Parking", "4"] in rows
    assert ["reached", "Room page", "2"] in rows

    # Thirty days include the guest of eight days ago.
    assert funnel_table(owner.client.get("/owner/insights?period=30d").get_data(as_text=True))["parking"] == ("5", "3")


def test_a_guest_counts_once_however_often_they_reload_or_go_back(app, demo, cloud, owner):
    (reference, surname), = add_bookings(app, 1)
    guest = walk_to_parking(app, reference, surname)
    for path in ["/", "/details", "/parking", "/parking"]:
        guest.client.get(path)
    # A second guest on the same phone counts as a guest of their own, from page 1.
    (other_reference, other_surname), = add_bookings(app, 1, first_reference=50100)
    assert guest.find_booking(other_reference, other_surname).status_code == 302
    guest.client.get("/details")

    reached = {step: reached for step, (reached, _) in funnel_table(
        owner.client.get("/owner/insights?period=today").get_data(as_text=True)).items()}
    assert reached["find_booking"] == "2" and reached["details"] == "2" and reached["parking"] == "1"


def test_waits_at_confirm_almost_ready_pin_failures_and_the_contact_page(app, demo, cloud, owner):
    quick, slow, failing = add_bookings(app, 3)
    walk_to_room(app, *quick)

    # The locks hold the second guest's PIN until after Confirm gives up waiting: "almost ready".
    app.config["CONFIRM_WAIT_SECONDS"] = 0.2
    cloud.gate.clear()
    waiting = Guest(app.test_client())
    confirmed = waiting.check_in(*slow)
    assert confirmed.location.endswith("/almost-ready")
    assert waiting.client.get("/almost-ready").status_code == 200
    cloud.gate.set()
    wait_for_pin(app, slow[0])
    assert waiting.client.get("/almost-ready").status_code == 302

    # The third guest's room lock stays busy on every attempt: the contact page (an offline
    # gateway would give backup codes instead).
    busy = LockBusy("Room 1 door (2001) is busy with another command (TTLock error -3003).")
    cloud.failures[("add", ROOM_1)] = [busy] * 5
    app.config["CONFIRM_WAIT_SECONDS"] = 20.0  # Confirm waits for the job's two attempts, however loaded the machine
    stuck = Guest(app.test_client())
    confirmed = stuck.check_in(*failing)
    assert confirmed.location.endswith("/contact")
    assert stuck.client.get("/contact").status_code == 200

    html = owner.client.get("/owner/insights?period=today").get_data(as_text=True)
    assert funnel_table(html)["confirm"] == ("3", "2")
    assert re.search(r'id="needed-contact">Needed the contact page: <strong>1</strong> guest\.', html)
    assert re.search(r'<dd id="almost-ready">1</dd>', html)
    assert re.search(r'<dd id="wait-median">[0-9.]+ s</dd>', html)
    assert "<td>Room 1 door</td><td class=\"reason\">The lock is busy with another command" in html

    rows = csv_rows(owner.client.get("/owner/insights.csv?period=today"))
    assert ["confirm wait", "confirmations measured", "3"] in rows
    assert ["confirm wait", "saw almost ready", "1"] in rows
    assert ["needed help", "Contact page", "1"] in rows
    assert [
        "PIN failures", "Room 1 door: The lock is busy with another command (TTLock error -3003).", "1"
    ] in rows


def test_a_failure_reason_never_runs_as_a_spreadsheet_formula(app, demo, owner):
    with app.app_context():
        save_lock("=Shed door", 3003, False)
        record_pin_failure("=Shed door (3003) is offline: its gateway cannot reach it (TTLock error -3036).")
        record_pin_failure("The TTLock account made too many API calls in a short time; wait a while.")
    html = owner.client.get("/owner/insights?period=today").get_data(as_text=True)
    assert "<td>No single lock</td><td class=\"reason\">The TTLock account made too many API calls" in html
    rows = csv_rows(owner.client.get("/owner/insights.csv?period=today"))
    assert ["PIN failures", "'=Shed door: The lock is offline: its gateway cannot reach it (TTLock error -3036).", "1"] in rows


def test_median_and_95th_percentile_of_the_wait(app, owner):
    with app.app_context():
        now = utc_now()
    for wait_ms in range(100, 2100, 100):  # 20 waits: 0.1 s to 2.0 s
        add_event(app, Step.CONFIRM, now, wait_ms=wait_ms, before_arrival=False)
    html = owner.client.get("/owner/insights?period=today").get_data(as_text=True)
    assert '<dd id="wait-median">1.1 s</dd>' in html  # (1.0 + 1.1) / 2 = 1.05, rounded
    assert '<dd id="wait-p95">1.9 s</dd>' in html  # the 19th of 20
    rows = csv_rows(owner.client.get("/owner/insights.csv?period=today"))
    assert ["confirm wait", "median ms", "1050"] in rows and ["confirm wait", "95th percentile ms", "1900"] in rows


@pytest.mark.parametrize("app_config", [{"EARLY_CHECK_IN_DAYS": 1}])
def test_the_share_of_guests_who_checked_in_before_arriving(app, demo, cloud, owner):
    tomorrow, = add_bookings(app, 1, arrives_in_days=1)
    since_yesterday, = add_bookings(app, 1, first_reference=50200, arrives_in_days=-1)
    walk_to_room(app, *tomorrow)
    walk_to_room(app, *since_yesterday)
    html = owner.client.get("/owner/insights?period=today").get_data(as_text=True)
    assert re.search(r'id="before-arrival"><strong>50%</strong>: 1 of\s+2 guests confirmed before', html)
    assert ["checked in before arriving", "share %", "50.0"] in csv_rows(owner.client.get("/owner/insights.csv?period=today"))


@pytest.mark.parametrize("app_config", [{"PROPERTY_TIMEZONE": "Pacific/Auckland", "PROPERTY_LOCALE": "de_DE"}])
def test_today_is_the_property_s_day_with_its_numbers(app, owner):
    with app.app_context():
        midnight = datetime.combine(property_today(), time(0), tzinfo=property_zone())
    add_event(app, Step.FIND_BOOKING, midnight + timedelta(minutes=1))
    add_event(app, Step.DETAILS, midnight - timedelta(minutes=1))  # yesterday at the property
    add_event(app, Step.REVIEW, midnight + timedelta(minutes=2), times=1200)
    table = funnel_table(owner.client.get("/owner/insights?period=today").get_data(as_text=True))
    assert table["find_booking"] == ("1", "1") and table["details"] == ("0", "0")
    assert table["review"][0] == "1.200"  # German digits on the English page


def test_events_hold_no_guest_data_and_outlive_the_purge(app, demo, cloud, owner):
    (reference, surname), = add_bookings(app, 1)
    walk_to_room(app, reference, surname)
    with app.app_context():
        columns = set(FunnelEvent.__table__.columns.keys())
        assert columns == {"id", "occurred_at", "step", "wait_ms", "before_arrival", "lock_name", "reason"}
        stored = " ".join(str(value) for row in db.session.execute(select(FunnelEvent)).all() for value in row)
        for private in (reference, surname, "alex@example.com", "7946", "127.0.0.1", "AB12"):
            assert private not in stored
        # Deleting every guest's data (as the purge will) leaves the figures.
        db.session.execute(delete(LockCode))
        db.session.execute(delete(CheckIn))
        db.session.execute(delete(Booking))
        db.session.commit()
    assert funnel_table(owner.client.get("/owner/insights?period=today").get_data(as_text=True))["room"] == ("1", "—")


def test_the_page_is_the_owner_s_only_and_works_without_script_or_other_sites(app, client, owner_account):
    assert client.get("/owner/insights").status_code == 302
    assert client.get("/owner/insights.csv").status_code == 302
    Owner(client).log_in()
    page = client.get("/owner/insights?period=nonsense")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'aria-current="page">Last 7 days' in html  # the default period
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)
    assert re.search(r'<svg class="funnel-chart" role="img" aria-labelledby="funnel-chart-title funnel-chart-desc"', html)
    assert 'href="/owner/insights"' in html  # in the menu
    assert page.headers["Cache-Control"] == "no-store"
