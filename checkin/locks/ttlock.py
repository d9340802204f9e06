"""The real TTLock Open Platform client: tokens kept in a store it is given, one gateway command at a time.

Every failure becomes a LockCloudError whose reason the owner can act on. Tokens, the client
secret and URLs carrying the access token never reach a log line or an exception's text.
"""
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

import requests

from ..clock import to_epoch_ms, utc_now
from . import (
    WIFI_FEATURE_BIT,
    IssuedBackupCode,
    LockBusy,
    LockCloud,
    LockCloudError,
    LockConfigurationError,
    LockInfo,
    PasscodeOnLock,
)
from .gateway_queue import AccountGateways, Gateway
from .names import lock_label
from .ttlock_errors import error_for

log = logging.getLogger(__name__)

RENEW_WHEN_LESS_THAN = timedelta(days=7)
TOKEN_LIFETIME_IF_UNSTATED = 90 * 24 * 3600  # TTLock's documented default, in seconds
# The spec's suggested waits between tries when the gateway or lock answers "busy".
DEFAULT_BUSY_BACKOFF = (5.0, 15.0, 60.0)
BUSY_CODES = {-3003, -3037}
TOKEN_REJECTED = {10003, 10004}
PAGE_SIZE = 100

_TOKEN_IN_URL = re.compile(r"(accessToken=)[^&\s\"']+")


class _HideAccessTokens(logging.Filter):
    """urllib3 logs every request URL at debug level, and our GET URLs carry the access token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "accessToken=" in message:
            record.msg, record.args = _TOKEN_IN_URL.sub(r"\1[hidden]", message), ()
        return True


_hide_access_tokens = _HideAccessTokens()


@dataclass(frozen=True)
class StoredToken:
    access: str
    refresh: str
    expires_at: datetime


class TokenStore(Protocol):
    """Where the account's tokens live, shared by every worker and kept across restarts."""

    def load(self, username: str) -> StoredToken | None: ...

    def save(self, username: str, token: StoredToken) -> None: ...


class TTLockCloud(LockCloud):
    """TTLock's cloud API (https://euapi.ttlock.com), talking to locks through their gateways."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        username: str,
        password: str,
        queue: Gateway,
        token_store: TokenStore,
        lock_name: Callable[[int], str | None] = lambda lock_id: None,
        gateway_of: Callable[[int], int | None] = lambda lock_id: None,
        gateway_queue: Callable[[int], Gateway] | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 40.0,
        busy_backoff: Sequence[float] = DEFAULT_BUSY_BACKOFF,
        renew_before: timedelta = RENEW_WHEN_LESS_THAN,
    ):
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._username = username
        self._password_md5 = hashlib.md5(password.encode()).hexdigest()
        self._queue = queue
        self._tokens = token_store
        self._lock_name = lock_name
        self._gateways = AccountGateways(queue, gateway_of, gateway_queue)
        self._timeout = (connect_timeout, read_timeout)
        self._busy_backoff = tuple(busy_backoff)
        self._renew_before = renew_before
        logging.getLogger("urllib3.connectionpool").addFilter(_hide_access_tokens)

    # The LockCloud interface.

    def add_passcode(
        self, lock_id: int, pin: str, name: str, valid_from: datetime, valid_until: datetime
    ) -> int:
        fields = {
            "lockId": lock_id,
            "keyboardPwd": pin,
            "keyboardPwdName": name,
            "keyboardPwdType": 3,  # a period code, valid between startDate and endDate
            "startDate": to_epoch_ms(valid_from),
            "endDate": to_epoch_ms(valid_until),
            "addType": 2,  # written to the lock through its gateway; 1 would only record it
        }
        body = self._gateway_command("/v3/keyboardPwd/add", fields, lock_id)
        try:
            return int(body["keyboardPwdId"])
        except (KeyError, TypeError, ValueError):
            # The PIN may be on the lock: a retry meets -3007 and the caller finds it by PIN.
            raise LockBusy(
                f"TTLock answered the new PIN for {self._lock_label(lock_id)} without a passcode id."
            ) from None

    def delete_passcode(self, lock_id: int, passcode_id: int) -> None:
        fields = {"lockId": lock_id, "keyboardPwdId": passcode_id, "deleteType": 2}  # via the gateway
        self._gateway_command("/v3/keyboardPwd/delete", fields, lock_id)

    def change_passcode(self, lock_id: int, passcode_id: int, valid_from: datetime, valid_until: datetime) -> None:
        fields = {
            "lockId": lock_id,
            "keyboardPwdId": passcode_id,
            # Both dates, always: with startDate missing TTLock answers success and changes nothing.
            "startDate": to_epoch_ms(valid_from),
            "endDate": to_epoch_ms(valid_until),
            "changeType": 2,  # written to the lock through its gateway; 1 would need Bluetooth
        }
        self._gateway_command("/v3/keyboardPwd/change", fields, lock_id)

    def gateway_turn(self, lock_ids=()):
        return self._gateways.turns(lock_ids)

    def gateway_key(self, lock_id: int) -> int | None:
        return self._gateways.gateway_of(lock_id)

    def get_backup_code(self, lock_id: int, name: str, valid_from: datetime, valid_until: datetime) -> IssuedBackupCode:
        # Computed by the cloud from keys the lock already holds: no gateway, so no queue.
        fields = {
            "lockId": lock_id,
            "keyboardPwdType": 3,  # a period code
            "keyboardPwdName": name,
            "startDate": to_epoch_ms(valid_from),
            "endDate": to_epoch_ms(valid_until),
        }
        body = self._call("POST", "/v3/keyboardPwd/get", fields, lock_id)
        code = str(body.get("keyboardPwd") or "")
        if not code.isdigit() or "keyboardPwdId" not in body:
            raise LockBusy(f"TTLock answered a backup code for {self._lock_label(lock_id)} without the code or its id.")
        return IssuedBackupCode(int(body["keyboardPwdId"]), code)

    def find_passcode(self, lock_id: int, pin: str) -> PasscodeOnLock | None:
        # searchStr matches codes exactly but names loosely, so check the code ourselves.
        fields = {"lockId": lock_id, "orderBy": 1, "searchStr": pin}
        for item in self._pages("/v3/lock/listKeyboardPwd", fields, lock_id):
            if str(item.get("keyboardPwd")) == pin:
                return _passcode(item)
        return None

    def list_locks(self) -> list[LockInfo]:
        return [_lock_info(item) for item in self._pages("/v3/lock/list", {})]

    def lock_detail(self, lock_id: int) -> LockInfo:
        body = self._call("GET", "/v3/lock/detail", {"lockId": lock_id}, lock_id)
        return _lock_info({"lockId": lock_id, **body})

    def lock_gateways(self, lock_id: int) -> list[int]:
        body = self._call("GET", "/v3/gateway/listByLock", {"lockId": lock_id}, lock_id)
        heard = [item for item in body.get("list") or [] if "gatewayId" in item]
        # TTLock sends a command through the gateway that hears the lock best: that one first.
        heard.sort(key=lambda item: -int(item.get("rssi") or -200))
        return [int(item["gatewayId"]) for item in heard]

    def lock_clock(self, lock_id: int) -> datetime:
        with self._gateway_queue(lock_id).turn():  # read over the gateway, like any command to the lock
            body = self._call("GET", "/v3/lock/queryDate", {"lockId": lock_id}, lock_id)
        try:
            return datetime.fromtimestamp(int(body["date"]) / 1000, timezone.utc)
        except (KeyError, TypeError, ValueError):
            raise LockBusy(f"TTLock answered the clock of {self._lock_label(lock_id)} without a date.") from None

    def list_passcodes(self, lock_id: int) -> list[PasscodeOnLock]:
        fields = {"lockId": lock_id, "orderBy": 1}
        return [_passcode(item) for item in self._pages("/v3/lock/listKeyboardPwd", fields, lock_id)]

    # Requests.

    def _gateway_command(self, path: str, fields: dict, lock_id: int) -> dict:
        """A command the gateway carries to the lock: queued behind others, "busy" retried."""
        with self._gateway_queue(lock_id).turn():
            for delay in self._busy_backoff:
                try:
                    return self._call("POST", path, fields, lock_id)
                except LockBusy as error:
                    if error.errcode not in BUSY_CODES:
                        raise
                    log.info("%s Trying again in %g s.", error.reason, delay)
                time.sleep(delay)
            return self._call("POST", path, fields, lock_id)

    def _gateway_queue(self, lock_id: int | None) -> Gateway:
        """One queue per gateway: a gateway carries one command at a time, two gateways two."""
        return self._gateways.of_lock(lock_id)

    def _pages(self, path: str, fields: dict, lock_id: int | None = None) -> Iterator[dict]:
        page = 1
        while True:
            body = self._call("GET", path, {**fields, "pageNo": page, "pageSize": PAGE_SIZE}, lock_id)
            yield from body.get("list") or []
            if page >= int(body.get("pages") or 1):
                return
            page += 1

    def _call(self, method: str, path: str, fields: dict, lock_id: int | None = None) -> dict:
        """One authenticated call; a token TTLock rejects is renewed and the call made once more."""
        token = self._access_token()
        body = self._send_with_token(method, path, fields, token)
        if _errcode(body) in TOKEN_REJECTED:
            log.info("TTLock rejected the access token (errcode %s); renewing it", _errcode(body))
            body = self._send_with_token(method, path, fields, self._renew_token(stale=token))
        if code := _errcode(body):
            raise self._error(code, body, lock_id)
        return body

    def _send_with_token(self, method: str, path: str, fields: dict, token: str) -> dict:
        auth = {"clientId": self._client_id, "accessToken": token, "date": to_epoch_ms(utc_now())}
        return self._send(method, path, {**fields, **auth})

    def _send(self, method: str, path: str, fields: dict) -> dict:
        """One HTTP exchange. Transport trouble and odd answers become LockBusy; errcodes pass."""
        started = time.monotonic()
        where = {"params": fields} if method == "GET" else {"data": fields}
        # Exceptions from requests can quote the URL, query and token included: never chain them.
        try:
            response = requests.request(method, self._base_url + path, timeout=self._timeout, **where)
        except requests.ConnectTimeout:
            raise LockBusy(
                f"Could not connect to the TTLock cloud within {self._timeout[0]:g} seconds."
            ) from None
        except requests.Timeout:
            raise LockBusy(
                f"The TTLock cloud did not answer {path} within {self._timeout[1]:g} seconds; "
                "the command may still have reached the lock."
            ) from None
        except requests.RequestException as error:
            raise LockBusy(f"Could not reach the TTLock cloud ({type(error).__name__}).") from None
        status = response.status_code
        log.debug("TTLock %s %s: HTTP %s in %.1f s", method, path, status, time.monotonic() - started)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and _errcode(body):
            return body  # an error is an error whatever the HTTP status; _call maps it
        if status >= 500 or status == 429:
            raise LockBusy(f"The TTLock cloud answered {path} with HTTP {status}.")
        if status >= 400:
            raise LockConfigurationError(
                f"The TTLock cloud answered {path} with HTTP {status}; check TTLOCK_BASE_URL."
            )
        if not isinstance(body, dict):
            raise LockBusy(f"The TTLock cloud answered {path} with something other than JSON.")
        return body

    def _error(self, code: int, body: dict, lock_id: int | None) -> LockCloudError:
        return error_for(code, body.get("errmsg"), self._lock_label(lock_id))

    def _lock_label(self, lock_id: int | None) -> str:
        """How the owner knows the lock: "Room 2 door (2002)"."""
        try:
            name = None if lock_id is None else self._lock_name(lock_id)
        except Exception:
            name = None  # the lock's error matters more than its name
        return lock_label(name, lock_id)

    # Tokens.

    def _access_token(self) -> str:
        token = self._tokens.load(self._username)
        if token is not None and token.expires_at - utc_now() > self._renew_before:
            return token.access
        try:
            return self._renew_token(stale=token.access if token else None)
        except LockCloudError as error:
            # Renewing early is a precaution: whatever went wrong, a token still valid serves.
            if token is None or token.expires_at <= utc_now():
                raise
            log.warning("Could not renew the TTLock token early (%s); the current one still works", error.reason)
            return token.access

    def _renew_token(self, stale: str | None) -> str:
        """Refresh the token, or log in again; once across workers, unless one already did."""
        with self._queue.exclusive("token"):
            token = self._tokens.load(self._username)
            if token is not None and token.access != stale:
                return token.access
            body = None
            if token is not None:
                try:
                    body = self._token_request(
                        {"grant_type": "refresh_token", "refresh_token": token.refresh}
                    )
                except LockCloudError as error:
                    if error.errcode is None:
                        raise  # TTLock did not answer: a login would not get through either
                    log.info("TTLock refused the refresh (errcode %s); logging in again", error.errcode)
            if body is None:
                # Exactly the documented parameters: clientId, clientSecret, username, password (MD5).
                body = self._token_request({"username": self._username, "password": self._password_md5})
            return self._store_token(body, token.refresh if token else "")

    def _token_request(self, fields: dict) -> dict:
        body = self._send(
            "POST", "/oauth2/token", {"clientId": self._client_id, "clientSecret": self._client_secret, **fields}
        )
        if code := _errcode(body):
            raise self._error(code, body, None)
        if not body.get("access_token"):
            raise LockConfigurationError(
                "TTLock's login answer held no access token; check the TTLOCK_* settings."
            )
        return body

    def _store_token(self, body: dict, previous_refresh: str) -> str:
        lifetime = int(body.get("expires_in") or TOKEN_LIFETIME_IF_UNSTATED)
        expires_at = utc_now() + timedelta(seconds=lifetime)
        token = StoredToken(body["access_token"], body.get("refresh_token") or previous_refresh, expires_at)
        self._tokens.save(self._username, token)
        log.info("New TTLock access token stored; it expires on %s", expires_at.date().isoformat())
        return body["access_token"]


def _errcode(body: dict) -> int:
    return int(body.get("errcode") or 0)


def _passcode(item: dict) -> PasscodeOnLock:
    return PasscodeOnLock(
        passcode_id=int(item["keyboardPwdId"]),
        pin=str(item.get("keyboardPwd") or ""),
        name=item.get("keyboardPwdName") or "",
        start_ms=int(item.get("startDate") or 0),
        end_ms=int(item.get("endDate") or 0),
    )


def _lock_info(item: dict) -> LockInfo:
    offset = item.get("timezoneRawOffset")
    battery = item.get("electricQuantity")
    return LockInfo(
        lock_id=int(item["lockId"]),
        name=item.get("lockAlias") or item.get("lockName") or "",
        has_gateway=bool(int(item.get("hasGateway") or 0)),
        battery_percent=None if battery is None else int(battery),
        timezone_offset_ms=None if offset is None else int(offset),
        is_wifi=bool(_feature_bits(item.get("featureValue")) >> WIFI_FEATURE_BIT & 1),
    )


def _feature_bits(value) -> int:
    """featureValue comes as a hex string (or, from some clients, a number)."""
    if isinstance(value, int):
        return value
    try:
        return int(str(value), 16)
    except ValueError:
        return 0
