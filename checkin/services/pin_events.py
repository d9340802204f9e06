"""What the app does when the PIN work announces something: the audit trail records every event,
and a PIN that could not be made alerts the owner and counts in the owner's insights; an offline
gateway alerts the owner too."""
from ..pins.events import gateway_offline, pin_event, pin_failed, pin_move_failed
from .alerts import alert_owner
from .audit import record_pin_event
from .insights import record_pin_failure


def listen() -> None:
    """Connect the listeners (once per process: blinker ignores a second connect)."""
    pin_event.connect(_record_in_audit_trail)
    pin_failed.connect(_alert_owner_of_failure)
    pin_move_failed.connect(_alert_owner_of_failed_move)
    pin_failed.connect(_count_in_insights)
    gateway_offline.connect(_alert_owner_of_offline_gateway)


def _record_in_audit_trail(action, *, booking_reference, check_in_id, detail) -> None:
    record_pin_event(action, booking_reference=booking_reference, check_in_id=check_in_id, detail=detail)


def _alert_owner_of_failure(action, *, booking_reference, reason, job_id) -> None:
    alert_owner(
        "A guest's door PIN could not be made",
        booking_reference,
        f"Reason: {reason} The guest has been shown your phone number; retry the PIN or give them a code.",
        dedupe_key=f"pin-failed:{job_id}",
    )


def _alert_owner_of_failed_move(action, *, booking_reference, reason, move_key) -> None:
    alert_owner(
        "A guest's door PIN could not be moved with their booking",
        booking_reference,
        f"Reason: {reason} The maintenance timer tries again every few minutes; or revoke the PIN and "
        "retry it, and tell the guest their new PIN.",
        dedupe_key=f"pin-move-failed:{move_key}"[:120],
    )


def _count_in_insights(action, *, booking_reference, reason, job_id) -> None:
    record_pin_failure(reason)


def _alert_owner_of_offline_gateway(action, *, booking_reference, doors, reason, job_id, waiting) -> None:
    if waiting:
        what = ("The guest checked in before their arrival day. Backup codes are issued automatically on that "
                "day if the gateway is still offline; better, bring the gateway back online.")
    else:
        what = (f"The guest was given backup codes for {', '.join(doors)}: longer codes the lock checks without "
                "its gateway, which end by themselves at check-out. Bring the gateway back online.")
    alert_owner("A gateway is offline", booking_reference, f"Reason: {reason} {what}",
                dedupe_key=f"gateway-offline:{job_id}")
