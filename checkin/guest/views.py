"""Guest pages translate HTTP into service calls; the rules live in checkin.services."""
import time
import uuid
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
from ..security import requesting_client
from ..services import bookings, check_ins
from ..services.alerts import alert_guest_needs_help
from ..services.insights import Step
from ..services.lookup_limits import look_up_booking
from ..stays import check_in_opens_on, stay_problem, stay_window
from .blueprint import BROWSER_KEY, LAST_SEEN_KEY, SESSION_KEY, bp
from .forms import ConfirmForm, DetailsForm, FindBookingForm, ParkingForm, RetryPinForm
from .funnel import count_step, counts_as

BOOKING_NOT_FOUND = _l(
    "We can't find a booking with that reference and surname. "
    "Check both against your booking confirmation."
)
# Said to every miss, so it tells nothing about which references exist.
BOOKING_MAY_BE_ON_ITS_WAY = _l(
    "If you booked in the last few hours, your booking may not have reached us yet: "
    "try again a little later, or contact us and we will help."
)


# A guest's seen-stamp is rewritten at most this often, so not every page sends a new cookie.
LAST_SEEN_RESOLUTION_SECONDS = 60


@bp.before_app_request
def _end_idle_guest_session():
    """A guest session ends after GUEST_SESSION_IDLE_SECONDS without a request (a copied or
    forgotten cookie does not open the check-in days later); the owner's keys are not touched."""
    if SESSION_KEY not in session:
        return
    now = int(time.time())
    seen = session.get(LAST_SEEN_KEY, 0)
    if now - seen > int(current_app.config["GUEST_SESSION_IDLE_SECONDS"]):
        _forget_check_in()
    elif now - seen > LAST_SEEN_RESOLUTION_SECONDS:
        session[LAST_SEEN_KEY] = now


def _forget_check_in() -> None:
    """Drop the check-in from the session; the browser's key stays, so the browser that
    confirmed gets back in by finding the booking again."""
    for key in (SESSION_KEY, LAST_SEEN_KEY):
        session.pop(key, None)


def _may_carry_on(check_in: CheckIn) -> bool:
    """Before Confirm, any browser the booking was found in; after it, only the browser that
    confirmed (which, once its session forgot the check-in, finds the booking again)."""
    # By the browser's key, not a mark set at Confirm: a second tab posting Confirm at the same
    # moment carries an older cookie, and is the same browser all the same.
    return check_in.confirmed_at is None or check_ins.confirmed_by_browser(check_in, session.get(BROWSER_KEY))


def _session_check_in() -> CheckIn | None:
    """The session's check-in, if this browser may still see it; else the session forgets it."""
    check_in = check_ins.check_in_by_public_id(session.get(SESSION_KEY))
    if check_in is not None and not _may_carry_on(check_in):
        _forget_check_in()
        return None
    return check_in


def check_in_required(view):
    """Load the session's check-in into g.check_in, or send the guest back to page 1.

    A stay that was cancelled or ended meanwhile shows why, instead of carrying on.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.check_in = _session_check_in()
        if g.check_in is None:
            return redirect(url_for("guest.find_booking"))
        booking = g.check_in.booking
        problem = stay_problem(booking)
        if problem is not None:
            opens_on = check_in_opens_on(booking)
            return render_template("guest/stay_problem.html", problem=problem, booking=booking, opens_on=opens_on)
        return view(*args, **kwargs)

    return wrapped


def answers_open(view):
    """Pages 2-4 and Confirm: once confirmed, send the guest to where they stand; while the stay
    cannot be checked in (cancelled, or gone from its calendar since page 1), say so instead,
    so no PIN is started for it."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.check_in.confirmed_at is not None:
            return redirect(after_confirm_url(g.check_in))
        problem = stay_problem(g.check_in.booking)
        if problem is not None:
            booking = g.check_in.booking
            return render_template("guest/stay_problem.html", problem=problem, booking=booking,
                                   opens_on=check_in_opens_on(booking))
        return view(*args, **kwargs)

    return check_in_required(wrapped)


def after_confirm_url(check_in: CheckIn) -> str:
    """The room page once the PIN is ready, the contact page if it failed, else the wait page."""
    if check_in.pin_state in (PinState.READY, PinState.AWAITING_DAY):
        return url_for("guest.room", token=check_ins.room_token(check_in))
    if check_in.pin_state in (PinState.FAILED, PinState.REVOKED):
        return url_for("guest.contact")
    return url_for("guest.almost_ready")


@bp.route("/", methods=["GET", "POST"])
def find_booking():
    form = FindBookingForm()
    if bookings.phone_digits_accepted():
        form.accept_phone_digits()
    if not form.validate_on_submit():
        return render_template("guest/find_booking.html", form=form)
    count_step(Step.FIND_BOOKING)  # a search, not a visit: monitors and robots only visit
    lookup = look_up_booking(form.reference.data, form.surname.data, requesting_client())
    if lookup.blocked is not None:
        page = render_template("guest/too_many_tries.html", blocked=lookup.blocked)
        return page, 429, {"Retry-After": str(lookup.blocked.retry_after)}
    booking = lookup.booking
    if booking is None:
        return render_template("guest/find_booking.html", form=form, not_found=BOOKING_NOT_FOUND,
                               may_be_on_its_way=BOOKING_MAY_BE_ON_ITS_WAY)
    problem = stay_problem(booking)
    if problem is not None:
        opens_on = check_in_opens_on(booking)
        return render_template("guest/stay_problem.html", problem=problem, booking=booking, opens_on=opens_on)
    check_in = check_ins.begin_check_in(booking)
    if check_in.confirmed_at is not None:
        if not check_ins.confirmed_by_browser(check_in, session.get(BROWSER_KEY)):
            # The PIN is never shown again to another browser: the room link or the owner, only.
            return render_template("guest/already_checked_in.html", booking=booking)
    session[SESSION_KEY] = check_in.public_id
    session[LAST_SEEN_KEY] = int(time.time())
    session.setdefault(BROWSER_KEY, uuid.uuid4().hex)
    return redirect(url_for("guest.details"))


@bp.route("/details", methods=["GET", "POST"])
@counts_as(Step.DETAILS)
@answers_open
def details():
    form = DetailsForm(obj=g.check_in)
    if form.validate_on_submit():
        check_ins.save_guest_details(g.check_in, form.full_name.data, form.phone_e164, form.email_normalized)
        return redirect(_next_step("guest.parking"))
    return render_template("guest/details.html", form=form, booking=g.check_in.booking)


@bp.route("/parking", methods=["GET", "POST"])
@counts_as(Step.PARKING)
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
@counts_as(Step.REVIEW)
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
    started = time.monotonic()
    if not check_ins.confirm_check_in(g.check_in, session.get(BROWSER_KEY, "")):
        # Another browser confirmed first: this one holds only a lookup, not the stay.
        _forget_check_in()
        return redirect(url_for("guest.find_booking"))
    check_ins.wait_for_pin(g.check_in, float(current_app.config["CONFIRM_WAIT_SECONDS"]))
    count_step(Step.CONFIRM, g.check_in, wait_ms=round((time.monotonic() - started) * 1000))
    return redirect(after_confirm_url(g.check_in))


@bp.route("/almost-ready")
@counts_as(Step.ALMOST_READY)
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
@counts_as(Step.CONTACT)
def contact():
    check_in = _session_check_in()
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
    check_ins.pin_state(check_in)
    if utc_now() >= valid_until or check_in.booking.cancelled_at is not None:
        abort(410)
    if not check_ins.room_link_is_current(check_in):
        abort(410)  # its PIN was revoked or remade: a new PIN comes with a new link
    count_step(Step.ROOM, check_in)
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
