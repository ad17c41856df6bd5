"""A real HTTP receiver on 127.0.0.1 for the webhook tests and the benchmark.

It records every request (time, headers, body) and answers from a script: a list of
`Reply`s taken in order (the last one repeats), or a callable deciding per request.
`Verifier` checks each request with the independent `standardwebhooks` package.
"""

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b'{"received": true}'
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Received:
    at: float  # time.time() when the request was read
    path: str
    headers: dict
    body: bytes
    complete: bool = True  # False when the sender died mid-request (body cut short)

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    def __init__(self, script: list[Reply] | Callable[["Received"], Reply] | None = None):
        self.script = script or [Reply()]
        self.requests: list[Received] = []
        self.connections = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received = Received(
                    at=time.time(),
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    complete=len(body) == length,
                )
                reply = receiver._reply(received)
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body)
                self.close_connection = True

            do_GET = do_POST

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 512

            def handle_error(self, request, client_address):
                pass  # a client that gave up (timeout, killed worker) is part of the test

            def get_request(self):
                accepted = super().get_request()
                with receiver._lock:
                    receiver.connections += 1
                return accepted

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _reply(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
            count = len(self.requests)
        if callable(self.script):
            return self.script(received)
        return self.script[min(count, len(self.script)) - 1]

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> "Receiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return list(self.requests)
            time.sleep(0.01)
        return list(self.requests)


class Canary:
    """A listener that must never be reached: it only counts connections."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self._running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def stop(self) -> None:
        self._running = False
        self.thread.join(1)
        self.sock.close()
