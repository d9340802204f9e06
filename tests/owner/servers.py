"""Loopback servers that stand in for the owner's mail server and webhook; each stops itself."""
import json
import queue
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOPBACK = "127.0.0.1"
STOP_SECONDS = 5.0


@contextmanager
def _serving(server) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(STOP_SECONDS)
        assert not thread.is_alive(), "a test server did not stop"


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib without STARTTLS or AUTH: each message goes to server.messages."""

    timeout = STOP_SECONDS

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink ready")
        envelope = {"from": None, "to": []}
        while line := self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n"):
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "MAIL":
                envelope = {"from": line.split(":", 1)[1].strip(), "to": []}
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(line.split(":", 1)[1].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                self.server.messages.put({**envelope, "data": self._read_data()})
                self.reply("250 OK: queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("250 OK")  # RSET, NOOP

    def _read_data(self) -> str:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines).decode("utf-8", "replace")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def smtp_sink() -> Iterator[tuple[int, "queue.Queue[dict]"]]:
    """An SMTP server on a free loopback port: yields (port, queue of received messages)."""
    server = _SMTPServer((LOOPBACK, 0), _SMTPHandler)
    server.messages = queue.Queue()
    with _serving(server):
        yield server.server_address[1], server.messages


@dataclass
class WebhookReceiver:
    url: str
    received: "queue.Queue[dict]"
    # Status codes to answer in turn; once used up, 204.
    statuses: list[int] = field(default_factory=list)
    # Cleared, the receiver holds every POST unanswered until it is set again (a slow service);
    # a held POST is answered anyway after STOP_SECONDS.
    open: threading.Event = field(default_factory=lambda: _set(threading.Event()))
    holding: threading.Event = field(default_factory=threading.Event)  # set while a POST is held


def _set(event: threading.Event) -> threading.Event:
    event.set()
    return event


class _WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not receiver.open.is_set():
            receiver.holding.set()
            receiver.open.wait(STOP_SECONDS)
        status = receiver.statuses.pop(0) if receiver.statuses else 204
        if status < 300:
            receiver.received.put({"json": json.loads(body), "content_type": self.headers.get("Content-Type")})
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args) -> None:
        pass  # keep the test output quiet


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """An HTTP server on a free loopback port taking JSON POSTs at /hook."""
    server = ThreadingHTTPServer((LOOPBACK, 0), _WebhookHandler)
    server.daemon_threads = True
    server.receiver = WebhookReceiver(f"http://{LOOPBACK}:{server.server_address[1]}/hook", queue.Queue())
    with _serving(server):
        yield server.receiver
