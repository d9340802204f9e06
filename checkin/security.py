"""CSRF on every form, the headers every page carries, and room links kept out of logs."""
import logging
import re

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import csrf

ROOM_LINK = re.compile("/room/[^/?#\\s\"]+")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_set_security_headers)
    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        # Behind nginx: the client's address and scheme come from the proxy's headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    logging.getLogger("werkzeug").addFilter(redact_room_links)


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
