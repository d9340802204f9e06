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


@FUZZ
@given(reference=field_text, surname=field_text)
def test_find_booking_form(app, demo, client, reference, surname):
    token = csrf_token(client.get("/"))
    assert_handled(client.post("/", data={"csrf_token": token, "reference": reference, "surname": surname}))


@FUZZ
@given(full_name=field_text, phone=field_text, email=field_text)
def test_details_form(app, demo, guest, full_name, phone, email):
    if not guest.client.get_cookie("session"):
        guest.find_booking()
    token = csrf_token(guest.client.get("/details"))
    data = {"csrf_token": token, "full_name": full_name, "phone": phone, "email": email}
    assert_handled(guest.client.post("/details", data=data))


@FUZZ
@given(registration=field_text, no_car=st.booleans())
def test_parking_form(app, demo, guest, registration, no_car):
    if not guest.client.get_cookie("session"):
        guest.find_booking()
        guest.give_details()
    token = csrf_token(guest.client.get("/parking"))
    data = {"csrf_token": token, "car_registration": registration}
    if no_car:
        data["no_car"] = "I don't have a car"
    assert_handled(guest.client.post("/parking", data=data))


@settings(FUZZ, max_examples=settings.default.max_examples * 3 // 10)
@given(token=field_text, path=st.sampled_from(["/confirm", "/retry", "/", "/details", "/parking"]))
def test_any_csrf_token_on_any_form(app, demo, guest, token, path):
    if not guest.client.get_cookie("session"):
        guest.find_booking()
    assert_handled(guest.client.post(path, data={"csrf_token": token}))
