"""Each guest page: what it accepts, what it refuses, and that nothing typed is lost."""
import pytest
import time_machine
from conftest import csrf_token

from checkin.extensions import db
from checkin.models import Booking, CheckIn

SAME_MISS = b"We can&#39;t find a booking with that reference and surname."


def test_find_booking_accepts_reference_and_surname_loosely(guest, demo):
    response = guest.find_booking(reference=" 403-21 ", surname="  TESTINGTON ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/details"


def test_surname_compared_without_case_accents_spaces_or_hyphens(app, guest, demo):
    with app.app_context():
        db.session.get(Booking, 1).surname = "Müller-Lüdenscheidt"
        db.session.commit()
    reference = "40321"
    assert guest.find_booking(reference, "mueller").status_code == 200
    assert guest.find_booking(reference, "muller ludenscheidt").status_code == 302


def test_every_kind_of_miss_gets_the_same_message(guest, demo):
    wrong_surname = guest.find_booking("40321", "Smith")
    unknown_reference = guest.find_booking("99999", "Testington")
    for response in (wrong_surname, unknown_reference):
        assert response.status_code == 200
        assert SAME_MISS in response.data
    # What was typed stays in the form.
    assert b'value="Smith"' in wrong_surname.data
    assert b'value="99999"' in unknown_reference.data


def test_find_booking_field_errors_sit_beside_the_field(guest, demo):
    response = guest.find_booking(reference="AB/12", surname="")
    assert response.status_code == 200
    assert b'id="reference-error">A booking reference has only letters, digits and hyphens' in response.data
    assert b'id="surname-error">Enter the surname' in response.data
    assert b'href="#reference"' in response.data  # the summary links to the field
    assert b'value="AB/12"' in response.data


def test_cancelled_booking_gets_a_clear_page(guest, demo):
    response = guest.find_booking("40324", "Placeholder")
    assert response.status_code == 200
    assert b"This booking was cancelled" in response.data


def test_too_early_says_when_check_in_opens(guest, demo):
    response = guest.find_booking("40323", "Exampleford")
    assert b"a little early to check in" in response.data


def test_early_check_in_days_opens_it_sooner(app, guest, demo):
    app.config["EARLY_CHECK_IN_DAYS"] = 5
    assert guest.find_booking("40323", "Exampleford").status_code == 302


def test_stay_already_over_gets_a_clear_page(guest, demo, app):
    with app.app_context():
        checkout_day = db.session.get(Booking, 1).check_out_date
    # 11:00 on check-out day in London is the end; a minute later the stay is over.
    with time_machine.travel(f"{checkout_day.isoformat()}T11:01:00+00:00"):
        response = guest.find_booking()
    assert b"This stay has ended" in response.data


def test_details_are_validated_and_kept(guest, demo):
    guest.find_booking()
    response = guest.give_details(full_name="", phone="12", email="not-an-email")
    assert response.status_code == 200
    assert b'id="full_name-error">Enter your full name.' in response.data
    assert b'id="phone-error">Enter a phone number with its country code' in response.data
    assert b'id="email-error">Enter an email address like name@example.com.' in response.data
    assert b'value="12"' in response.data and b'value="not-an-email"' in response.data


@pytest.mark.parametrize("phone", ["+44 20 7946 012", "+44 1234 567", "+1 555 0100 123"])
def test_a_possible_phone_number_is_accepted_even_if_not_known_valid(guest, demo, phone):
    """New number ranges fail phonenumbers' "valid" check: a guest is never stuck over one."""
    guest.find_booking()
    assert guest.give_details(phone=phone).headers["Location"] == "/parking"


@pytest.mark.parametrize(
    ("phone", "example"), [("12", "+44 121 234 5678"), ("+33 12", "+33 1 23 45 67 89"), ("+999 1", "+44 121 234 5678")]
)
def test_an_impossible_phone_number_is_refused_with_an_example_of_the_guests_country(guest, demo, phone, example):
    guest.find_booking()
    response = guest.give_details(phone=phone)
    assert response.status_code == 200
    assert f'id="phone-error">Enter a phone number with its country code, like {example}.' in response.get_data(as_text=True)


def test_the_phone_error_is_translated(client, guest, demo):
    guest.find_booking()
    response = guest.give_details(phone="+33 12", headers={"Accept-Language": "fr"})
    assert "Indiquez le numéro avec l’indicatif du pays, par exemple +33 1 23 45 67 89." in response.get_data(as_text=True)


def test_details_store_phone_as_e164_and_names_in_any_script(app, guest, demo):
    guest.find_booking()
    response = guest.give_details(full_name="Zoë 王小明", phone="020 7946 0123", email="Alex@Example.com")
    assert response.headers["Location"] == "/parking"
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        assert check_in.phone == "+442079460123"
        assert check_in.full_name == "Zoë 王小明"
        assert check_in.email == "Alex@example.com"


def test_parking_needs_a_registration_or_no_car(app, guest, demo):
    guest.find_booking()
    guest.give_details()
    missing = guest.post_form("/parking", {"car_registration": ""})
    assert b"Enter your car registration, or choose" in missing.data
    bad = guest.give_parking("AB<12>")
    assert b"Use only letters, digits, spaces and hyphens" in bad.data
    assert b'value="AB&lt;12&gt;"' in bad.data
    assert guest.give_parking("ab12 cde").headers["Location"] == "/review"
    with app.app_context():
        assert db.session.scalar(db.select(CheckIn.car_registration)) == "AB12 CDE"
    guest.give_parking(None)
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        assert (check_in.has_car, check_in.car_registration) == (False, None)


def test_review_shows_every_answer_with_a_way_to_change_it(guest, demo):
    guest.find_booking()
    guest.give_details()
    guest.give_parking("AB12 CDE")
    page = guest.client.get("/review").data
    for expected in (b"Alex Testington", b"+442079460123", b"alex@example.com", b"AB12 CDE", b"Room 1"):
        assert expected in page
    assert page.count(b">Change<") == 4
    assert b"Confirm and get my door code" in page


def test_change_from_review_returns_to_review(guest, demo):
    guest.find_booking()
    guest.give_details()
    guest.give_parking(None)
    response = guest.post_form(
        "/details?from=review", {"full_name": "Sam Testington", "phone": "+44 20 7946 0999", "email": "s@example.com"}
    )
    assert response.headers["Location"] == "/review"


def test_pages_in_order(guest, demo):
    """A guest who skips ahead is sent back to the step they missed."""
    assert guest.client.get("/details").headers["Location"] == "/"
    guest.find_booking()
    assert guest.client.get("/parking").headers["Location"] == "/details"
    assert guest.client.get("/review").headers["Location"] == "/details"
    guest.give_details()
    assert guest.client.get("/review").headers["Location"] == "/parking"


def test_form_without_csrf_token_gets_a_friendly_page(client, demo):
    response = client.post("/", data={"reference": "40321", "surname": "Testington"})
    assert response.status_code == 400
    assert b"This page expired" in response.data
    assert b"Carry on checking in" in response.data
    assert b"CSRF" not in response.data


def test_unknown_page_is_friendly(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_security_headers_on_every_page(client, demo):
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_csrf_token_is_in_every_form(guest, demo):
    assert csrf_token(guest.client.get("/"))


def test_registrations_with_letters_of_other_alphabets_are_accepted(app, guest, demo):
    guest.find_booking()
    guest.give_details()
    assert guest.give_parking("mü-ab 123").headers["Location"] == "/review"
    with app.app_context():
        assert db.session.scalar(db.select(CheckIn.car_registration)) == "MÜ-AB 123"
