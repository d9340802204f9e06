"""Guests find their booking with the reference their platform gave them, typed loosely."""
import pytest

from checkin.extensions import db
from checkin.models import Booking, BookingSource, Room


def add_booking(app, reference, surname, platform_reference=None, phone_last4=None, source=BookingSource.OWNER,
                room="Room 1"):
    with app.app_context():
        today_booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40321"))
        room_id = db.session.scalar(db.select(Room.id).where(Room.name == room))
        db.session.add(Booking(
            reference=reference, platform_reference=platform_reference, surname=surname, phone_last4=phone_last4,
            source=source, room_id=room_id, check_in_date=today_booking.check_in_date,
            check_out_date=today_booking.check_out_date,
        ))
        db.session.commit()


@pytest.mark.parametrize(("stored", "typed"), [
    ("HMZ4HZCAP8", "hmz4 hzcap8"),
    ("HMZ4HZCAP8", "HMZ4HZCAP8"),
    ("HA1A2B3C", "ha-1a2b3c"),
    ("HA1A2B3C", "HA\u20111A2B3C"),  # a non-breaking hyphen, as phones paste it
    ("4012345678", "4012 345 678"),
])
def test_platform_references_are_found_however_the_guest_types_them(app, guest, demo, stored, typed):
    add_booking(app, stored, "Rivera")
    assert guest.find_booking(typed, "rivera").headers["Location"] == "/details"


def test_any_trailing_part_of_a_two_word_surname_finds_the_booking(app, client, demo):
    from conftest import Guest

    add_booking(app, "HMZ4HZCAP8", "García Márquez")
    for answer in ("García Márquez", "garcia marquez", "Márquez"):
        assert Guest(app.test_client()).find_booking("HMZ4HZCAP8", answer).status_code == 302, answer
    for answer in ("García", "Ana García Márquez", "arquez"):
        assert Guest(app.test_client()).find_booking("HMZ4HZCAP8", answer).status_code == 200, answer


def test_the_hint_says_where_each_platform_shows_the_reference(client, demo):
    page = client.get("/").get_data(as_text=True)
    assert "Airbnb: the confirmation code" in page and "Booking.com: the booking number" in page
    assert 'inputmode="numeric"' not in page


def test_the_hint_is_translated(client, demo):
    page = client.get("/?lang=fr", follow_redirects=True).get_data(as_text=True)
    assert "Airbnb : le code de confirmation" in page


def test_an_unknown_reference_says_the_booking_may_not_have_reached_us_and_how_to_reach_the_owner(app, guest, demo):
    unknown = guest.find_booking("ZZZ999ZZZ", "Rivera").get_data(as_text=True)
    wrong_surname = guest.find_booking("40321", "Rivera").get_data(as_text=True)
    for page in (unknown, wrong_surname):  # the same words: nothing says which references exist
        assert "may not have reached us yet" in page
        assert 'href="tel:+442079460000"' in page


def test_the_phone_digits_label_shows_only_when_some_booking_has_no_surname(app, client, demo):
    assert "Surname (as on the booking)" in client.get("/").get_data(as_text=True)
    add_booking(app, "HMZ4HZCAP8", "", phone_last4="0123", source=BookingSource.AIRBNB)
    assert "Surname (or the last 4 digits of your phone number)" in client.get("/").get_data(as_text=True)
    french = client.get("/?lang=fr", follow_redirects=True).get_data(as_text=True)
    assert "Nom de famille (ou les 4 derniers chiffres de votre numéro de téléphone)" in french


def test_phone_digits_find_only_the_booking_they_belong_to(app, demo):
    from conftest import Guest

    add_booking(app, "HMZ4HZCAP8", "", phone_last4="0123", source=BookingSource.AIRBNB)
    assert Guest(app.test_client()).find_booking("HMZ4HZCAP8", "01 23").status_code == 302
    assert Guest(app.test_client()).find_booking("HMZ4HZCAP8", "0124").status_code == 200
    assert Guest(app.test_client()).find_booking("40321", "0123").status_code == 200  # not a surname of 40321
    # A booking with neither surname nor phone can be found by nobody, whatever is typed.
    add_booking(app, "CAL1A2B3C4D5E", "", source=BookingSource.CALENDAR, room="Room 2")
    assert Guest(app.test_client()).find_booking("CAL1A2B3C4D5E", "").status_code == 200
    assert Guest(app.test_client()).find_booking("CAL1A2B3C4D5E", " ").status_code == 200


def test_a_multi_room_booking_checks_in_one_room_after_the_other(app, cloud, demo):
    from conftest import Guest

    add_booking(app, "4012345678", "Fictional", platform_reference="4012345678", source=BookingSource.BOOKING_COM)
    add_booking(app, "4012345678R2", "Fictional", platform_reference="4012345678", source=BookingSource.BOOKING_COM,
                room="Room 2")
    first = Guest(app.test_client())
    assert first.check_in("4012345678", "Fictional").status_code == 302
    second = Guest(app.test_client())
    assert second.find_booking("4012 345 678", "fictional").headers["Location"] == "/details"
    page = second.client.get("/details").get_data(as_text=True)
    assert "4012345678R2" in page and "Room 2" in page


def test_a_stay_gone_from_its_calendar_mid_check_in_starts_no_pin(app, guest, demo):
    from checkin.clock import utc_now

    assert guest.find_booking().status_code == 302
    with app.app_context():
        db.session.scalar(db.select(Booking).where(Booking.reference == "40321")).missing_from_calendar_at = utc_now()
        db.session.commit()
    page = guest.client.get("/details")
    assert page.status_code == 200 and b"not quite ready for online check-in" in page.data
    from conftest import csrf_token

    token = csrf_token(guest.client.get("/"))  # the session's token, from a page that has a form
    posted = guest.client.post("/details", data={"csrf_token": token, "full_name": "Alex Testington",
                                                 "phone": "+44 20 7946 0123", "email": "alex@example.com"})
    assert b"not quite ready for online check-in" in posted.data
    with app.app_context():
        check_in = db.session.scalar(db.select(Booking).where(Booking.reference == "40321")).check_in
        assert (check_in.pin_state, check_in.full_name) == ("not_started", None)
