"""A loopback HTTP server for the data loaders' download tests: no test touches the internet.

``server`` serves ``state.routes[path] = (body, mode)`` on 127.0.0.1 (any free port); the mode
makes it misbehave the ways real servers do: "truncate" (Content-Length promised, half sent),
"chunked-truncate", "no-length" (half sent, no length), "hang" (never answers). ``dead_url`` is
a loopback URL where nothing listens, as on a machine offline.
"""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


class Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (body, mode)``; everything else is 404."""

    def do_GET(self):
        state = self.server.state
        with state.lock:
            state.requests.append(self.path)
        if self.path not in state.routes:
            self.send_error(404, "Not Found")
            return
        body, mode = state.routes[self.path]
        self.send_response(200)
        if mode == "chunked-truncate":
            self.send_header("Transfer-Encoding", "chunked")
        elif mode != "no-length":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "chunked-truncate":  # one chunk announced whole, half of it sent
            self.wfile.write(f"{len(body):x}\r\n".encode() + body[: len(body) // 2])
        elif mode == "hang":
            state.stop.wait(10)  # never answers before the client's timeout
        elif mode in ("truncate", "no-length"):
            self.wfile.write(body[: len(body) // 2])  # then the connection closes
        else:
            self.wfile.write(body)

    def log_message(self, *args):  # keep pytest's output clean
        pass


class ServerState:
    def __init__(self, port):
        self.port = port
        self.routes = {}
        self.requests = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def url(self, prefix):
        return f"http://127.0.0.1:{self.port}/{prefix}/"

    def serve(self, prefix, files, mode="ok", only=None):
        for name, blob in files.items():
            self.routes[f"/{prefix}/{name}"] = (blob, mode if only in (None, name) else "ok")


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # loopback only, any free port
    httpd.state = ServerState(httpd.server_address[1])
    # a short poll interval: shutdown() waits for the next poll
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield httpd.state
    httpd.state.stop.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def dead_url():
    """A loopback URL where nothing listens: connecting is refused, as on a machine offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/offline/"


def files_in(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file())
