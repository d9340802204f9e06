"""keyboardPwd/change: a stay's new dates reach the lock through its gateway."""
from datetime import date, timedelta

import pytest
import time_machine
from test_ttlock_client import (  # noqa: F401
    BASE,
    FRESH_TOKEN,
    LOCK,
    NOW,
    NOW_MS,
    STORED_TOKEN,
    cloud,
    ctx,
    form,
    mocked,
    store_token,
    token_answer,
)

from checkin.clock import at_property_time
from checkin.locks import LockBusy, LockUnreachable


def test_change_sends_both_dates_through_the_gateway(ctx, cloud, mocked):
    token_answer(mocked)
    mocked.post(f"{BASE}/v3/keyboardPwd/change", json={"errcode": 0, "errmsg": "none error message"})
    with time_machine.travel(NOW, tick=False):
        cloud.change_passcode(
            LOCK, 777, at_property_time(date(2026, 10, 24), "15:00"), at_property_time(date(2026, 10, 28), "11:00")
        )
    change = mocked.calls[-1]
    assert change.request.url == f"{BASE}/v3/keyboardPwd/change"
    assert change.request.method == "POST"
    assert change.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(change) == {
        "clientId": "client-id",
        "accessToken": FRESH_TOKEN,
        "date": NOW_MS,
        "lockId": str(LOCK),
        "keyboardPwdId": "777",
        "startDate": "1792850400000",  # 24 Oct 15:00 BST
        "endDate": "1793185200000",  # 28 Oct 11:00 GMT: the clocks went back on the 25th
        "changeType": "2",  # through the gateway, not Bluetooth
    }


@pytest.mark.parametrize(("errcode", "kind"), [(-3002, LockUnreachable), (-3003, LockBusy)])
def test_a_change_the_gateway_cannot_carry_is_an_error(ctx, cloud, mocked, errcode, kind):
    store_token(timedelta(days=30))
    # Answered every time (a busy answer is tried again after each backoff, then raised).
    mocked.post(f"{BASE}/v3/keyboardPwd/change", json={"errcode": errcode, "errmsg": "gateway"})
    start = at_property_time(date(2026, 10, 24), "15:00")
    with pytest.raises(kind):
        cloud.change_passcode(LOCK, 777, start, start + timedelta(days=2))
    assert form(mocked.calls[0])["accessToken"] == STORED_TOKEN
