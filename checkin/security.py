"""CSRF on every form, the headers every page carries, room links kept out of logs, who a
client is for the limits, and how large a request may be."""
import ipaddress
import logging
import re

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import csrf

ROOM_LINK = re.compile("/room/[^/?#\\s\"]+")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    # Before CSRF's check, which reads the form: a route's own size limit must already apply.
    app.before_request(_apply_route_body_limit)
    csrf.init_app(app)
    app.after_request(_set_security_headers)
    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        # Behind nginx: the client's address and scheme come from the proxy's headers, trusted
        # exactly `proxies` hops from the right. With none, X-Forwarded-For is never read.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    logging.getLogger("werkzeug").addFilter(redact_room_links)


def requesting_client() -> str:
    """Who is asking, as the limits count them: an IPv4 address, or an IPv6 /64.

    A home or phone connection gets a whole /64 of IPv6 addresses, so counting full addresses
    would give one client unlimited tries.
    """
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return request.remote_addr or ""
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def accepts_bodies_up_to(config_key: str):
    """For a view that takes more than MAX_CONTENT_LENGTH (the owner's CSV import): its own limit,
    the setting `config_key`, in bytes. Put it below @bp.route."""

    def mark(view):
        view.body_limit_setting = config_key
        return view

    return mark


def _apply_route_body_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    setting = getattr(view, "body_limit_setting", None)
    if setting is not None:
        # The upload may be posted back whole as a form field (the import's preview), hence both.
        request.max_content_length = request.max_form_memory_size = int(current_app.config[setting])


def redact_room_links(record: logging.LogRecord) -> bool:
    """A logging filter: the development server's request lines show /room/<token>, not the token."""
    message = record.getMessage()
    if "/room/" in message:
        record.msg, record.args = ROOM_LINK.sub("/room/<token>", message), ()
    return True


def _set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # same-origin keeps Flask-WTF's referrer check working over HTTPS; room pages set no-referrer.
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
