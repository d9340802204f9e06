"""A TTLock-compatible cloud on 127.0.0.1 for tests.

It checks credentials and tokens, keeps passcodes per lock, refuses a PIN a lock already holds
(-3007) and, like a real gateway, carries one command at a time: a command that arrives while
its gateway is busy gets -3003.
"""
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from checkin.locks.gateway_queue import GatewayQueue
from checkin.locks.ttlock import TTLockCloud
from checkin.pins.cloud import DatabaseTokenStore, lock_name

TOKEN_LIFETIME = 90 * 24 * 3600
OK = {"errcode": 0, "errmsg": "none error message"}


@dataclass
class FakeLock:
    lock_id: int
    name: str
    gateway: str | None = "gateway-1"  # None: the lock has no gateway
    battery: int = 90
    timezone_offset_ms: int = 0
    clock_offset_ms: int = 0  # how far the lock's own clock is from the true time
    wifi: bool = False  # a Wi-Fi lock (featureValue bit 56) reaches the cloud without a gateway
    gateway_online: bool = True


def _error(code: int, message: str) -> dict:
    return {"errcode": code, "errmsg": message, "description": ""}


class FakeTTLock:
    """The fake cloud. Use it as a context manager: the server always stops at the end."""

    def __init__(
        self,
        locks: list[FakeLock],
        *,
        client_id: str = "fake-client",
        client_secret: str = "fake-secret",
        username: str = "owner@example.com",
        password: str = "correct horse",
        gateway_latency_seconds: float = 0.0,
    ):
        self.locks = {lock.lock_id: lock for lock in locks}
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password
        self.password_md5 = hashlib.md5(password.encode()).hexdigest()
        self.gateway_latency_seconds = gateway_latency_seconds
        self.passcodes: dict[int, dict[int, dict]] = {lock_id: {} for lock_id in self.locks}
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.logins = 0
        self.busy_answers = 0
        self._next_passcode_id = 1000
        self._gateways_in_use: set[str] = set()
        self._state = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-ttlock"
        )
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FakeTTLock":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def app_settings(self) -> dict:
        """The app's settings for this cloud, with no retry on "busy": only the app's turns at the
        gateway may keep its commands apart."""
        return {
            "LOCK_BACKEND": "ttlock",
            "TTLOCK_BASE_URL": self.base_url,
            "TTLOCK_CLIENT_ID": self.client_id,
            "TTLOCK_CLIENT_SECRET": self.client_secret,
            "TTLOCK_USERNAME": self.username,
            "TTLOCK_PASSWORD": self.password,
            "TTLOCK_BUSY_BACKOFF": [],
        }

    def client(self, queue_dir: Path, **overrides) -> TTLockCloud:
        """The real client, pointed at this fake with the right credentials."""
        settings = dict(
            base_url=self.base_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            username=self.username,
            password=self.password,
            queue=GatewayQueue(queue_dir, poll_seconds=0.002),
            token_store=DatabaseTokenStore(),
            lock_name=lock_name,
        )
        return TTLockCloud(**{**settings, **overrides})

    @contextmanager
    def gateway_occupied(self, gateway: str = "gateway-1") -> Iterator[None]:
        """Keep a gateway busy, as a command from the TTLock app would."""
        with self._state:
            self._gateways_in_use.add(gateway)
        try:
            yield
        finally:
            with self._state:
                self._gateways_in_use.discard(gateway)

    def _handler_class(self):
        cloud = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._answer(parse_qs(urlsplit(self.path).query))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(parse_qs(self.rfile.read(length).decode()))

            def _answer(self, query: dict[str, list[str]]):
                fields = {key: values[0] for key, values in query.items()}
                body = json.dumps(cloud.handle(urlsplit(self.path).path, fields)).encode()
                self.send_response(200)  # TTLock's errors come with 200 too
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass  # request lines carry the access token, and tests read their own logs

        return Handler

    def handle(self, path: str, fields: dict[str, str]) -> dict:
        """Answer one request as TTLock would."""
        if fields.get("clientId") != self.client_id:
            return _error(10000, "invalid client_id")
        if path == "/oauth2/token":
            return self._token(fields)
        if fields.get("accessToken") not in self.access_tokens:
            return _error(10004, "invalid token")
        if abs(int(fields.get("date", 0)) - time.time() * 1000) > 5 * 60 * 1000:
            return _error(80000, "date must be current time, in 5 minutes")
        routes = {
            "/v3/keyboardPwd/add": self._add,
            "/v3/keyboardPwd/delete": self._delete,
            "/v3/lock/listKeyboardPwd": self._list_passcodes,
            "/v3/lock/list": self._list_locks,
            "/v3/lock/detail": self._detail,
            "/v3/lock/queryDate": self._query_date,
            "/v3/gateway/listByLock": self._gateways_of,
        }
        if path not in routes:
            return _error(-3, "invalid parameter")
        return routes[path](fields)

    def _token(self, fields: dict[str, str]) -> dict:
        if fields.get("clientSecret") != self.client_secret:
            return _error(10001, "invalid client")
        if fields.get("grant_type") == "refresh_token":
            with self._state:
                if fields.get("refresh_token") not in self.refresh_tokens:
                    return _error(10011, "invalid refresh_token")
                self.refresh_tokens.discard(fields["refresh_token"])
        elif (fields.get("username"), fields.get("password")) != (self.username, self.password_md5):
            return _error(10007, "invalid account or invalid password")
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        with self._state:
            self.logins += fields.get("grant_type") != "refresh_token"
            self.access_tokens.add(access)
            self.refresh_tokens.add(refresh)
        return {"access_token": access, "refresh_token": refresh, "uid": 1, "expires_in": TOKEN_LIFETIME}

    def _lock(self, fields: dict[str, str]) -> FakeLock | None:
        return self.locks.get(int(fields.get("lockId", 0)))

    def _through_gateway(self, lock: FakeLock, command) -> dict:
        """Run a command on the lock's gateway, or answer busy if it is carrying another one."""
        if lock.gateway is None and not lock.wifi:
            return _error(-2012, "lock is not connected to any gateway")
        gateway = lock.gateway or f"wifi-{lock.lock_id}"  # a Wi-Fi lock is its own gateway
        with self._state:
            if gateway in self._gateways_in_use:
                self.busy_answers += 1
                return _error(-3003, "gateway is busy")
            self._gateways_in_use.add(gateway)
        try:
            time.sleep(self.gateway_latency_seconds)
            with self._state:
                return command()
        finally:
            with self._state:
                self._gateways_in_use.discard(gateway)

    def _add(self, fields: dict[str, str]) -> dict:
        lock = self._lock(fields)
        if lock is None:
            return _error(-1003, "lock does not exist")
        if fields.get("addType") != "2" or fields.get("keyboardPwdType") != "3":
            return _error(-3, "this fake only writes period codes through the gateway")
        pin = fields["keyboardPwd"]

        def write():
            codes = self.passcodes[lock.lock_id]
            if any(code["keyboardPwd"] == pin for code in codes.values()):
                return _error(-3007, "the same passcode already exists")
            self._next_passcode_id += 1
            codes[self._next_passcode_id] = {
                "keyboardPwdId": self._next_passcode_id,
                "lockId": lock.lock_id,
                "keyboardPwd": pin,
                "keyboardPwdName": fields.get("keyboardPwdName", ""),
                "keyboardPwdType": 3,
                "startDate": int(fields["startDate"]),
                "endDate": int(fields["endDate"]),
                "isCustom": 1,
            }
            return {"keyboardPwdId": self._next_passcode_id}

        return self._through_gateway(lock, write)

    def _delete(self, fields: dict[str, str]) -> dict:
        lock = self._lock(fields)
        if lock is None:
            return _error(-1003, "lock does not exist")

        def delete():
            if self.passcodes[lock.lock_id].pop(int(fields["keyboardPwdId"]), None) is None:
                return _error(-2009, "passcode does not exist")
            return OK

        return self._through_gateway(lock, delete)

    def _list_passcodes(self, fields: dict[str, str]) -> dict:
        lock = self._lock(fields)
        if lock is None:
            return _error(-1003, "lock does not exist")
        search = fields.get("searchStr", "")
        with self._state:
            codes = [
                dict(code)
                for code in self.passcodes[lock.lock_id].values()
                if code["keyboardPwd"] == search or search in code["keyboardPwdName"]
            ]
        return _page(codes, fields)

    def _list_locks(self, fields: dict[str, str]) -> dict:
        return _page([_lock_fields(lock) for lock in self.locks.values()], fields)

    def _detail(self, fields: dict[str, str]) -> dict:
        lock = self._lock(fields)
        if lock is None:
            return _error(-1003, "lock does not exist")
        return {**_lock_fields(lock), "timezoneRawOffset": lock.timezone_offset_ms}


    def _query_date(self, fields: dict[str, str]) -> dict:
        lock = self._lock(fields)
        if lock is None:
            return _error(-1003, "lock does not exist")
        if not lock.gateway_online:
            return _error(-3002, "gateway is offline")
        return self._through_gateway(lock, lambda: {"date": int(time.time() * 1000) + lock.clock_offset_ms})

    def _gateways_of(self, fields: dict[str, str]) -> dict:
        lock = self._lock(fields)
        if lock is None:
            return _error(-1003, "lock does not exist")
        heard = lock.gateway is not None and lock.gateway_online
        gateways = [{"gatewayId": sum(map(ord, lock.gateway)), "gatewayName": lock.gateway, "rssi": -60}] if heard else []
        return {"list": gateways}


def _lock_fields(lock: FakeLock) -> dict:
    return {
        "lockId": lock.lock_id,
        "lockName": f"M201_{lock.lock_id}",
        "lockAlias": lock.name,
        "hasGateway": 0 if lock.gateway is None else 1,
        "electricQuantity": lock.battery,
        "featureValue": format((1 << 56 if lock.wifi else 0) | 0xF44354CD5F3, "X"),
    }


def _page(items: list[dict], fields: dict[str, str]) -> dict:
    page, size = int(fields.get("pageNo", 1)), int(fields.get("pageSize", 20))
    pages = max(1, -(-len(items) // size))
    return {
        "list": items[(page - 1) * size : page * size],
        "pageNo": page,
        "pageSize": size,
        "pages": pages,
        "total": len(items),
    }
