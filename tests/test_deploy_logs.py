"""No log the deploy files configure ever holds a room link (a room link is the key to the door)."""
import re
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
NGINX = DEPLOY / "nginx-checkin.conf"
# Variables that hold the request's address or the page it came from, token included.
ADDRESS_VARIABLES = re.compile(r"\$(request|request_uri|uri|document_uri|args|query_string|http_referer)\b")


def blocks(text: str) -> list[tuple[str, str]]:
    """(header, body) of every `server { }` and `location ... { }` block, nested ones included."""
    text = re.sub(r"#[^\n]*", "", text)
    found = []
    for match in re.finditer(r"\b(server|location[^{;]*?)\s*\{", text):
        depth, start = 1, match.end()
        position = start
        while depth:
            position += 1
            depth += {"{": 1, "}": -1}.get(text[position - 1], 0)
        found.append((match.group(1).strip(), text[start : position - 1]))
    return found


def directives(body: str, name: str) -> list[list[str]]:
    """The arguments of each `name ...;` at the top level of a block's body."""
    top = re.sub(r"\{[^{}]*\}", "", body)
    return [line.split()[1:] for line in re.findall(rf"(?:^|;|\n)\s*({name}\s[^;]*);", top)]


def test_room_pages_never_reach_an_error_log():
    """nginx writes the whole request line into error-log messages: /room/ logs none of them."""
    config = NGINX.read_text()
    room_locations = [body for header, body in blocks(config) if header.split()[-1:] == ["/room/"]]
    assert room_locations, "no location for /room/: room requests would log errors at the server's level"
    for body in room_locations:
        assert "^~" in config, "the /room/ location must win over regular-expression locations"
        assert [args[-1] for args in directives(body, "error_log")] == ["emerg"]
        assert directives(body, "proxy_pass"), "room pages are still served by the app"


def test_every_server_sets_its_error_log_and_the_redirect_only_server_logs_nothing():
    servers = [body for header, body in blocks(NGINX.read_text()) if header == "server"]
    assert servers
    for body in servers:
        logs = directives(body, "error_log")
        assert logs, "a server without error_log inherits a level these files do not control"
        if directives(body, "return"):  # the plain-HTTP server, which only redirects
            assert logs[0][-1] == "emerg"


def test_access_logs_show_room_pages_as_a_placeholder():
    config = re.sub(r"#[^\n]*", "", NGINX.read_text())
    formats = re.findall(r"log_format\s+\w+\s+([^;]*);", config)
    assert formats and not any(ADDRESS_VARIABLES.search(text) for text in formats)
    for header, body in blocks(config):
        for args in directives(body, "access_log"):
            assert args[-1] == "checkin", f"{header}: access_log without the redacting format"
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    assert "logger_class = RoomTokenRedactingLogger" in gunicorn
