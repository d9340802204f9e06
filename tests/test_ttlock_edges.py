"""TTLock edges: backup codes, the readiness reads, 6-digit locks, token and login refusals."""
from datetime import date, timedelta

import pytest
import requests

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

import hashlib
import time_machine


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
