"""A chunked request body (no Content-Length) is read, or refused; never run as `{}`.

Django reads a body by its Content-Length, so without the middleware a chunked
`{"amount": 100}` capture would capture everything.
"""

import http.client
import io
import json

import pytest

from gateway.tests.assertions import assert_json_error

MiB = 1024 * 1024


def _chunked(client, path: str, body: bytes, *, terminated: bool):
    """The environ a server gives a chunked request: no Content-Length, the decoded body
    on wsgi.input, and `wsgi.input_terminated` where the server ends the stream."""
    extra = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
    }
    if terminated:
        extra["wsgi.input_terminated"] = True
    return client.post(path, data=b"", content_type="application/json", **extra)


@pytest.mark.django_db
@pytest.mark.urls("gateway.tests.urls")
class TestThroughTheMiddleware:
    def test_a_terminated_chunked_body_reaches_the_view(self, test_client):
        response = _chunked(test_client, "/v1/_test/echo", b'{"amount": 100}', terminated=True)

        assert response.status_code == 200
        assert response.json() == {"received": {"amount": 100}}

    def test_a_chunked_body_over_the_limit_is_413(self, test_client):
        body = b'{"description": "' + b"x" * MiB + b'"}'

        response = _chunked(test_client, "/v1/_test/echo", body, terminated=True)

        assert_json_error(response, 413, "invalid_request_error", "request_too_large")

    def test_a_stream_the_server_does_not_end_is_411(self, test_client):
        response = _chunked(test_client, "/v1/_test/echo", b'{"amount": 100}', terminated=False)

        assert_json_error(response, 411, "invalid_request_error", "length_required")


def _post_chunked(address, path: str, key: str, chunks: list[bytes]):
    connection = http.client.HTTPConnection(*address, timeout=10)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    connection.request("POST", path, body=iter(chunks), headers=headers, encode_chunked=True)
    response = connection.getresponse()
    return response.status, json.loads(response.read())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_gunicorn_reads_chunked_bodies_and_limits_them(gunicorn, keys):
    chunks = [b'{"name": "Chunked", ', b'"email": "c@x.test"}']
    status, customer = _post_chunked(gunicorn, "/v1/customers", keys["test_secret"], chunks)
    assert status == 200
    assert (customer["name"], customer["email"]) == ("Chunked", "c@x.test")

    status, body = _post_chunked(
        gunicorn, "/v1/customers", keys["test_secret"], [b'{"name": "', b"x" * MiB, b'"}']
    )
    assert status == 413
    assert body["error"]["code"] == "request_too_large"
