"""Owner accounts: created from the command line, signed in with a throttled password check."""
import hashlib
from dataclasses import dataclass
from functools import cache

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utc_now
from ..extensions import db
from ..models import OwnerAccount
from .rate_limits import forget_attempts, recent_attempts, record_attempt

MIN_PASSWORD_LENGTH = 12
LOGIN_FAILURES = "owner-login"
# (failures allowed, window in seconds): per account, then per client IP.
ACCOUNT_LIMIT = (5, 15 * 60)
IP_LIMIT = (20, 60 * 60)


class AccountError(ValueError):
    """An account request that cannot be carried out, in words for the owner."""


@dataclass(frozen=True)
class LoginThrottled:
    """Too many recent failures; retry_after is in seconds (for the Retry-After header)."""

    retry_after: int


def normalize_email(text: str) -> str:
    """The e-mail as accounts store it: validated, lower-case."""
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise AccountError(f"{text!r} is not an e-mail address.") from None


def save_owner(email: str, password: str, reset: bool = False) -> OwnerAccount:
    """Create an owner account, or with reset=True set a new password on an existing one."""
    email = normalize_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    account = db.session.scalar(select(OwnerAccount).where(OwnerAccount.email == email))
    if account is None:
        account = OwnerAccount(email=email)
        db.session.add(account)
    elif not reset:
        raise AccountError(f"An owner account for {email} already exists; use --reset to set a new password.")
    account.password_hash = generate_password_hash(password)
    db.session.commit()
    return account


def login_throttled(email: str, client_ip: str) -> LoginThrottled | None:
    """Whether sign-in must be refused before the password is even checked."""
    for key, (allowed, window) in ((f"account:{email.strip().lower()}", ACCOUNT_LIMIT), (f"ip:{client_ip}", IP_LIMIT)):
        if recent_attempts(LOGIN_FAILURES, key, window) >= allowed:
            return LoginThrottled(window)
    return None


def authenticate(email: str, password: str, client_ip: str) -> OwnerAccount | None:
    """The account if the password is right; a failure counts against the account and the IP."""
    email = email.strip().lower()
    account = db.session.scalar(select(OwnerAccount).where(OwnerAccount.email == email))
    if not check_password_hash(account.password_hash if account else _dummy_hash(), password) or account is None:
        record_attempt(LOGIN_FAILURES, f"account:{email}")
        record_attempt(LOGIN_FAILURES, f"ip:{client_ip}")
        return None
    forget_attempts(LOGIN_FAILURES, f"account:{email}")
    account.last_login_at = utc_now()
    db.session.commit()
    return account


@cache
def _dummy_hash() -> str:
    """Checked when the e-mail matches no account, so a miss takes as long as a wrong password."""
    return generate_password_hash("no such owner: the password check still takes its time")


def session_marker(account: OwnerAccount) -> str:
    """Kept in the owner's session: a new password makes every older session's marker stale."""
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


def owner_for_session(owner_id: int | None, marker: str | None) -> OwnerAccount | None:
    """The signed-in owner, if the session's id and marker still match an account."""
    account = db.session.get(OwnerAccount, owner_id) if isinstance(owner_id, int) else None
    if account is None or marker != session_marker(account):
        return None
    return account
