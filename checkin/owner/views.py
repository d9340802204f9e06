"""The owner's daily pages: today, one booking and its actions, the parking list, the audit trail."""
from flask import abort, flash, redirect, render_template, request, url_for

from ..clock import property_today
from ..locks import LockCloudError
from ..models import AUDIT_LABELS
from ..services import (
    audit,
    booking_inbox,
    lock_readiness,
    lookup_limits,
    owner_actions,
    owner_dashboard,
)
from ..services.alert_delivery import undelivered_alerts
from ..services.owner_actions import ActionRefused
from .auth import owner_required
from .blueprint import bp


@bp.route("/", strict_slashes=False)
@owner_required
def dashboard():
    overview = owner_dashboard.day_overview(property_today())
    return render_template("owner/dashboard.html", overview=overview, undelivered=undelivered_alerts(),
                           to_sort_out=booking_inbox.inbox(), lock_problems=lock_readiness.lock_problems_today())


@bp.route("/bookings/<reference>")
@owner_required
def booking(reference: str):
    return _booking_page(reference)


@bp.route("/bookings/<reference>/pin", methods=["POST"])
@owner_required
def show_pin(reference: str):
    status = _status_or_404(reference)
    try:
        pin, backup_codes = owner_actions.reveal_pin(status.booking.check_in) if status.booking.check_in else (None, [])
    except ActionRefused as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("owner.booking", reference=reference))
    return _booking_page(reference, pin=pin, backup_codes=backup_codes)


@bp.route("/bookings/<reference>/retry-pin", methods=["POST"])
@owner_required
def retry_pin(reference: str):
    status = _status_or_404(reference)
    return _act(reference, "A new PIN is being made. Refresh in a moment to see it ready.",
                owner_actions.retry_pin, status.booking.check_in)


@bp.route("/bookings/<reference>/revoke-pin", methods=["POST"])
@owner_required
def revoke_pin(reference: str):
    status = _status_or_404(reference)
    return _act(reference, "The PIN is revoked. Its codes are coming off the locks: see below.",
                owner_actions.revoke, status.booking.check_in)


@bp.route("/bookings/<reference>/cancel", methods=["POST"])
@owner_required
def cancel_booking(reference: str):
    status = _status_or_404(reference)
    return _act(reference, "The booking is cancelled. Its codes are coming off the locks: see below.",
                owner_actions.cancel, status.booking)


@bp.route("/bookings/<reference>/retry-removal", methods=["POST"])
@owner_required
def retry_removal(reference: str):
    status = _status_or_404(reference)
    return _act(reference, "Trying again to take the codes off the locks.", owner_actions.retry_removal,
                status.booking.check_in)


@bp.route("/bookings/<reference>/clear-tries", methods=["POST"])
@owner_required
def clear_lookup_tries(reference: str):
    status = _status_or_404(reference)
    cleared = lookup_limits.clear_misses(status.booking.reference)
    flash(f"Cleared {cleared.total} wrong-surname tries: every connection may try this booking again.", "success")
    return redirect(url_for("owner.booking", reference=reference))


@bp.route("/parking")
@owner_required
def parking():
    today = property_today()
    return render_template("owner/parking.html", today=today, stays=owner_dashboard.parking_list(today))


@bp.route("/audit")
@owner_required
def audit_log():
    page = audit.audit_page(request.args.get("page", 1, type=int))
    return render_template("owner/audit.html", page=page, labels=AUDIT_LABELS)


def _status_or_404(reference: str) -> owner_dashboard.BookingStatus:
    booking = owner_dashboard.booking_by_reference(reference)
    if booking is None:
        abort(404)
    return owner_dashboard.booking_status(booking)


def _booking_page(reference: str, pin: str | None = None, backup_codes: list[tuple[str, str]] = ()):
    status = _status_or_404(reference)
    events = audit.events_for_booking(status.booking.reference)
    token = owner_actions.room_link_token(status.booking.check_in) if status.booking.check_in else None
    room_link = url_for("guest.room", token=token, _external=True) if token else None
    misses = lookup_limits.misses_today(status.booking.reference)
    return render_template("owner/booking.html", status=status, events=events, pin=pin, backup_codes=backup_codes,
                           labels=AUDIT_LABELS, room_link=room_link, misses=misses)


def _act(reference: str, done: str, action, target):
    """Run a booking action and say in plain words how it went; then back to the booking."""
    try:
        if target is None:
            raise ActionRefused("The guest has not started checking in yet.")
        action(target)
    except ActionRefused as refusal:
        flash(str(refusal), "error")
    except LockCloudError as error:
        flash(f"Done, but a lock could not be reached: {error.reason} Its code stays recorded and is removed "
              "by the next sweep once the lock is back.", "warning")
    else:
        flash(done, "success")
    if request.form.get("from") == "dashboard":
        return redirect(url_for("owner.dashboard"))
    return redirect(url_for("owner.booking", reference=reference))
