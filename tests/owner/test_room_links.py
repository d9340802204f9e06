"""A room link shows one PIN, and only the browser that confirmed carries on to it."""
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from conftest import Guest, csrf_token, shows_pin

from checkin.extensions import db
from checkin.models import CheckIn

from .conftest import wait_for_pin

ROOM_LINK = re.compile(r"/room/[A-Za-z0-9_-]{43}")


def pin_shown(response) -> str:
    return re.search(rb'<p class="pin"[^>]*>([0-9]{4})</p>', response.data).group(1).decode()


@pytest.fixture
def guest_link(app, demo, cloud):
    """Guest 40321 confirmed in their browser with a ready PIN: (their browser, their room link)."""
    guest = Guest(app.test_client())
    guest.find_booking()
    guest.give_details()
    guest.give_parking(None)
    wait_for_pin(app)
    link = guest.confirm().headers["Location"]
    assert ROOM_LINK.fullmatch(link)
    return guest, link


def test_revoke_ends_the_room_link(app, owner, guest_link):
    guest, link = guest_link
    owner.post("/owner/bookings/40321/revoke-pin")
    response = app.test_client().get(link)
    assert response.status_code == 410
    assert b"This link has expired" in response.data
    # The confirming browser is told to contact the property, not sent to the dead link.
    assert guest.client.get("/almost-ready").headers["Location"] == "/contact"


def test_a_new_pin_comes_with_a_new_link_for_the_confirming_browser_and_the_owner(app, client, owner, guest_link):
    guest, old_link = guest_link
    old_pin = pin_shown(app.test_client().get(old_link))
    owner.post("/owner/bookings/40321/revoke-pin")
    owner.post("/owner/bookings/40321/retry-pin")
    new_pin = wait_for_pin(app).pin
    assert app.test_client().get(old_link).status_code == 410  # never the new PIN at the old link
    new_link = guest.client.get("/details").headers["Location"]
    assert ROOM_LINK.fullmatch(new_link) and new_link != old_link
    assert pin_shown(app.test_client().get(new_link)) == new_pin
    owner_page = client.get("/owner/bookings/40321").get_data(as_text=True)
    assert f"http://localhost{new_link}" in owner_page and old_link not in owner_page
    assert not shows_pin(owner_page, old_pin) and not shows_pin(owner_page, new_pin)


def test_the_link_stays_the_same_while_its_pin_lives(app, client, owner, guest_link):
    guest, link = guest_link
    assert guest.client.get("/details").headers["Location"] == link
    assert link in client.get("/owner/bookings/40321").get_data(as_text=True)
    assert app.test_client().get(link).status_code == 200


def test_a_browser_that_only_looked_the_booking_up_never_reaches_the_room(app, demo, cloud):
    looker, guest = Guest(app.test_client()), Guest(app.test_client())
    looker.find_booking()
    guest.find_booking()
    guest.give_details()
    guest.give_parking(None)
    looker_review = csrf_token(looker.client.get("/review"))  # loaded before the guest confirmed
    wait_for_pin(app)
    assert ROOM_LINK.fullmatch(guest.confirm().headers["Location"])

    assert looker.client.get("/details").headers["Location"] == "/"
    assert looker.client.get("/almost-ready").headers["Location"] == "/"
    assert looker.client.post("/confirm", data={"csrf_token": looker_review}).headers["Location"] == "/"
    assert looker.client.post("/retry", data={"csrf_token": looker_review}).headers["Location"] == "/"
    with app.app_context():
        public_id = db.session.scalar(db.select(CheckIn.public_id))
    assert looker.client.get(f"/api/check-ins/{public_id}/status").status_code == 404
    # Looking the booking up again in that browser is a new browser's lookup: no PIN, no link.
    again = looker.find_booking()
    assert again.status_code == 200 and b"already checked in" in again.data


def test_a_looker_that_confirms_first_is_the_only_one_to_carry_on(app, demo, cloud):
    first, second = Guest(app.test_client()), Guest(app.test_client())
    first.find_booking()
    second.find_booking()
    first.give_details()
    first.give_parking(None)
    second_review = csrf_token(second.client.get("/review"))
    wait_for_pin(app)
    assert ROOM_LINK.fullmatch(first.confirm().headers["Location"])
    assert second.client.post("/confirm", data={"csrf_token": second_review}).headers["Location"] == "/"


def test_a_guest_session_ends_after_two_idle_hours(app, demo, cloud):
    start = datetime.now(timezone.utc).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        looker, guest = Guest(app.test_client()), Guest(app.test_client())
        looker.find_booking()
        guest.find_booking()
        guest.give_details()
        guest.give_parking(None)
        wait_for_pin(app)
        link = guest.confirm().headers["Location"]
        clock.shift(timedelta(hours=1, minutes=59))
        assert guest.client.get("/details").headers["Location"] == link  # active: the stamp moves on
        clock.shift(timedelta(hours=1, minutes=59))
        assert guest.client.get("/details").headers["Location"] == link
        clock.shift(timedelta(hours=2, minutes=1))
        assert guest.client.get("/details").headers["Location"] == "/"
        assert looker.client.get("/details").headers["Location"] == "/"
        # The room link itself is the guest's key for the stay and keeps working.
        assert app.test_client().get(link).status_code == 200
        # The confirming browser gets back in with the reference and surname; the looker does not.
        assert guest.find_booking().headers["Location"] == "/details"
        assert guest.client.get("/details").headers["Location"] == link
        assert b"already checked in" in looker.find_booking().data


def test_a_looker_that_finds_the_booking_again_is_still_another_browser(app, demo, cloud):
    looker, guest = Guest(app.test_client()), Guest(app.test_client())
    looker.find_booking()
    guest.find_booking()
    guest.give_details()
    guest.give_parking(None)
    wait_for_pin(app)
    guest.confirm()
    again = looker.find_booking()  # its session still holds the check-in: no matter
    assert again.status_code == 200 and b"already checked in" in again.data
    assert looker.client.get("/details").headers["Location"] == "/"


def test_the_confirming_browser_finds_its_stay_again_by_reference_and_surname(app, demo, cloud):
    guest = Guest(app.test_client())
    guest.find_booking()
    guest.give_details()
    guest.give_parking(None)
    wait_for_pin(app)
    link = guest.confirm().headers["Location"]
    assert guest.find_booking().headers["Location"] == "/details"
    assert guest.client.get("/details").headers["Location"] == link
