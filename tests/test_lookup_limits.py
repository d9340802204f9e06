"""Find-your-booking under attack: only the client that misses is slowed and refused, counting is
one atomic step, a client is an IPv4 address or an IPv6 /64, X-Forwarded-For is trusted exactly
PROXY_COUNT hops, and a request body over 1 MB is refused unread."""
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from conftest import Guest, csrf_token

from checkin.clock import at_property_time, property_today
from checkin.extensions import db
from checkin.models import AlertOutbox, CheckIn, RateLimitCounter

PAUSED_FOR_REFERENCE = b"check-in for this booking reference is paused"
PAUSED_FOR_CLIENT = b"Too many searches came from your connection"


class Client:
    """One browser on one address: its CSRF token is fetched once and reused."""

    def __init__(self, app, address, **headers):
        self.client = app.test_client()
        self.address = address
        self.headers = headers
        self.token = csrf_token(self.client.get("/"))

    def look_up(self, reference="40321", surname="Wrongname"):
        return self.client.post(
            "/", data={"csrf_token": self.token, "reference": reference, "surname": surname},
            environ_base={"REMOTE_ADDR": self.address}, headers=self.headers,
        )


@pytest.fixture
def evening(app, demo):
    """Time stands still at 18:00:01 today at the property (a whole UTC hour, so the limits'
    windows start at known moments); the demo guests' stays are open."""
    with app.app_context():
        start = at_property_time(property_today(), "18:00") + timedelta(seconds=1)
    with time_machine.travel(start, tick=False) as clock:
        yield clock


def miss(client, times, clock=None, reference="40321"):
    """`times` misses, a minute apart in fives so the per-minute limit never refuses one."""
    for n in range(times):
        if clock is not None and n and n % 5 == 0:
            clock.shift(60)
        assert client.look_up(reference, f"Wrong{n}").status_code == 200


def test_strangers_missing_on_a_reference_never_keep_the_guest_out(app, evening):
    strangers = [Client(app, f"198.51.100.{n}") for n in range(1, 5)]
    for stranger in strangers:
        miss(stranger, 10, evening)
        refused = stranger.look_up("40321", "Testington")  # even with the right surname now
        assert refused.status_code == 429 and PAUSED_FOR_REFERENCE in refused.data
        assert b"tel:" in refused.data  # the contact-us path
        assert re.search(rb"Please try again in [67] hours", refused.data)  # at midnight UTC

    guest = Client(app, "203.0.113.7")
    assert guest.look_up("40321", "Testington").status_code == 302
    assert guest.client.get("/details").status_code == 200


def test_many_misses_on_one_booking_from_several_clients_alert_the_owner_once(app, evening):
    strangers = [Client(app, address) for address in ("198.51.100.1", "198.51.100.2", "2001:db8:5:6::9")]
    for stranger in strangers[:2]:
        miss(stranger, 10, evening)
    with app.app_context():
        alerts = db.session.scalars(db.select(AlertOutbox)).all()
    assert len(alerts) == 1
    assert "20 tries with a wrong surname today from 2 connections" in alerts[0].body
    assert "198.51.100.1 (10)" in alerts[0].body and "198.51.100.2 (10)" in alerts[0].body
    assert alerts[0].booking_reference == "40321"
    miss(strangers[2], 5)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AlertOutbox)) == 1


def test_one_client_missing_everywhere_does_not_alert(app, evening):
    stranger = Client(app, "198.51.100.1")
    miss(stranger, 10, evening)
    with app.app_context():
        assert db.session.scalars(db.select(AlertOutbox)).all() == []


def test_a_client_that_keeps_missing_is_slowed_then_refused(app, evening):
    stranger = Client(app, "198.51.100.1")
    for n in range(5):
        assert stranger.look_up(f"5{n:04d}", "Smith").status_code == 200
    slowed = stranger.look_up("50099", "Smith")
    assert slowed.status_code == 429 and PAUSED_FOR_CLIENT in slowed.data
    assert int(slowed.headers["Retry-After"]) == 59  # the rest of this minute
    assert Client(app, "198.51.100.2").look_up("40321", "Testington").status_code == 302  # others unaffected
    for minute in range(1, 4):
        evening.shift(60)
        for n in range(5):
            assert stranger.look_up(f"6{minute}{n:03d}", "Smith").status_code == 200
    evening.shift(60)
    refused = stranger.look_up("40322", "Sampleton")  # 20 misses this hour: refused, right surname or not
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 3600 - 4 * 60 - 1
    evening.shift(3600)
    assert stranger.look_up("40322", "Sampleton").status_code == 302


def test_a_right_surname_is_not_counted(app, evening):
    guest = Client(app, "203.0.113.7")
    for n in range(4):
        assert guest.look_up("50000", f"Wrong{n}").status_code == 200
    for _ in range(10):
        assert guest.look_up("40321", "Testington").status_code == 302
    assert guest.look_up("50000", "Wrong4").status_code == 200
    assert guest.look_up("50000", "Wrong5").status_code == 429


def test_a_refusal_looks_the_same_for_a_reference_no_booking_has(app, evening):
    stranger = Client(app, "198.51.100.1")
    miss(stranger, 10, evening, reference="40321")
    evening.shift(60)
    miss(stranger, 10, evening, reference="77777")
    evening.shift(3600)  # a new hour: only the per-reference limit refuses now
    existing, missing = stranger.look_up("40321", "Testington"), stranger.look_up("77777", "Testington")
    assert existing.status_code == missing.status_code == 429
    assert existing.headers["Retry-After"] == missing.headers["Retry-After"]
    assert re.sub(rb'value="[^"]*"', b"", existing.data) == re.sub(rb'value="[^"]*"', b"", missing.data)


@pytest.mark.parametrize("app_config", [{"LOOKUP_LIMIT_PER_IP_MINUTE": 10, "LOOKUP_LIMIT_PER_IP_HOUR": 1000,
                                         "LOOKUP_MISSES_PER_REFERENCE": 1000}])
def test_thirty_lookups_at_once_from_one_client_are_evaluated_ten_times_at_a_limit_of_ten(app, evening):
    clients = [Client(app, "198.51.100.1") for _ in range(30)]
    start = threading.Barrier(len(clients))
    statuses = []

    def look_up(client):
        start.wait()
        statuses.append(client.look_up("40321", "Wrongname").status_code)

    threads = [threading.Thread(target=look_up, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(statuses) == [200] * 10 + [429] * 20
    with app.app_context():
        counts = db.session.scalars(db.select(RateLimitCounter.count)).all()
    assert max(counts) == 10


def test_ipv6_clients_are_counted_per_64(app, evening):
    for n in range(5):
        assert Client(app, f"2001:db8:1:2::{n + 1:x}").look_up(f"5{n:04d}", "Smith").status_code == 200
    same_network = Client(app, "2001:db8:1:2:ffff:ffff:ffff:ffff").look_up("50009", "Smith")
    assert same_network.status_code == 429
    assert Client(app, "2001:db8:1:3::1").look_up("50009", "Smith").status_code == 200


def test_without_a_proxy_x_forwarded_for_is_ignored(app, evening):
    for n in range(5):
        client = Client(app, "198.51.100.1", **{"X-Forwarded-For": f"203.0.113.{n}"})
        assert client.look_up(f"5{n:04d}", "Smith").status_code == 200
    spoofed = Client(app, "198.51.100.1", **{"X-Forwarded-For": "203.0.113.99"})
    assert spoofed.look_up("50009", "Smith").status_code == 429


@pytest.mark.parametrize("app_config", [{"PROXY_COUNT": 2}])
def test_behind_proxies_x_forwarded_for_is_trusted_exactly_proxy_count_hops(app, evening):
    # nginx behind a load balancer: each appends the address it saw; what the client sent is first.
    def via_proxies(forged, client):
        return Client(app, "10.0.0.2", **{"X-Forwarded-For": f"{forged}, {client}, 10.0.0.1"})

    for n in range(5):
        assert via_proxies(f"192.0.2.{n}", "203.0.113.1").look_up(f"5{n:04d}", "Smith").status_code == 200
    assert via_proxies("192.0.2.99", "203.0.113.1").look_up("50009", "Smith").status_code == 429
    assert via_proxies("192.0.2.0", "203.0.113.2").look_up("50009", "Smith").status_code == 200


def test_a_body_over_1_mb_gets_a_friendly_413_and_nothing_is_read_or_written(app, demo):
    guest = Guest(app.test_client())
    guest.find_booking()
    token = csrf_token(guest.client.get("/details"))
    with app.app_context():
        counters_before = db.session.scalar(db.select(db.func.count()).select_from(RateLimitCounter))

    too_large = guest.client.post("/details", data={"csrf_token": token, "full_name": "A" * (2 * 1024 * 1024),
                                                    "phone": "+44 20 7946 0123", "email": "alex@example.com"})
    lookup = guest.client.post("/", data={"csrf_token": token, "reference": "40321",
                                          "surname": "Testington", "padding": "x" * (2 * 1024 * 1024)})

    for response in (too_large, lookup):
        assert response.status_code == 413
        assert b"Too much to send" in response.data and b"nothing was saved" in response.data
    with app.app_context():
        assert db.session.scalar(db.select(CheckIn.full_name)) is None
        assert db.session.scalar(db.select(db.func.count()).select_from(RateLimitCounter)) == counters_before
