"""gunicorn's own refusals in the API's JSON error format.

gunicorn answers some requests itself, before Django sees them: a request line above
4094 bytes (414), too many or too large headers (431), a request line or header it
cannot parse (400). Its answer is an HTML page; SPEC §5 wants none on any /v1/ path,
so `gunicorn.conf.py` puts `write_json_error` in the place of gunicorn's one writer of
those pages (`gunicorn.util.write_error`, which its workers look up at each use).
"""

import json
import secrets

from gunicorn import util

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
    """Writes gunicorn's refusal as `{"error": {type, code, message}}` with a Request-Id,
    as every response of the API has; the connection closes after it, as gunicorn's."""
    error = {
        "type": ERROR_TYPES.get(status_int, "invalid_request_error"),
        "code": ERROR_CODES.get(status_int, "invalid_request"),
        "message": f"{reason}: {mesg}",
    }
    body = json.dumps({"error": error}).encode()  # ASCII: the caller's bytes escaped
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Request-Id: req_{secrets.token_hex(12)}\r\n"
        "\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def answer_in_json() -> None:
    util.write_error = write_json_error
