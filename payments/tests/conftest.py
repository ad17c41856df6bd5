import pytest

FUTURE_YEAR = 2040


def card_data(number: str = "4242424242424242", cvc: str = "123") -> dict:
    return {
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": FUTURE_YEAR, "cvc": cvc},
    }


@pytest.fixture
def pay(test_client):
    """`pay(**body)`: POST /v1/payments with a 4242 card unless told otherwise."""

    def create(**body):
        body.setdefault("amount", 1000)
        body.setdefault("currency", "usd")
        if "payment_method" not in body:
            body.setdefault("payment_method_data", card_data())
        return test_client.post("/v1/payments", body, format="json")

    return create
