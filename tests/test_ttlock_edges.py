"""TTLock edges: backup codes, the readiness reads, per-gateway queues, token and login refusals."""
import hashlib
from datetime import date, timedelta

import pytest
import requests
import time_machine

from checkin.clock import at_property_time
from checkin.locks import IssuedBackupCode, LockBusy, LockConfigurationError
from test_ttlock_client import (  # noqa: F401  (fixtures)
    BASE,
    LOCK,
    NOW,
    NOW_MS,
    PASSWORD,
    SECRET,
    USERNAME,
    cloud,
    ctx,
    form,
    make_cloud,
    mocked,
    query,
    store_token,
    token_answer,
)


def test_backup_code_is_a_period_code_got_from_the_cloud_without_the_gateway(ctx, cloud, mocked):
    store_token(timedelta(days=30))
    mocked.post(f"{BASE}/v3/keyboardPwd/get", json={"keyboardPwd": "482915730", "keyboardPwdId": 31})
    start = at_property_time(date(2026, 10, 24), "15:00")
    end = at_property_time(date(2026, 10, 26), "11:00")
    with time_machine.travel(NOW, tick=False):
        issued = cloud.get_backup_code(LOCK, "Guest 40321", start, end)

    assert issued == IssuedBackupCode(31, "482915730")
    (call,) = mocked.calls
    assert call.request.method == "POST"
    assert form(call) == {
        "clientId": "client-id",
        "accessToken": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "date": NOW_MS,
        "lockId": str(LOCK),
        "keyboardPwdType": "3",
        "keyboardPwdName": "Guest 40321",
        "startDate": "1792850400000",
        "endDate": "1793012400000",
    }


@pytest.mark.parametrize(
    ("answer", "kind", "words"),
    [
        ({"errcode": -1007, "errmsg": "no passcode data"}, LockConfigurationError, "reset its passcodes"),
        ({"keyboardPwdId": 31}, LockBusy, "without the code"),
    ],
)
def test_backup_code_refusals_say_what_to_do(ctx, cloud, mocked, answer, kind, words):
    store_token(timedelta(days=30))
    mocked.post(f"{BASE}/v3/keyboardPwd/get", json=answer)
    start = at_property_time(date(2026, 10, 24), "15:00")
    with pytest.raises(kind, match=words):
        cloud.get_backup_code(LOCK, "Guest 40321", start, start + timedelta(days=2))


def test_readiness_reads_the_lock_clock_its_gateways_and_every_code(ctx, cloud, mocked):
    from datetime import datetime, timezone

    store_token(timedelta(days=30))
    mocked.get(f"{BASE}/v3/lock/queryDate", json={"date": 1792486980000})
    mocked.get(f"{BASE}/v3/gateway/listByLock", json={"list": [{"gatewayId": 77, "gatewayName": "Hall", "rssi": -60}]})
    first = [{"keyboardPwdId": n, "keyboardPwd": str(100000 + n), "keyboardPwdName": f"Guest {n}"} for n in range(100)]
    mocked.get(f"{BASE}/v3/lock/listKeyboardPwd", json={"list": first, "pageNo": 1, "pages": 2, "total": 101})
    mocked.get(f"{BASE}/v3/lock/listKeyboardPwd", json={"list": [{"keyboardPwdId": 500, "keyboardPwd": "9999",
                                                                 "keyboardPwdName": "Cleaner"}], "pages": 2})

    assert cloud.lock_clock(LOCK) == datetime(2026, 10, 20, 9, 3, tzinfo=timezone.utc)
    assert cloud.lock_gateways(LOCK) == [77]
    codes = cloud.list_passcodes(LOCK)

    assert len(codes) == 101 and codes[-1].name == "Cleaner"
    clock, gateways, page1, page2 = mocked.calls
    strip = ("accessToken", "date", "clientId")
    assert (clock.request.method, {k: v for k, v in query(clock).items() if k not in strip}) == ("GET", {"lockId": str(LOCK)})
    assert {k: v for k, v in query(gateways).items() if k not in strip} == {"lockId": str(LOCK)}
    assert {k: v for k, v in query(page2).items() if k not in strip} == {
        "lockId": str(LOCK), "orderBy": "1", "pageNo": "2", "pageSize": "100"}


@pytest.mark.parametrize(("feature_value", "wifi"), [("F44354CD5F3", False), ("10000000F44354CD5F3", False),
                                                      ("2000F44354CD5F3", False), ("1000F44354CD5F3", True), (format(1 << 56 | 0xF3, "X"), True)])
def test_a_wifi_lock_is_told_by_feature_bit_56(ctx, cloud, mocked, feature_value, wifi):
    store_token(timedelta(days=30))
    mocked.get(f"{BASE}/v3/lock/detail", json={"lockId": LOCK, "hasGateway": 0, "featureValue": feature_value})
    assert cloud.lock_detail(LOCK).is_wifi is wifi


def test_commands_queue_per_gateway_not_per_account(ctx, tmp_path):
    import threading

    from checkin.locks.gateway_queue import GatewayQueue

    gateways = {1: 501, 2: 502, 3: 501}
    def queue(folder):
        return GatewayQueue(tmp_path / folder, max_wait_seconds=0.2, poll_seconds=0.005)

    cloud = make_cloud(tmp_path, queue=queue("account"), gateway_of=gateways.get,
                       gateway_queue=lambda gateway_id: queue(f"gateway-{gateway_id}"))
    assert [cloud.gateway_key(lock) for lock in (1, 2, 3)] == [501, 502, 501]
    held, release = threading.Event(), threading.Event()

    def hold_gateway_501():
        with cloud.gateway_turn([1]):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold_gateway_501)
    holder.start()
    try:
        assert held.wait(5)
        with cloud.gateway_turn([2]):  # another gateway: no wait
            pass
        with pytest.raises(LockBusy, match="earlier lock commands"):
            with cloud.gateway_turn([3]):  # lock 3 shares gateway 501
                pass
    finally:
        release.set()
        holder.join()


@pytest.mark.parametrize("errcode", [10003, 10004, 10011, -3, 10001])
def test_any_refused_refresh_falls_back_to_the_documented_password_login(ctx, cloud, mocked, errcode):
    store_token(timedelta(days=1))
    mocked.post(f"{BASE}/oauth2/token", json={"errcode": errcode, "errmsg": "refused"})
    token_answer(mocked)
    mocked.get(f"{BASE}/v3/lock/detail", json={"lockId": LOCK})
    cloud.lock_detail(LOCK)

    refresh, login, detail = mocked.calls
    assert form(refresh)["grant_type"] == "refresh_token"
    assert form(login) == {
        "clientId": "client-id",
        "clientSecret": SECRET,
        "username": USERNAME,
        "password": hashlib.md5(PASSWORD.encode()).hexdigest(),
    }
    assert query(detail)["accessToken"] == "0123456789abcdef0123456789abcdef"


def test_a_refresh_that_cannot_reach_ttlock_is_not_followed_by_a_login(ctx, cloud, mocked):
    store_token(timedelta(days=-1))  # expired: a new token is needed
    mocked.post(f"{BASE}/oauth2/token", body=requests.ConnectionError("no route"))
    with pytest.raises(LockBusy):
        cloud.lock_detail(LOCK)
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("days", [31, -3])
def test_a_wrong_early_renewal_setting_stops_the_app_with_one_line(tmp_path, days):
    from checkin import create_app
    from checkin.config import InvalidSetting

    with pytest.raises(InvalidSetting, match=r"^Setting TTLOCK_RENEW_DAYS_BEFORE_EXPIRY \(from app\) = -?\d+: .* For example: TTLOCK_RENEW_DAYS_BEFORE_EXPIRY = 7$"):
        create_app({"SECRET_KEY": "a-long-enough-test-secret-key", "LOCK_BACKEND": "simulated",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite", "TTLOCK_RENEW_DAYS_BEFORE_EXPIRY": days})


def test_an_early_renewal_refused_outright_still_lets_the_call_through(ctx, cloud, mocked):
    store_token(timedelta(days=3))  # inside the window, still valid
    mocked.post(f"{BASE}/oauth2/token", json={"errcode": 10011, "errmsg": "invalid refresh_token"})
    mocked.post(f"{BASE}/oauth2/token", json={"errcode": 10007, "errmsg": "invalid password"})
    mocked.get(f"{BASE}/v3/lock/detail", json={"lockId": LOCK})
    cloud.lock_detail(LOCK)
    assert query(mocked.calls[2])["accessToken"] == "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def test_an_expired_token_whose_renewal_is_refused_is_a_configuration_error(ctx, cloud, mocked):
    store_token(timedelta(days=-1))
    mocked.post(f"{BASE}/oauth2/token", json={"errcode": 10011, "errmsg": "invalid refresh_token"})
    mocked.post(f"{BASE}/oauth2/token", json={"errcode": 10007, "errmsg": "invalid password"})
    with pytest.raises(LockConfigurationError, match="TTLOCK_PASSWORD"):
        cloud.lock_detail(LOCK)
