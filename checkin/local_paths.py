"""Every address the app redirects to or links to stays on this site.

Browsers drop tabs and newlines from a URL and read a backslash as a slash, so a path such as
"/\t/evil.example/" echoed into a Location header is followed to //evil.example/: another host.
local_path() is the one way the app turns a path it did not write itself into an address, and
a request whose path holds a control character gets the 404 page before anything echoes it.
"""
import re
from urllib.parse import quote

from flask import Flask, abort, request

CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")
# Characters a path may keep as they are; everything else (tabs, backslashes, %, spaces,
# non-ASCII) is percent-encoded. Unreserved characters are always kept by quote().
_PATH_SAFE = "/:@!$&'()*+,;=~"
# A query string arrives already encoded, so its % escapes stay.
_QUERY_SAFE = _PATH_SAFE + "?%"


def init_app(app: Flask) -> None:
    # Registered before the language switch, which redirects to the path it was asked for.
    app.before_request(_refuse_control_characters)


def local_path(path: str, query: str = "") -> str:
    """`path` (with `query`) as an address on this site: one leading slash, nothing a browser
    could read as a second one, no character that could end a header line."""
    address = "/" + quote(path.lstrip("/"), safe=_PATH_SAFE)
    return address + ("?" + quote(query, safe=_QUERY_SAFE) if query else "")


def _refuse_control_characters():
    if CONTROL_CHARACTER.search(request.path):
        abort(404)
