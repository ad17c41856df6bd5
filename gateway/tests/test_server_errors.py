"""What gunicorn refuses before Django sees it is answered in JSON too (SPEC §5: no
HTML error page on any /v1/ path), with a Request-Id like every other response."""

import http.client
import json
import re
import socket

import pytest

from gateway.tests.conftest import gunicorn_serving


def _get(address, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection(*address, timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def _assert_json_refusal(response, body: bytes, status: int, code: str) -> None:
    assert response.status == status
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Request-Id", "").startswith("req_")
    error = json.loads(body)["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", code)
    assert error["message"]


class TestGunicornRefusals:
    """None needs the database: gunicorn refuses the first three itself; the last has
    no key."""

    def test_a_request_line_over_the_limit_is_a_json_414(self, gunicorn):
        response, body = _get(gunicorn, "/v1/payments/pay_" + "a" * 5000)

        _assert_json_refusal(response, body, 414, "request_uri_too_long")

    def test_headers_over_the_limit_are_a_json_431(self, gunicorn):
        response, body = _get(gunicorn, "/v1/payments", {"X-Padding": "a" * 9000})

        _assert_json_refusal(response, body, 431, "request_headers_too_large")

    def test_a_request_line_that_is_not_http_is_a_json_400(self, gunicorn):
        with socket.create_connection(gunicorn, timeout=10) as sock:
            sock.sendall(b"GET /v1/payments HTTP/9.x\r\nHost: 127.0.0.1\r\n\r\n")
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")

        assert head.startswith(b"HTTP/1.1 400 ")
        assert b"Content-Type: application/json" in head
        assert json.loads(body)["error"]["code"] == "invalid_request"

    def test_the_application_still_answers(self, gunicorn):
        response, body = _get(gunicorn, "/v1/payments")

        assert response.status == 401
        assert json.loads(body)["error"]["type"] == "authentication_error"


@pytest.mark.django_db(transaction=True)  # the server's workers reach the test database
def test_a_refusal_logs_and_answers_its_own_request_id_and_echoes_no_key(tmp_path):
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as stderr, gunicorn_serving(stderr=stderr) as address:
        earlier = _get(address, "/healthz")[0].getheader("Request-Id")  # left in the thread
        with socket.create_connection(address, timeout=10) as sock:
            key = "sk_live_" + "A1b2C3d4" * 4
            sock.sendall(f"GET /v1/account HTTP/1.1\r\nAuthorization Bearer {key}\r\n\r\n".encode())
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    request_id = re.search(rb"Request-Id: (req_\w+)", head).group(1).decode()

    assert head.startswith(b"HTTP/1.1 400 ")
    assert request_id != earlier
    assert b"Cache-Control: no-cache, no-store" in head
    assert key.encode() not in body
    refused = [
        line for line in map(json.loads, log.read_text().splitlines())
        if "Invalid request" in line["message"]
    ]  # fmt: skip
    assert [line["request_id"] for line in refused] == [request_id]
    assert key not in log.read_text()
