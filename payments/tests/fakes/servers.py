"""Loopback HTTP stubs for provider tests: record every request, answer by script.

`StubServer(handler)` serves on 127.0.0.1 on a free port in a thread. For each request
the handler returns a `Reply`, or one of the faults: `HANG` (never answers until the
test ends, or 60 s), `RESET` (reads the request, then resets the connection).
A `Reply` with `delay` answers after that many seconds (after the client gave up).
"""

import contextlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body or b"{}")


@dataclass
class Reply:
    status: int = 200
    body: dict | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


HANG = object()
RESET = object()
HANG_SECONDS = 60


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # keep test output quiet
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        url = urlsplit(self.path)
        recorded = Recorded(
            method=self.command,
            path=url.path,
            query=url.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        stub: StubServer = self.server.stub
        stub.requests.append(recorded)
        reply = stub.handler(recorded)
        if reply is HANG:
            stub.released.wait(HANG_SECONDS)
            self.close_connection = True
            return
        if reply is RESET:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
        body = body or b""
        try:
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client went away (it timed out first)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def finish(self):
        with contextlib.suppress(OSError):
            super().finish()


class StubServer:
    def __init__(self, handler):
        self.handler = handler
        self.requests: list[Recorded] = []
        self.released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.stub = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "StubServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]


class FaultProxy:
    """Forwards to `upstream` (localstripe) unless a scripted fault matches first.

    `script[(method, path_suffix)]` is a list of faults used one per matching request:
    HANG, RESET, a Reply (answered without forwarding), a function of the request
    returning the Reply, or ("forward", delay) to forward and then answer late.
    """

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.script: dict[tuple[str, str], list] = {}
        self.server = StubServer(self._handle)

    def _handle(self, request: Recorded):
        for (method, suffix), faults in self.script.items():
            if request.method == method and request.path.endswith(suffix) and faults:
                fault = faults.pop(0)
                if isinstance(fault, tuple):
                    reply = self._forward(request)
                    reply.delay = fault[1]
                    return reply
                return fault(request) if callable(fault) else fault
        return self._forward(request)

    def _forward(self, request: Recorded) -> Reply:
        headers = {
            k: v
            for k, v in request.headers.items()
            if k in ("authorization", "content-type", "idempotency-key", "stripe-version")
        }
        url = f"{self.upstream}{request.path}" + (f"?{request.query}" if request.query else "")
        response = requests.request(
            request.method, url, data=request.body, headers=headers, timeout=10
        )
        return Reply(status=response.status_code, body=response.content)

    def calls(self, method: str, suffix: str) -> list[Recorded]:
        return [r for r in self.server.requests if r.method == method and r.path.endswith(suffix)]
