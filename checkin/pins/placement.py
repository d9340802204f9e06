"""Placing one PIN on every lock of a stay: all or nothing, adopting a code a lost answer left.

A lock may refuse a PIN another code already uses, so a few PINs are tried per attempt; a code
that a timed-out call may have written is looked for on the lock before anything else happens.
"""
import logging
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from flask import current_app

from sqlalchemy import select, update

from ..clock import to_epoch_ms, utc_now
from ..extensions import db
from ..locks import DuplicatePasscode, LockBusy, LockCloudError, LockUnreachable, PasscodeRejected
from ..models import CheckIn, Lock, LockCode, PinState
from .cloud import lock_cloud
from .plan import LockTarget, PinJobPlan, update_owned_row
from .removal import remove_lock_codes, take_code_off

log = logging.getLogger(__name__)

# How many PINs to try per attempt when locks refuse them.
PIN_PICKS_PER_ATTEMPT = 5
# TTLock's answer when a lock model takes only 6 to 9 digits: its guests get 6 from then on.
PIN_LENGTH_REFUSED = -3006
LONG_PIN_DIGITS = 6
# A lock's answers that say "not this PIN": another PIN may do.
PIN_REFUSALS = (DuplicatePasscode, PasscodeRejected)
DATES_ROUNDED_BY_LESS_THAN_MS = 3600 * 1000


def is_acceptable_pin(pin: str, digits: int = 4) -> bool:
    """`digits` digits, no leading 0, not a run (1234, 8765) or a repeat (1111, 1212, 123123):
    TTLock refuses those."""
    if not re.fullmatch(f"[1-9][0-9]{{{digits - 1}}}", pin):
        return False
    # Modulo 10, so 7890 and 2109 count as runs too, as they do on a keypad.
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:])}
    repeats = any(pin == pin[:size] * (digits // size) for size in range(1, digits) if digits % size == 0)
    return steps not in ({1}, {9}, {0}) and not repeats


def choose_pin(excluded: set[str], digits: int = 4) -> str:
    """A random acceptable PIN of `digits` digits not among the excluded ones."""
    if digits > 4:  # too many to list: draw until one fits
        for _ in range(1000):
            pin = str(10 ** (digits - 1) + secrets.randbelow(9 * 10 ** (digits - 1)))
            if pin not in excluded and is_acceptable_pin(pin, digits):
                return pin
        raise PasscodeRejected(f"No free {digits}-digit PIN was found for these locks.")
    candidates = [
        pin for pin in map(str, range(1000, 10000)) if pin not in excluded and is_acceptable_pin(pin)
    ]
    if not candidates:
        raise PasscodeRejected("Every possible 4-digit PIN is already in use on these locks.")
    return secrets.choice(candidates)


def place_pin_on_every_lock(plan: PinJobPlan, tried: set[str]) -> str:
    """Put one new PIN on every lock in order; on any failure take it off those that have it."""
    pin, _ = _place_pin(plan, tried, plan.locks, leave_out_offline=False)
    return pin


def place_pin_where_reachable(
    plan: PinJobPlan, tried: set[str], locks: tuple[LockTarget, ...]
) -> tuple[str | None, list[LockTarget]]:
    """Put one new PIN on those of `locks` whose gateway answers; return it (None if it is on
    no lock) and the locks left out because their gateway is offline (they need backup codes)."""
    if not locks:
        remove_lock_codes(plan.check_in_id)
        return None, []
    pin, offline = _place_pin(plan, tried, locks, leave_out_offline=True)
    return (None if len(offline) == len(locks) else pin), offline


def _place_pin(
    plan: PinJobPlan, tried: set[str], locks: tuple[LockTarget, ...], leave_out_offline: bool
) -> tuple[str, list[LockTarget]]:
    if not locks:
        raise LockCloudError("No lock is configured for this room or the front door.")
    by_gateway = _by_gateway(locks)
    # Behind one gateway, one turn for the whole PIN: in a burst of arrivals the first guests'
    # PINs are done first, instead of every front-door command going before any room lock's.
    # Behind several, each gateway's commands go at the same time, each in its own turn.
    one_gateway = len(by_gateway) == 1
    with lock_cloud().gateway_turn([lock.ttlock_id for lock in locks]) if one_gateway else nullcontext():
        for _ in range(PIN_PICKS_PER_ATTEMPT):
            _clear_earlier_codes(plan, tried)
            pin = choose_pin(_pins_in_use(plan) | tried, _pin_digits(plan))
            tried.add(pin)
            # Recorded before any lock is touched, so whoever takes over knows what to look for.
            update_owned_row(plan, pin=pin)
            # Every code that reached a lock is recorded as it lands, so a failure below removes it.
            outcomes = _add_everywhere(plan, by_gateway, pin, leave_out_offline)
            offline = [lock for lock in locks if isinstance(outcomes[lock], LockUnreachable) and leave_out_offline]
            failures = [(lock, outcomes[lock]) for lock in locks
                        if isinstance(outcomes[lock], LockCloudError) and lock not in offline]
            if not failures:
                return pin, offline
            refused = [(lock, error) for lock, error in failures if isinstance(error, PIN_REFUSALS)]
            if len(refused) == len(failures):  # every lock that failed refused this PIN: pick another
                for lock, refusal in refused:
                    if refusal.errcode == PIN_LENGTH_REFUSED:
                        _remember_six_digits(plan, lock)
                continue
            remove_lock_codes(plan.check_in_id)
            raise next(error for _, error in failures if not isinstance(error, PIN_REFUSALS))
        remove_lock_codes(plan.check_in_id)
    raise PasscodeRejected(f"The locks refused {PIN_PICKS_PER_ATTEMPT} different PINs in a row.")


def _by_gateway(locks: tuple[LockTarget, ...]) -> list[list[LockTarget]]:
    """The locks grouped by the gateway that carries their commands, in the stay's order."""
    groups: dict[object, list[LockTarget]] = {}
    for lock in locks:
        groups.setdefault(lock_cloud().gateway_key(lock.ttlock_id), []).append(lock)
    return list(groups.values())


def _add_everywhere(plan: PinJobPlan, by_gateway: list[list[LockTarget]], pin: str, past_offline: bool) -> dict:
    """Add the PIN to every lock: in order behind one gateway, at once behind several. Returns
    each lock's passcode id, the LockCloudError it met, or None for a lock not tried (after a
    failure behind the same gateway, unless `past_offline` and the failure was an offline
    gateway)."""
    if len(by_gateway) == 1:
        return _add_in_order(plan, by_gateway[0], pin, past_offline)
    app = current_app._get_current_object()

    def one_gateway(group: list[LockTarget]) -> dict:
        with app.app_context(), lock_cloud().gateway_turn([lock.ttlock_id for lock in group]):
            return _add_in_order(plan, group, pin, past_offline)

    outcomes = {}
    with ThreadPoolExecutor(max_workers=len(by_gateway), thread_name_prefix="pin-gateway") as pool:
        for result in pool.map(one_gateway, by_gateway):
            outcomes.update(result)
    return outcomes


def _add_in_order(plan: PinJobPlan, locks: list[LockTarget], pin: str, past_offline: bool) -> dict:
    outcomes: dict[LockTarget, int | LockCloudError | None] = dict.fromkeys(locks)
    for lock in locks:
        try:
            outcomes[lock] = _add_or_adopt(plan, lock, pin)
            # Its write stops the job here if the booking ended meanwhile: no further lock call.
            _record_lock_code(plan, lock, pin, outcomes[lock])
        except LockCloudError as error:
            outcomes[lock] = error
            # After an offline gateway the next lock may be heard by one that works.
            if not (past_offline and isinstance(error, LockUnreachable)):
                break
    return outcomes


def _clear_earlier_codes(plan: PinJobPlan, tried: set[str]) -> None:
    """No half PIN and no second set: remove every recorded code, and any unrecorded one of ours."""
    remove_lock_codes(plan.check_in_id)
    if plan.earlier_pin is None or plan.earlier_pin in tried:
        return
    tried.add(plan.earlier_pin)
    for lock in plan.locks:
        passcode_id = _our_code_on_lock(plan, lock, plan.earlier_pin)
        if passcode_id is not None:
            take_code_off(lock.ttlock_id, passcode_id, plan.earlier_pin, plan.passcode_name)
            log.info("Removed an unrecorded code of booking %s from %s", plan.booking_reference, lock.name)


def remove_unrecorded_codes(plan: PinJobPlan, tried: set[str]) -> None:
    """When a job gives up: no code of ours stays on a lock, including a PIN tried earlier in
    the job whose add timed out and landed after we looked. Best effort: an unreachable lock's
    stray code is logged (it ends by its own dates)."""
    recorded = set(db.session.execute(
        select(LockCode.lock_id, LockCode.passcode_id).where(
            LockCode.check_in_id == plan.check_in_id, LockCode.removed_at.is_(None))
    ).all())
    db.session.commit()
    for lock in plan.locks:
        try:
            strays = [code for code in lock_cloud().list_passcodes(lock.ttlock_id)
                      if code.name == plan.passcode_name and code.pin in tried
                      and (lock.id, code.passcode_id) not in recorded]
            for code in strays:
                take_code_off(lock.ttlock_id, code.passcode_id, code.pin, plan.passcode_name)
                log.info("Removed a code of booking %s that a lost answer left on %s",
                         plan.booking_reference, lock.name)
        except LockCloudError as error:
            log.warning("Could not check %s for codes of booking %s left behind: %s",
                        lock.name, plan.booking_reference, error.reason)


def _pin_digits(plan: PinJobPlan) -> int:
    """6 if any of the stay's locks refused a 4-digit PIN once (the same PIN goes on every lock)."""
    long = db.session.scalar(
        select(Lock.id).where(Lock.id.in_([lock.id for lock in plan.locks]), Lock.needs_six_digits).limit(1)
    )
    db.session.commit()
    return 4 if long is None else LONG_PIN_DIGITS


def _remember_six_digits(plan: PinJobPlan, lock: LockTarget) -> None:
    db.session.execute(update(Lock).where(Lock.id == lock.id).values(needs_six_digits=True))
    db.session.commit()
    log.warning("%s refused a 4-digit PIN for booking %s: its guests get 6 digits from now on",
                lock.name, plan.booking_reference)


def _pins_in_use(plan: PinJobPlan) -> set[str]:
    """PINs of other guests' codes on these locks, and of other jobs still placing theirs."""
    on_locks = select(LockCode.pin).where(
        LockCode.lock_id.in_([lock.id for lock in plan.locks]),
        LockCode.removed_at.is_(None),
        LockCode.check_in_id != plan.check_in_id,
    )
    being_placed = select(CheckIn.pin).where(
        CheckIn.pin_state == PinState.PENDING,
        CheckIn.pin.is_not(None),
        CheckIn.id != plan.check_in_id,
    )
    pins = set(db.session.scalars(on_locks.union(being_placed)).all())
    db.session.commit()
    return pins


def _our_code_on_lock(plan: PinJobPlan, lock: LockTarget, pin: str) -> int | None:
    """The id of this booking's code with this PIN on the lock, if there is one. Its stored dates
    may differ from ours by less than an hour: some locks round them."""
    existing = lock_cloud().find_passcode(lock.ttlock_id, pin)
    ours = (
        existing is not None
        and existing.name == plan.passcode_name
        and abs(existing.start_ms - to_epoch_ms(plan.valid_from)) < DATES_ROUNDED_BY_LESS_THAN_MS
        and abs(existing.end_ms - to_epoch_ms(plan.valid_until)) < DATES_ROUNDED_BY_LESS_THAN_MS
    )
    return existing.passcode_id if ours else None


def _add_or_adopt(plan: PinJobPlan, lock: LockTarget, pin: str) -> int:
    """Add the PIN; if it may already be there (a duplicate, a timed-out add) and is ours, adopt it."""
    try:
        return lock_cloud().add_passcode(lock.ttlock_id, pin, plan.passcode_name, plan.valid_from, plan.valid_until)
    except (DuplicatePasscode, LockBusy) as error:
        # A busy or timed-out add may still have written the code: look before giving up on it.
        passcode_id = _our_code_on_lock(plan, lock, pin)
        if passcode_id is None:
            raise error
        log.info("Adopted the code already on %s for booking %s", lock.name, plan.booking_reference)
        return passcode_id


def _record_lock_code(plan: PinJobPlan, lock: LockTarget, pin: str, passcode_id: int) -> None:
    # Recorded even if the job was superseded meanwhile: the code is on the lock either way.
    db.session.add(
        LockCode(check_in_id=plan.check_in_id, lock_id=lock.id, job_id=plan.job_id, pin=pin, passcode_id=passcode_id)
    )
    db.session.commit()
    update_owned_row(plan, pin_heartbeat_at=utc_now())
