"""TTLock's error codes as the app's lock-cloud errors, in words the owner can act on."""
import re

from . import (
    DuplicatePasscode,
    LockBusy,
    LockCloudError,
    LockConfigurationError,
    LockUnreachable,
    PasscodeNotFound,
    PasscodeRejected,
    QuotaExceeded,
)

# errcode -> (exception, what happened in plain words); "{lock}" names the lock concerned.
ERRORS: dict[int, tuple[type[LockCloudError], str]] = {
    -3003: (LockBusy, "the gateway for {lock} is busy with another command"),
    -3037: (LockBusy, "{lock} is busy"),
    1: (LockBusy, "TTLock could not finish the command on {lock} this time"),
    90000: (LockBusy, "TTLock's cloud had an internal error"),
    -3002: (LockUnreachable, "the gateway for {lock} is offline"),
    -2012: (LockUnreachable, "{lock} has no working gateway near it"),
    -3036: (LockUnreachable, "{lock} is offline: its gateway cannot reach it"),
    -1007: (
        LockConfigurationError,
        "{lock} holds no data for backup codes; reset its passcodes over Bluetooth in the TTLock app",
    ),
    -1026: (PasscodeRejected, "{lock} already issued and deleted a backup code for this period"),
    -2009: (PasscodeNotFound, "{lock} holds no passcode with this id"),
    -3007: (DuplicatePasscode, "{lock} already holds this PIN"),
    -3006: (PasscodeRejected, "{lock} refuses a PIN of this length (custom PINs are 4 to 9 digits)"),
    -2032: (PasscodeRejected, "{lock} refuses this PIN as too simple"),
    30006: (QuotaExceeded, "the TTLock account made too many API calls in a short time; wait a while"),
    30007: (
        QuotaExceeded,
        "the TTLock developer account has used this month's API calls; upgrade it or wait for "
        "the 1st of the month (Beijing time)",
    ),
    10000: (LockConfigurationError, "TTLock does not know this client id; check TTLOCK_CLIENT_ID"),
    10001: (
        LockConfigurationError,
        "TTLock rejected the client id and secret; check TTLOCK_CLIENT_ID and TTLOCK_CLIENT_SECRET",
    ),
    10003: (LockConfigurationError, "TTLock rejected the access token even after renewing it"),
    10004: (LockConfigurationError, "TTLock rejected the access token even after renewing it"),
    10007: (
        LockConfigurationError,
        "TTLock rejected the username or password; check TTLOCK_USERNAME and TTLOCK_PASSWORD "
        "(the TTLock app account, not the developer portal account)",
    ),
    20002: (LockConfigurationError, "the TTLock account is not an administrator of {lock}"),
    -2018: (LockConfigurationError, "the TTLock account has no permission on {lock}"),
    30005: (LockConfigurationError, "TTLock says the password was not sent as MD5"),
    30008: (
        LockConfigurationError,
        "the TTLock account belongs to the other region's server; check TTLOCK_BASE_URL "
        "(https://euapi.ttlock.com outside China)",
    ),
    -1003: (LockConfigurationError, "{lock} does not exist on the TTLock account; check its TTLock id"),
    80000: (
        LockConfigurationError,
        "TTLock refused the request because this server's clock is more than 5 minutes wrong; "
        "fix the server's time (NTP)",
    ),
}

# Long letter-and-digit runs in TTLock's free text could only be tokens or ids: hide them.
_SECRET_LIKE = re.compile(r"[A-Za-z0-9_-]{20,}")


def error_for(code: int, errmsg: str | None, lock: str) -> LockCloudError:
    """The exception for a TTLock errcode; `lock` names the lock concerned, e.g. "Room 2 door (2002)"."""
    kind, text = ERRORS.get(code, (LockCloudError, None))
    if text is None:
        detail = _SECRET_LIKE.sub("[hidden]", str(errmsg or "no reason given"))[:160]
        error = LockCloudError(f"TTLock refused the request for {lock}: {detail} (TTLock error {code}).")
        error.retryable = False  # unknown to us, so retrying blindly could make things worse
    else:
        reason = text.format(lock=lock)
        error = kind(f"{reason[0].upper()}{reason[1:]} (TTLock error {code}).")
    error.errcode = code
    return error
