"""One HTTP POST of a signed webhook to a vetted address. No ORM here.

The URL is checked again and its host resolved right before connecting; the socket
goes to a vetted address while `Host` and TLS SNI (and certificate checks) use the
URL's host. The whole exchange shares one deadline (WEBHOOK_TIMEOUT): every socket
operation gets only the time that is left, so a receiver that trickles its answer
cannot hold a worker longer. Redirects are never followed, and only the first 1 KB
of the answer is read.
"""

import http.client
import io
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from webhooks import ssrf

RESPONSE_SNIPPET_BYTES = 1024
USER_AGENT = "Gateway-Webhooks/1.0 (+https://www.standardwebhooks.com/)"

_tls_context = ssl.create_default_context()


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    body: str = ""  # the first 1 KB of the answer, for the merchant's eyes in the admin
    error: str = ""
    retry_after: float | None = None  # seconds, from a 429/503 `Retry-After`
    refused: bool = False  # the URL failed the SSRF policy; nothing was sent

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.seconds = seconds

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no complete answer within {self.seconds:g} s")
        return left


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._sock.settimeout(self._deadline.remaining())
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What http.client needs of a socket, with every operation inside the deadline."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(self._deadline.remaining())
        self._sock.sendall(data)

    def makefile(self, mode: str = "rb", *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        """http.client closes the connection as soon as it has the response headers
        of a `Connection: close` answer; the body is still to be read, so the real
        socket is closed by `post` when it is done."""


def _connect(target: ssrf.Target, deadline: _Deadline) -> socket.socket:
    addresses = ssrf.resolve(target)
    error: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.remaining())
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect((str(address), target.port))
            if target.scheme == "https":
                sock = _tls_context.wrap_socket(sock, server_hostname=target.host)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError("no address to connect to")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def post(url: str, *, body: bytes, headers: dict[str, str], livemode: bool, timeout: float):
    """POST `body` to `url`; never raises for anything the network or receiver does."""
    started = time.monotonic()

    def elapsed_ms() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        target = ssrf.parse(url, livemode=livemode)
    except ssrf.UnsafeUrl as exc:
        return Outcome(None, 0, error=f"refused: {exc}", refused=True)
    deadline = _Deadline(timeout)
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(target.host, target.port, context=_tls_context)
    else:
        connection = http.client.HTTPConnection(target.host, target.port)
    sock = None
    try:
        sock = _connect(target, deadline)
        connection.sock = _DeadlineSocket(sock, deadline)
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                **headers,
                "Host": target.host_header,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        response = connection.getresponse()
        snippet = response.read(RESPONSE_SNIPPET_BYTES)
    except ssrf.UnsafeUrl as exc:
        return Outcome(None, elapsed_ms(), error=f"refused: {exc}", refused=True)
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return Outcome(None, elapsed_ms(), error=_describe(exc))
    finally:
        connection.close()
        if sock is not None:
            sock.close()
    status = response.status
    error = ""
    if 300 <= status < 400:
        error = f"redirect to {response.getheader('Location', '?')!r} not followed"
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    retry_after = _retry_after(response.getheader("Retry-After")) if status in (429, 503) else None
    return Outcome(
        status,
        elapsed_ms(),
        body=snippet.decode("utf-8", "replace"),
        error=error,
        retry_after=retry_after,
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"timeout: {exc}" if str(exc) else "timeout"
    return f"{type(exc).__name__}: {exc}".rstrip(": ")
