"""Signing the owner in and out, and the decorator every other owner page wears."""
from functools import wraps
from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for

from ..local_paths import local_path
from ..models import AuditAction
from ..security import requesting_client
from ..services import owner_accounts
from ..services.audit import acting_as, record_event
from .blueprint import SESSION_GENERATION_KEY, SESSION_KEY, bp
from .forms import LoginForm

WRONG_LOGIN = "That e-mail and password do not match an owner account."


def owner_required(view):
    """Load the signed-in owner into g.owner, or send the browser to sign in first.

    Inside the view, audited events are recorded as the owner's.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.owner = owner_accounts.owner_for_session(session.get(SESSION_KEY), session.get(SESSION_GENERATION_KEY))
        if g.owner is None:
            wanted = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("owner.login", next=wanted))
        with acting_as(g.owner.email):
            return view(*args, **kwargs)

    return wrapped


@bp.after_request
def _not_cached(response):
    # Owner pages hold guests' names, phones and PINs: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("owner/login.html", form=form)
    sign_in = owner_accounts.authenticate(form.email.data, form.password.data, requesting_client())
    if sign_in.throttled is not None:
        page = render_template("owner/login.html", form=form, throttled=sign_in.throttled)
        return page, 429, {"Retry-After": str(sign_in.throttled.retry_after)}
    account = sign_in.account
    if account is None:
        return render_template("owner/login.html", form=form, message=WRONG_LOGIN)
    session.clear()  # nothing from before sign-in survives it, the guest's keys included
    session[SESSION_KEY] = account.id
    session[SESSION_GENERATION_KEY] = account.session_generation
    with acting_as(account.email):
        record_event(AuditAction.OWNER_LOGIN)
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
@owner_required
def logout():
    """Signing out ends every session of the account, on every device, copied cookies included."""
    record_event(AuditAction.OWNER_LOGOUT)
    owner_accounts.end_every_session(g.owner)
    session.clear()
    flash("You have signed out on every device.", "info")
    return redirect(url_for("owner.login"))


def _safe_next(target: str | None) -> str:
    """Only back to an owner page on this site, never to another host."""
    dashboard = url_for("owner.dashboard")
    if not target:
        return dashboard
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/owner/") or target.startswith("//"):
        return dashboard
    return local_path(parts.path, parts.query)
