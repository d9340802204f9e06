"""Owner accounts: created from the command line, signed in with a throttled password check,
signed out everywhere at once.

Failures are counted per account AND client, and per client: a stranger's wrong passwords slow
and then refuse the stranger, never the owner on their own connection.
"""
from dataclasses import dataclass
from functools import cache

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utc_now
from ..extensions import db
from ..models import AuditAction, OwnerAccount
from .audit import record_event
from .rate_limits import Attempt, Limit, Refused, forget, give_back, take

MIN_PASSWORD_LENGTH = 12
# Failed sign-ins from one client on one account, and from one client on any account.
FAILURES_ON_ACCOUNT_FROM_CLIENT = Limit("owner-login-account-client", 5, 15 * 60)
FAILURES_FROM_CLIENT = Limit("owner-login-client", 20, 60 * 60)


class AccountError(ValueError):
    """An account request that cannot be carried out, in words for the owner."""


@dataclass(frozen=True)
class LoginThrottled:
    """Too many recent failures; retry_after is in seconds (for the Retry-After header)."""

    retry_after: int


@dataclass(frozen=True)
class SignIn:
    """The account whose password was right, nothing (a failure), or a refusal before checking."""

    account: OwnerAccount | None = None
    throttled: LoginThrottled | None = None


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
    else:
        account.session_generation += 1  # a new password signs out every session of the old one
    account.password_hash = generate_password_hash(password)
    db.session.commit()
    return account


def authenticate(email: str, password: str, client: str) -> SignIn:
    """Check the password if this client may still try; a failure stays counted against the client.

    The attempt is counted before the password is checked and given back if it was right, so
    requests sent at once cannot all be checked past the limit. It is committed first: the slow
    password hash must not keep other requests waiting at the counters.
    """
    email = email.strip().lower()
    counted = take([Attempt(FAILURES_ON_ACCOUNT_FROM_CLIENT, email, client), Attempt(FAILURES_FROM_CLIENT, "", client)])
    if isinstance(counted, Refused):
        return SignIn(throttled=LoginThrottled(counted.retry_after))
    account = db.session.scalar(select(OwnerAccount).where(OwnerAccount.email == email))
    if not check_password_hash(account.password_hash if account else _dummy_hash(), password) or account is None:
        return SignIn()
    give_back(counted)
    forget(FAILURES_ON_ACCOUNT_FROM_CLIENT, email, client)
    account.last_login_at = utc_now()
    db.session.commit()
    return SignIn(account=account)


def unlock(email: str) -> OwnerAccount:
    """Clear the account's failed sign-ins from every client (for `flask unlock-owner`)."""
    email = normalize_email(email)
    account = db.session.scalar(select(OwnerAccount).where(OwnerAccount.email == email))
    if account is None:
        raise AccountError(f"There is no owner account for {email}.")
    forget(FAILURES_ON_ACCOUNT_FROM_CLIENT, email)
    record_event(AuditAction.OWNER_UNLOCKED, detail=email)
    return account


@cache
def _dummy_hash() -> str:
    """Checked when the e-mail matches no account, so a miss takes as long as a wrong password."""
    return generate_password_hash("no such owner: the password check still takes its time")


def owner_for_session(owner_id: int | None, generation: int | None) -> OwnerAccount | None:
    """The signed-in owner, if the session's id and generation still match an account."""
    account = db.session.get(OwnerAccount, owner_id) if isinstance(owner_id, int) else None
    if account is None or not isinstance(generation, int) or generation != account.session_generation:
        return None
    return account


def end_every_session(account: OwnerAccount) -> None:
    """Sign the account out everywhere: every session holding the current generation is over."""
    db.session.execute(
        update(OwnerAccount)
        .where(OwnerAccount.id == account.id)
        .values(session_generation=OwnerAccount.session_generation + 1)
    )
    db.session.commit()
