"""gunicorn's own refusals in the API's JSON error format.

gunicorn answers some requests itself, before Django sees them: a request line above
4094 bytes (414), too many or too large headers (431), a request line or header it
cannot parse (400). Its answer is an HTML page; SPEC §5 wants none on any /v1/ path,
so `gunicorn.conf.py` puts `write_json_error` in the place of gunicorn's one writer of
those pages (`gunicorn.util.write_error`, which its workers look up at each use).
"""

import json

from gunicorn import util
from gunicorn.workers.base import Worker

from gateway.logging import new_request_id, redact, request_id_var

# gunicorn's statuses; the rest are the client's fault (400, 414, 417, 431).
ERROR_TYPES = {403: "permission_error", 500: "api_error", 501: "api_error"}
ERROR_CODES = {
    403: "forbidden",
    414: "request_uri_too_long",
    417: "expectation_failed",
    431: "request_headers_too_large",
    500: "server_error",
    501: "not_implemented",
}


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Writes gunicorn's refusal as `{"error": {type, code, message}}` with the
    Request-Id its log line carries (`_handle_error_with_a_request_id`) and the API's
    Cache-Control; the connection closes after it, as gunicorn's. The message quotes
    the refused line redacted, as the log does: it may be an Authorization header."""
    error = {
        "type": ERROR_TYPES.get(status_int, "invalid_request_error"),
        "code": ERROR_CODES.get(status_int, "invalid_request"),
        "message": redact(f"{reason}: {mesg}"),
    }
    body = json.dumps({"error": error}).encode()  # ASCII: the caller's bytes escaped
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-cache, no-store\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Request-Id: {request_id_var.get() or new_request_id()}\r\n"
        "\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


_handle_error = Worker.handle_error


def _handle_error_with_a_request_id(self, req, client, addr, exc) -> None:
    """A refused request is a request of its own: its log line and its answer carry a
    fresh id, not the one an earlier request left in this thread."""
    request_id_var.set(new_request_id())
    _handle_error(self, req, client, addr, exc)


def answer_in_json() -> None:
    util.write_error = write_json_error
    Worker.handle_error = _handle_error_with_a_request_id
