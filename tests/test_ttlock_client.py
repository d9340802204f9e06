"""The TTLock client: what it sends, how it keeps its token, and how TTLock's answers become errors."""
import hashlib
import logging
import traceback
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
import time_machine

from checkin.clock import at_property_time, utc_now
from checkin.extensions import db
from checkin.locks import (
    DuplicatePasscode,
    LockBusy,
    LockCloudError,
    LockConfigurationError,
    LockUnreachable,
    PasscodeNotFound,
    PasscodeOnLock,
    PasscodeRejected,
    QuotaExceeded,
)
from checkin.locks.gateway_queue import GatewayQueue
from checkin.locks.ttlock import TTLockCloud
from checkin.models import Lock, TTLockToken
from checkin.pins.cloud import DatabaseTokenStore, lock_name

BASE = "https://euapi.ttlock.com"
USERNAME = "owner@example.com"
PASSWORD = "correct horse"
SECRET = "client-secret-value"
LOCK = 4242
NOW = datetime(2026, 10, 20, 9, 0, tzinfo=timezone.utc)
NOW_MS = "1792486800000"
STORED_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
STORED_REFRESH = "ffeeddccbbaa99887766554433221100"
FRESH_TOKEN = "0123456789abcdef0123456789abcdef"


def make_cloud(tmp_path, **overrides) -> TTLockCloud:
    settings = dict(
        base_url=BASE,
        client_id="client-id",
        client_secret=SECRET,
        username=USERNAME,
        password=PASSWORD,
        queue=GatewayQueue(tmp_path / "queue", poll_seconds=0.005),
        token_store=DatabaseTokenStore(),
        lock_name=lock_name,
        busy_backoff=(0.0, 0.0, 0.0),
    )
    return TTLockCloud(**{**settings, **overrides})


@pytest.fixture
def cloud(tmp_path):
    return make_cloud(tmp_path)


@pytest.fixture
def ctx(app):
    """An app context with the front door in the database, so errors can name it."""
    with app.app_context():
        db.session.add(Lock(name="Front door", ttlock_id=LOCK, is_front_door=True))
        db.session.commit()
        yield


@pytest.fixture
def mocked():
    with responses.RequestsMock() as mock:
        yield mock


def store_token(expires_in: timedelta, access=STORED_TOKEN, refresh=STORED_REFRESH) -> None:
    db.session.add(
        TTLockToken(username=USERNAME, access_token=access, refresh_token=refresh, expires_at=utc_now() + expires_in)
    )
    db.session.commit()


def stored_token() -> TTLockToken:
    token = db.session.query(TTLockToken).one()
    db.session.commit()
    return token


def token_answer(mocked, access=FRESH_TOKEN, refresh="99999999999999999999999999999999", **extra):
    body = {"access_token": access, "refresh_token": refresh, "uid": 7, "expires_in": 7776000}
    mocked.post(f"{BASE}/oauth2/token", json={**body, **extra})


def form(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def query(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(call.request.url).query).items()}


def add_front_door_pin(cloud, pin="4821"):
    start = at_property_time(date(2026, 10, 24), "15:00")
    return cloud.add_passcode(LOCK, pin, "Guest 40321", start, at_property_time(date(2026, 10, 26), "11:00"))


@pytest.mark.parametrize(
    ("arrival", "departure", "start_ms", "end_ms"),
    [
        (date(2026, 7, 10), date(2026, 7, 12), "1783692000000", "1783850400000"),  # summer time
        # The clocks go back on the 25th: 15:00 BST to 11:00 GMT is 45 hours, not 44.
        (date(2026, 10, 24), date(2026, 10, 26), "1792850400000", "1793012400000"),
        (date(2026, 3, 28), date(2026, 3, 30), "1774710000000", "1774864800000"),  # clocks go forward
    ],
)
def test_add_logs_in_then_writes_a_period_code_through_the_gateway(
    ctx, cloud, mocked, arrival, departure, start_ms, end_ms
):
    token_answer(mocked)
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"keyboardPwdId": 555})
    with time_machine.travel(NOW, tick=False):
        passcode_id = cloud.add_passcode(
            LOCK, "4821", "Guest 40321", at_property_time(arrival, "15:00"), at_property_time(departure, "11:00")
        )

    assert passcode_id == 555
    login, add = mocked.calls
    assert (login.request.method, urlsplit(login.request.url).path) == ("POST", "/oauth2/token")
    assert form(login) == {
        "clientId": "client-id",
        "clientSecret": SECRET,
        "username": USERNAME,
        "password": hashlib.md5(PASSWORD.encode()).hexdigest(),
    }
    assert (add.request.method, urlsplit(add.request.url).path) == ("POST", "/v3/keyboardPwd/add")
    assert add.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(add) == {
        "clientId": "client-id",
        "accessToken": FRESH_TOKEN,
        "date": NOW_MS,
        "lockId": str(LOCK),
        "keyboardPwd": "4821",
        "keyboardPwdName": "Guest 40321",
        "keyboardPwdType": "3",
        "startDate": start_ms,
        "endDate": end_ms,
        "addType": "2",
    }
    assert all(call.request.req_kwargs["timeout"] == (10.0, 40.0) for call in mocked.calls)


def test_token_is_stored_and_reused_by_every_worker(ctx, cloud, mocked, tmp_path):
    token_answer(mocked)
    mocked.get(f"{BASE}/v3/lock/detail", json={"lockId": LOCK, "hasGateway": 1, "timezoneRawOffset": 0})
    cloud.lock_detail(LOCK)
    make_cloud(tmp_path).lock_detail(LOCK)  # another worker's client

    assert [urlsplit(call.request.url).path for call in mocked.calls] == [
        "/oauth2/token",
        "/v3/lock/detail",
        "/v3/lock/detail",
    ]
    assert {query(call)["accessToken"] for call in mocked.calls[1:]} == {FRESH_TOKEN}
    token = stored_token()
    assert (token.access_token, token.refresh_token) == (FRESH_TOKEN, "9" * 32)
    assert abs(token.expires_at - (utc_now() + timedelta(days=90))) < timedelta(minutes=1)


def test_token_is_refreshed_when_fewer_than_7_days_remain(ctx, cloud, mocked):
    store_token(timedelta(days=6, hours=23))
    token_answer(mocked)
    mocked.get(f"{BASE}/v3/lock/detail", json={"lockId": LOCK})
    cloud.lock_detail(LOCK)

    refresh, detail = mocked.calls
    assert form(refresh) == {
        "clientId": "client-id",
        "clientSecret": SECRET,
        "grant_type": "refresh_token",
        "refresh_token": STORED_REFRESH,
    }
    assert query(detail)["accessToken"] == FRESH_TOKEN
    assert stored_token().access_token == FRESH_TOKEN


def test_token_with_more_than_7_days_left_is_used_as_it_is(ctx, cloud, mocked):
    store_token(timedelta(days=7, hours=1))
    mocked.get(f"{BASE}/v3/lock/detail", json={"lockId": LOCK})
    cloud.lock_detail(LOCK)
    assert len(mocked.calls) == 1
    assert query(mocked.calls[0])["accessToken"] == STORED_TOKEN


def test_early_refresh_that_cannot_reach_ttlock_keeps_the_current_token(ctx, cloud, mocked):
    store_token(timedelta(days=2))
    mocked.post(f"{BASE}/oauth2/token", body=requests.ConnectionError("no route"))
    mocked.get(f"{BASE}/v3/lock/detail", json={"lockId": LOCK})
    cloud.lock_detail(LOCK)
    assert query(mocked.calls[1])["accessToken"] == STORED_TOKEN


def test_rejected_token_is_refreshed_and_the_call_retried_once(ctx, cloud, mocked):
    store_token(timedelta(days=30))
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"errcode": 10004, "errmsg": "invalid token"})
    token_answer(mocked)
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"keyboardPwdId": 77})

    assert add_front_door_pin(cloud) == 77
    first, refresh, retry = mocked.calls
    assert (form(first)["accessToken"], form(retry)["accessToken"]) == (STORED_TOKEN, FRESH_TOKEN)
    assert form(refresh)["grant_type"] == "refresh_token"


def test_token_rejected_twice_is_a_configuration_error(ctx, cloud, mocked):
    store_token(timedelta(days=30))
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"errcode": 10004, "errmsg": "invalid token"})
    token_answer(mocked)
    with pytest.raises(LockConfigurationError, match="10004"):
        add_front_door_pin(cloud)
    assert len(mocked.calls) == 3


def test_rejected_refresh_token_means_logging_in_again(ctx, cloud, mocked):
    store_token(timedelta(days=1))
    mocked.post(f"{BASE}/oauth2/token", json={"errcode": 10011, "errmsg": "invalid refresh_token"})
    token_answer(mocked)
    mocked.get(f"{BASE}/v3/lock/detail", json={"lockId": LOCK})
    cloud.lock_detail(LOCK)

    refresh, login, detail = mocked.calls
    assert form(refresh)["grant_type"] == "refresh_token"
    assert "grant_type" not in form(login) and form(login)["username"] == USERNAME
    assert query(detail)["accessToken"] == FRESH_TOKEN


@pytest.mark.parametrize(
    ("errcode", "kind", "words"),
    [
        (-3003, LockBusy, "gateway for Front door (4242) is busy"),
        (-3037, LockBusy, "Front door (4242) is busy"),
        (1, LockBusy, "could not finish"),
        (90000, LockBusy, "internal error"),
        (-3002, LockUnreachable, "gateway for Front door (4242) is offline"),
        (-2012, LockUnreachable, "no working gateway"),
        (-3036, LockUnreachable, "is offline"),
        (-3007, DuplicatePasscode, "already holds this PIN"),
        (-3006, PasscodeRejected, "4 to 9 digits"),
        (-2032, PasscodeRejected, "too simple"),
        (30006, QuotaExceeded, "too many API calls"),
        (30007, QuotaExceeded, "this month"),
        (10000, LockConfigurationError, "TTLOCK_CLIENT_ID"),
        (10001, LockConfigurationError, "TTLOCK_CLIENT_SECRET"),
        (10007, LockConfigurationError, "TTLOCK_PASSWORD"),
        (20002, LockConfigurationError, "not an administrator"),
        (-2018, LockConfigurationError, "no permission"),
        (30005, LockConfigurationError, "MD5"),
        (30008, LockConfigurationError, "TTLOCK_BASE_URL"),
        (-1003, LockConfigurationError, "does not exist"),
        (80000, LockConfigurationError, "server's clock"),
    ],
)
def test_each_errcode_becomes_an_error_the_owner_can_act_on(ctx, cloud, mocked, errcode, kind, words):
    store_token(timedelta(days=30))
    # HTTP 200 is what TTLock sends with its errors.
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"errcode": errcode, "errmsg": "x", "description": "y"})
    with pytest.raises(kind) as raised:
        add_front_door_pin(cloud)
    assert type(raised.value) is kind
    assert words in raised.value.reason
    assert f"(TTLock error {errcode})" in raised.value.reason
    assert raised.value.errcode == errcode
    assert raised.value.retryable is (kind in (LockBusy, LockUnreachable, DuplicatePasscode, PasscodeRejected))
    assert STORED_TOKEN not in raised.value.reason


@pytest.mark.parametrize("status", [200, 400, 500])
def test_an_errcode_is_a_failure_whatever_the_http_status(ctx, cloud, mocked, status):
    store_token(timedelta(days=30))
    mocked.get(f"{BASE}/v3/lock/detail", status=status, json={"errcode": -3002, "errmsg": "gateway offline"})
    with pytest.raises(LockUnreachable):
        cloud.lock_detail(LOCK)


def test_unknown_errcode_is_not_retried_and_hides_anything_like_a_token(ctx, cloud, mocked):
    store_token(timedelta(days=30))
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"errcode": -4056, "errmsg": f"storage full {STORED_TOKEN}"})
    with pytest.raises(LockCloudError) as raised:
        add_front_door_pin(cloud)
    assert type(raised.value) is LockCloudError
    assert raised.value.retryable is False
    assert raised.value.reason == (
        "TTLock refused the request for Front door (4242): storage full [hidden] (TTLock error -4056)."
    )
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    ("answer", "kind", "words"),
    [
        (dict(body=requests.ReadTimeout("read timed out")), LockBusy, "did not answer /v3/keyboardPwd/add within 40"),
        (dict(body=requests.ConnectTimeout("timed out")), LockBusy, "connect"),
        (dict(body=requests.ConnectionError(f"url ...accessToken={STORED_TOKEN}")), LockBusy, "ConnectionError"),
        (dict(status=502, body="<html>Bad gateway</html>"), LockBusy, "HTTP 502"),
        (dict(status=200, body="<html>maintenance</html>"), LockBusy, "other than JSON"),
        (dict(status=404, body="<html>Not found</html>"), LockConfigurationError, "TTLOCK_BASE_URL"),
    ],
)
def test_transport_trouble_becomes_an_error_without_internal_retries(ctx, cloud, mocked, answer, kind, words):
    store_token(timedelta(days=30))
    mocked.post(f"{BASE}/v3/keyboardPwd/add", **answer)
    with pytest.raises(kind) as raised:
        add_front_door_pin(cloud)
    assert words in raised.value.reason
    # Not even in a logged traceback: requests' own messages can quote the URL and its token.
    assert STORED_TOKEN not in "".join(traceback.format_exception(raised.value))
    assert len(mocked.calls) == 1  # a timed-out add may have worked: the caller decides


def test_timed_out_add_is_found_after_the_retry_meets_a_duplicate(ctx, cloud, mocked):
    store_token(timedelta(days=30))
    mocked.post(f"{BASE}/v3/keyboardPwd/add", body=requests.ReadTimeout("read timed out"))
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"errcode": -3007, "errmsg": "exists"})
    listed = [
        {"keyboardPwdId": 90, "keyboardPwd": "48211", "keyboardPwdName": "Guest 4821", "startDate": 1, "endDate": 2},
        {"keyboardPwdId": 91, "keyboardPwd": "4821", "keyboardPwdName": "Guest 40321",
         "startDate": 1792850400000, "endDate": 1793012400000},
    ]
    mocked.get(f"{BASE}/v3/lock/listKeyboardPwd", json={"list": listed, "pageNo": 1, "pages": 1, "total": 2})

    with pytest.raises(LockBusy):
        add_front_door_pin(cloud)
    with pytest.raises(DuplicatePasscode):
        add_front_door_pin(cloud)
    found = cloud.find_passcode(LOCK, "4821")

    assert found == PasscodeOnLock(91, "4821", "Guest 40321", 1792850400000, 1793012400000)
    search = mocked.calls[2]
    assert search.request.method == "GET"
    assert urlsplit(search.request.url).path == "/v3/lock/listKeyboardPwd"
    assert {k: v for k, v in query(search).items() if k not in ("accessToken", "date", "clientId")} == {
        "lockId": str(LOCK),
        "pageNo": "1",
        "pageSize": "100",
        "orderBy": "1",
        "searchStr": "4821",
    }


def test_find_passcode_is_none_when_no_code_matches_exactly(ctx, cloud, mocked):
    store_token(timedelta(days=30))
    listed = [{"keyboardPwdId": 90, "keyboardPwd": "14821", "keyboardPwdName": "x"}]
    mocked.get(f"{BASE}/v3/lock/listKeyboardPwd", json={"list": listed, "pageNo": 1, "pages": 1, "total": 1})
    assert cloud.find_passcode(LOCK, "4821") is None


def test_delete_goes_through_the_gateway_and_a_missing_code_is_said_so(ctx, cloud, mocked):
    store_token(timedelta(days=30))
    mocked.post(f"{BASE}/v3/keyboardPwd/delete", json={"errcode": 0, "errmsg": "none error message"})
    mocked.post(f"{BASE}/v3/keyboardPwd/delete", json={"errcode": -2009, "errmsg": "not exist"})
    cloud.delete_passcode(LOCK, 91)
    with pytest.raises(PasscodeNotFound):  # the caller looks for the code by PIN before deciding
        cloud.delete_passcode(LOCK, 91)

    assert len(mocked.calls) == 2
    fields = form(mocked.calls[0])
    assert (fields["lockId"], fields["keyboardPwdId"], fields["deleteType"]) == (str(LOCK), "91", "2")


def test_busy_answers_are_retried_with_backoff_then_succeed(ctx, tmp_path, mocked, monkeypatch):
    slept = []
    monkeypatch.setattr("checkin.locks.ttlock.time.sleep", slept.append)
    cloud = make_cloud(tmp_path, busy_backoff=(5, 15, 60))
    store_token(timedelta(days=30))
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"errcode": -3003, "errmsg": "gateway busy"})
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"errcode": -3037, "errmsg": "lock busy"})
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"keyboardPwdId": 12})

    assert add_front_door_pin(cloud) == 12
    assert slept == [5, 15]


def test_busy_to_the_last_try_is_raised(ctx, cloud, mocked):
    store_token(timedelta(days=30))
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"errcode": -3003, "errmsg": "gateway busy"})
    with pytest.raises(LockBusy):
        add_front_door_pin(cloud)
    assert len(mocked.calls) == 4


def test_list_locks_reads_every_page(ctx, cloud, mocked):
    store_token(timedelta(days=30))
    first = [{"lockId": n, "lockAlias": f"Room {n}", "hasGateway": 1, "electricQuantity": 80} for n in range(100)]
    mocked.get(f"{BASE}/v3/lock/list", json={"list": first, "pageNo": 1, "pages": 2, "total": 101})
    mocked.get(f"{BASE}/v3/lock/list", json={"list": [{"lockId": 100, "lockName": "M201", "hasGateway": 0}],
                                             "pageNo": 2, "pages": 2, "total": 101})
    locks = cloud.list_locks()

    assert [query(call)["pageNo"] for call in mocked.calls] == ["1", "2"]
    assert len(locks) == 101
    assert (locks[0].name, locks[0].has_gateway, locks[0].battery_percent) == ("Room 0", True, 80)
    assert (locks[100].name, locks[100].has_gateway, locks[100].battery_percent) == ("M201", False, None)


def test_no_token_or_secret_reaches_the_logs(ctx, cloud, mocked, caplog):
    caplog.set_level(logging.DEBUG)
    store_token(timedelta(days=2))
    token_answer(mocked)
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"errcode": 10004, "errmsg": "invalid token"})
    token_answer(mocked, access="fedcba9876543210fedcba9876543210")
    mocked.post(f"{BASE}/v3/keyboardPwd/add", json={"errcode": -3003, "errmsg": "busy"})
    mocked.post(f"{BASE}/v3/keyboardPwd/add", body=requests.ReadTimeout("timed out"))
    with pytest.raises(LockBusy):
        add_front_door_pin(cloud)

    secrets = [STORED_TOKEN, STORED_REFRESH, FRESH_TOKEN, "fedcba9876543210fedcba9876543210", SECRET, PASSWORD,
               hashlib.md5(PASSWORD.encode()).hexdigest()]
    logged = [record.getMessage() for record in caplog.records]
    assert logged, "the client should say what it did"
    assert not [line for line in logged for secret in secrets if secret in line]
