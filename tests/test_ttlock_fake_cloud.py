"""The real client against the fake TTLock cloud on loopback: real HTTP, real threads."""
import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest
from fake_ttlock import FakeLock, FakeTTLock

from checkin.locks import DuplicatePasscode, LockBusy, LockCloudError

FRONT_DOOR, ROOM = 1001, 1002
NOW = datetime(2026, 10, 24, 14, 0, tzinfo=timezone.utc)


def test_ten_concurrent_adds_through_one_gateway_all_succeed(app, tmp_path):
    locks = [FakeLock(FRONT_DOOR, "Front door"), FakeLock(ROOM, "Room 1")]  # one gateway serves both
    with FakeTTLock(locks, gateway_latency_seconds=0.01) as fake:
        # No busy retries: only the queue can keep the ten commands apart.
        cloud = fake.client(tmp_path / "queue", busy_backoff=())
        results, failures = {}, []
        start = threading.Barrier(10)

        def check_in(n: int) -> None:
            with app.app_context():
                start.wait()
                pin = str(2000 + n * 37)
                try:
                    results[pin] = cloud.add_passcode((FRONT_DOOR, ROOM)[n % 2], pin, f"Guest {n}", NOW,
                                                      NOW + timedelta(days=2))
                except LockCloudError as error:
                    failures.append(error.reason)

        threads = [threading.Thread(target=check_in, args=(n,)) for n in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert failures == []
    assert len(results) == 10
    assert (fake.busy_answers, fake.logins) == (0, 1)
    assert sum(len(codes) for codes in fake.passcodes.values()) == 10


def test_a_gateway_busy_with_another_command_answers_busy(app, tmp_path):
    with FakeTTLock([FakeLock(FRONT_DOOR, "Front door")]) as fake, app.app_context():
        cloud = fake.client(tmp_path / "queue", busy_backoff=())
        with fake.gateway_occupied(), pytest.raises(LockBusy) as raised:
            cloud.add_passcode(FRONT_DOOR, "4821", "Guest", NOW, NOW + timedelta(days=1))
        assert raised.value.errcode == -3003
        cloud.add_passcode(FRONT_DOOR, "4821", "Guest", NOW, NOW + timedelta(days=1))
        with pytest.raises(DuplicatePasscode):
            cloud.add_passcode(FRONT_DOOR, "4821", "Guest", NOW, NOW + timedelta(days=1))


def test_urls_carrying_the_token_are_hidden_from_urllib3_debug_logs(app, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with FakeTTLock([FakeLock(FRONT_DOOR, "Front door")]) as fake, app.app_context():
        assert [lock.name for lock in fake.client(tmp_path / "queue").list_locks()] == ["Front door"]
        token = next(iter(fake.access_tokens))
    urllib3_lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    # Each request is logged with the token hidden (or, once a calendar was read, the whole path).
    assert any("accessToken=[hidden]" in line or "/\u2026" in line for line in urllib3_lines)
    assert not [r for r in caplog.records if token in r.getMessage()]
