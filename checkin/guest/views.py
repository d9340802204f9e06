"""Guest pages translate HTTP into service calls; the rules live in checkin.services."""
from functools import wraps

from flask import (
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l

from ..clock import utc_now
from ..models import CheckIn, PinState
from ..services import bookings, check_ins
from ..services.alerts import alert_guest_needs_help
from ..services.lookup_limits import lookup_blocked, record_lookup
from ..stays import check_in_opens_on, stay_problem, stay_window
from .blueprint import SESSION_KEY, bp
from .forms import ConfirmForm, DetailsForm, FindBookingForm, ParkingForm, RetryPinForm

BOOKING_NOT_FOUND = _l(
    "We can't find a booking with that reference and surname. "
    "Check both against your booking confirmation."
)


def check_in_required(view):
    """Load the session's check-in into g.check_in, or send the guest back to page 1."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.check_in = check_ins.check_in_by_public_id(session.get(SESSION_KEY))
        if g.check_in is None:
            return redirect(url_for("guest.find_booking"))
        return view(*args, **kwargs)

    return wrapped


def answers_open(view):
    """Pages 2-4 change answers: once confirmed, send the guest to where they stand."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.check_in.confirmed_at is not None:
            return redirect(after_confirm_url(g.check_in))
        return view(*args, **kwargs)

    return check_in_required(wrapped)


def after_confirm_url(check_in: CheckIn) -> str:
    """The room page once the PIN is ready, the contact page if it failed, else the wait page."""
    if check_in.pin_state in (PinState.READY, PinState.AWAITING_DAY):
        return url_for("guest.room", token=check_ins.room_token(check_in))
    if check_in.pin_state == PinState.FAILED:
        return url_for("guest.contact")
    return url_for("guest.almost_ready")


@bp.route("/", methods=["GET", "POST"])
def find_booking():
    form = FindBookingForm()
    if not form.validate_on_submit():
        return render_template("guest/find_booking.html", form=form)
    blocked = lookup_blocked(form.reference.data, request.remote_addr)
    if blocked is not None:
        page = render_template("guest/too_many_tries.html", blocked=blocked)
        return page, 429, {"Retry-After": str(blocked.retry_after)}
    booking = bookings.find_booking(form.reference.data, form.surname.data)
    record_lookup(form.reference.data, request.remote_addr, found=booking is not None)
    if booking is None:
        return render_template("guest/find_booking.html", form=form, not_found=BOOKING_NOT_FOUND)
    problem = stay_problem(booking)
    if problem is not None:
        opens_on = check_in_opens_on(booking)
        return render_template("guest/stay_problem.html", problem=problem, booking=booking, opens_on=opens_on)
    check_in = check_ins.begin_check_in(booking)
    if check_in.confirmed_at is not None and session.get(SESSION_KEY) != check_in.public_id:
        # The PIN is never shown again to a new browser: the room link or the owner, only.
        return render_template("guest/already_checked_in.html", booking=booking)
    session[SESSION_KEY] = check_in.public_id
    return redirect(url_for("guest.details"))


@bp.route("/details", methods=["GET", "POST"])
@answers_open
def details():
    form = DetailsForm(obj=g.check_in)
    if form.validate_on_submit():
        check_ins.save_guest_details(g.check_in, form.full_name.data, form.phone_e164, form.email_normalized)
        return redirect(_next_step("guest.parking"))
    return render_template("guest/details.html", form=form, booking=g.check_in.booking)


@bp.route("/parking", methods=["GET", "POST"])
@answers_open
def parking():
    if not g.check_in.details_given:
        return redirect(url_for("guest.details"))
    form = ParkingForm(obj=g.check_in)
    if form.validate_on_submit():
        check_ins.save_parking(g.check_in, None if form.no_car.data else form.car_registration.data)
        return redirect(url_for("guest.review"))
    return render_template("guest/parking.html", form=form)


@bp.route("/review")
@answers_open
def review():
    if not g.check_in.details_given:
        return redirect(url_for("guest.details"))
    if not g.check_in.parking_answered:
        return redirect(url_for("guest.parking"))
    window = stay_window(g.check_in.booking)
    return render_template("guest/review.html", check_in=g.check_in, window=window, form=ConfirmForm())


@bp.route("/confirm", methods=["POST"])
@check_in_required
def confirm():
    if not (ConfirmForm().validate_on_submit() and g.check_in.details_given and g.check_in.parking_answered):
        return redirect(url_for("guest.review"))
    check_ins.confirm_check_in(g.check_in)
    check_ins.wait_for_pin(g.check_in, float(current_app.config["CONFIRM_WAIT_SECONDS"]))
    return redirect(after_confirm_url(g.check_in))


@bp.route("/almost-ready")
@check_in_required
def almost_ready():
    if g.check_in.confirmed_at is None:
        return redirect(url_for("guest.review"))
    if check_ins.pin_state(g.check_in) != PinState.PENDING:
        return redirect(after_confirm_url(g.check_in))
    return render_template(
        "guest/almost_ready.html",
        status_url=url_for("api.check_in_status", public_id=g.check_in.public_id),
        refresh_seconds=current_app.config["ALMOST_READY_REFRESH_SECONDS"],
    )


@bp.route("/contact")
def contact():
    check_in = check_ins.check_in_by_public_id(session.get(SESSION_KEY))
    alert_guest_needs_help(check_in)  # once per check-in; a visitor without one is not news
    can_retry = check_in is not None and check_in.pin_state == PinState.FAILED
    return render_template("guest/contact.html", check_in=check_in, form=RetryPinForm() if can_retry else None)


@bp.route("/retry", methods=["POST"])
@check_in_required
def retry_pin():
    if RetryPinForm().validate_on_submit():
        check_ins.retry_failed_pin(g.check_in)
    return redirect(after_confirm_url(g.check_in) if g.check_in.confirmed_at else url_for("guest.review"))


@bp.route("/robots.txt")
def robots_txt():
    # Nothing here is for search engines, least of all room links.
    return "User-agent: *\nDisallow: /\n", {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/room/<token>")
def room(token: str):
    check_in = check_ins.check_in_by_room_token(token)
    if check_in is None:
        abort(404)
    valid_from, valid_until = stay_window(check_in.booking)
    if utc_now() >= valid_until or check_in.booking.cancelled_at is not None:
        abort(410)
    check_ins.pin_state(check_in)
    door_codes = check_ins.door_codes(check_in) if check_in.pin_state == PinState.READY else []
    response = current_app.make_response(
        render_template(
            "guest/room.html",
            check_in=check_in,
            door_codes=door_codes,
            doors=[door.door for door in door_codes],
            valid_from=valid_from,
            valid_until=valid_until,
        )
    )
    # A capability URL: keep it out of caches, referrers and search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/room/service-worker.js")
def service_worker():
    """The worker that keeps a room page for offline use.

    Served from /room/, so its scope is the room pages and nothing else (a worker under /static/
    could not control them without a Service-Worker-Allowed header).
    """
    response = send_from_directory(current_app.static_folder, "service-worker.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/room/manifest.webmanifest")
def web_manifest():
    """The web app manifest behind "Add to home screen"; with no start_url it opens the page that linked it."""
    response = jsonify(
        name=current_app.config["PROPERTY_NAME"],
        short_name=current_app.config["PROPERTY_NAME"],
        scope=request.script_root + "/room/",
        display="standalone",
        background_color="#ffffff",
        theme_color="#12315a",
        icons=[_manifest_icon(192), _manifest_icon(512)],
    )
    response.mimetype = "application/manifest+json"
    return response


def _manifest_icon(size: int) -> dict:
    return {"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}


def _next_step(default_endpoint: str) -> str:
    """Back to the review page when the guest came from its 'Change' link."""
    return url_for("guest.review") if request.args.get("from") == "review" else url_for(default_endpoint)
