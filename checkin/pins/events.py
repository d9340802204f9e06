"""What the PIN work announces. The services listen (the audit trail records every event, a failure
alerts the owner), so the arrows point one way: services know pins, pins know no service."""
from blinker import Namespace

from ..models import AuditAction

_signals = Namespace()

# Sent with the action (an AuditAction) as sender; keywords: booking_reference, check_in_id, detail.
pin_event = _signals.signal("pin-event")
# A PIN job gave up; keywords: booking_reference, reason (for the owner), job_id.
pin_failed = _signals.signal("pin-failed")
# A moved booking's PIN did not reach all its new locks or dates; keywords: booking_reference,
# reason (for the owner), move_key (the same for every try of the same move).
pin_move_failed = _signals.signal("pin-move-failed")
# A gateway was offline: the guest got backup codes for `doors`, or (waiting=True) gets them on
# the arrival day; keywords: booking_reference, doors (lock names), reason, job_id, waiting.
gateway_offline = _signals.signal("gateway-offline")


def announce(
    action: AuditAction, *, booking_reference: str | None = None, check_in_id: int | None = None, detail: str = ""
) -> None:
    """Tell the listeners that something happened to a PIN. Never pass a PIN in `detail`."""
    pin_event.send(action, booking_reference=booking_reference, check_in_id=check_in_id, detail=detail)
