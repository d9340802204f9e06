"""A loopback HTTP server for calendar feeds: a test sets what each path answers."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FeedServer:
    def __init__(self):
        self.answers: dict[str, tuple[int, bytes]] = {}
        self.delay: dict[str, float] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                if self.path in server.delay:
                    threading.Event().wait(server.delay[self.path])
                status, body = server.answers.get(self.path, (404, b"not found"))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/calendar; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: the timeout test's point

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
