"""JSON for the guest's browser: the state of their PIN, polled by the "almost ready" page."""
from flask import Blueprint, abort, jsonify, session, url_for

from .guest import SESSION_KEY
from .models import PinState
from .services import check_ins

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.route("/check-ins/<public_id>/status")
def check_in_status(public_id: str):
    """Only the session that owns the check-in may read it; the answer carries no PIN."""
    if session.get(SESSION_KEY) != public_id:
        abort(404)
    check_in = check_ins.check_in_by_public_id(public_id)
    if check_in is None:
        abort(404)
    state = check_ins.pin_state(check_in)
    done = state != PinState.PENDING
    response = jsonify(
        pin_state=str(state),
        next=url_for("guest.almost_ready") if done else None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
