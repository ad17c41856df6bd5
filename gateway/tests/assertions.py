"""Assertions every app's API tests share."""


def assert_json_error(response, status: int, error_type: str, code: str | None = None) -> dict:
    """A JSON error body of the SPEC §5 shape, with a Request-Id and never HTML;
    returns its `error`."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert response["Request-Id"].startswith("req_")
    assert b"<html" not in response.content.lower()
    error = response.json()["error"]
    assert error["type"] == error_type
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error
