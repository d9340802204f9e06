"""1,000 generated inputs to each guest form: never a server error, never a stack trace.

(100 under `make test-fast`: the hypothesis profile "quick", set up in conftest.py.)
"""
import pytest
from conftest import csrf_token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Any text a phone keyboard, a paste or a bot could send: every script, controls, long runs.
field_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=100, max_size=2000),
    st.sampled_from(["40321", "Testington", "+44 20 7946 0123", "a@example.com", "AB12 CDE", " ", "0", "\n"]),
)
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def app_config():
    # The point is the forms, not the lookup limits (tested elsewhere).
    return {"LOOKUP_LIMIT_PER_IP_MINUTE": 10**9, "LOOKUP_LIMIT_PER_IP_HOUR": 10**9, "LOOKUP_MISSES_PER_REFERENCE": 10**9}


def assert_handled(response):
    assert response.status_code < 500, response.data[:500]
    assert b"Traceback" not in response.data


def assert_form_read(response):
    """Handled, and the form got past its CSRF check (a refused token answers 400)."""
    assert_handled(response)
    assert response.status_code != 400, response.data[:500]


# Each test takes its CSRF token once, not for each input: a session's token is good on every
# form, and loading the page again for each of 1,000 inputs doubled the test's time.

@pytest.fixture
def on_find_booking(demo, guest):
    """The guest on page 1; returns the CSRF token every input posts with."""
    return csrf_token(guest.client.get("/"))


@pytest.fixture
def on_details(demo, guest):
    guest.find_booking()
    return csrf_token(guest.client.get("/details"))


@pytest.fixture
def on_parking(demo, guest):
    guest.find_booking()
    guest.give_details()
    return csrf_token(guest.client.get("/parking"))


@FUZZ
@given(reference=field_text, surname=field_text)
def test_find_booking_form(guest, on_find_booking, reference, surname):
    data = {"csrf_token": on_find_booking, "reference": reference, "surname": surname}
    assert_form_read(guest.client.post("/", data=data))


@FUZZ
@given(full_name=field_text, phone=field_text, email=field_text)
def test_details_form(guest, on_details, full_name, phone, email):
    data = {"csrf_token": on_details, "full_name": full_name, "phone": phone, "email": email}
    assert_form_read(guest.client.post("/details", data=data))


@FUZZ
@given(registration=field_text, no_car=st.booleans())
def test_parking_form(guest, on_parking, registration, no_car):
    data = {"csrf_token": on_parking, "car_registration": registration}
    if no_car:
        data["no_car"] = "I don't have a car"
    assert_form_read(guest.client.post("/parking", data=data))


@settings(FUZZ, max_examples=settings.default.max_examples * 3 // 10)
@given(token=field_text, path=st.sampled_from(["/confirm", "/retry", "/", "/details", "/parking"]))
def test_any_csrf_token_on_any_form(guest, on_details, token, path):
    assert_handled(guest.client.post(path, data={"csrf_token": token}))
