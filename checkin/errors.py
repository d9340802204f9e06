"""Friendly pages for every error: a guest never sees a stack trace or an exception's text."""
import logging

from flask import Flask, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _expired_form)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


# Where a guest carries on after a form expired: the page that shows the form they posted.
PAGE_OF_FORM = {"guest.confirm": "guest.review", "guest.retry_pin": "guest.contact"}


def _expired_form(error: CSRFError):
    endpoint = request.endpoint or "guest.find_booking"
    endpoint = PAGE_OF_FORM.get(endpoint, endpoint)
    carry_on = url_for(endpoint, **request.args) if endpoint.startswith("guest.") else url_for("guest.find_booking")
    return render_template("errors/expired_form.html", carry_on=carry_on), 400


def _http_error(error: HTTPException):
    if error.code is None or error.code >= 500:
        return _unexpected_error(error)
    return render_template("errors/http_error.html", code=error.code), error.code


def _unexpected_error(error: Exception):
    if not isinstance(error, HTTPException):
        log.exception("Unhandled error")
    return render_template("errors/http_error.html", code=500), InternalServerError.code
