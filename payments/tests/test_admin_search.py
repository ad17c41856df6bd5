"""A card number or secret typed into an admin search never reaches a page."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "term, secret",
    [
        ("4242424242424242", "4242424242424242"),
        ("4242 4242 4242 4242", "4242 4242 4242 4242"),
        ("4000-0566-5566-5556", "4000056655665556"),
        ("-4242424242424242", "4242424242424242"),
        ("4242/4242/4242/4242", "4242/4242/4242/4242"),
        ("sk_test_abcdef123456", "abcdef123456"),
        ("pay_01jd8x2k3m4n5p6q7r8s9t0v1w_secret_abcDEF123", "abcDEF123"),
    ],
)
@pytest.mark.parametrize("changelist", ["/admin/payments/payment/", "/admin/payments/customer/"])
def test_a_search_for_a_card_number_or_key_is_turned_away_without_the_term(
    staff_client, changelist, term, secret
):
    response = staff_client.get(changelist, {"q": term, "livemode__exact": "0"})

    assert response.status_code == 302
    assert response["Location"] == f"{changelist}?livemode__exact=0"
    page = staff_client.get(response["Location"])
    assert page.status_code == 200
    assert "Search does not take card numbers" in page.text
    assert secret not in page.text


def test_a_card_number_in_any_admin_parameter_is_turned_away(staff_client):
    response = staff_client.get("/admin/dashboard/", {"merchant": "4242424242424242", "days": "7"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/dashboard/?days=7"


def test_a_keys_lookup_prefix_is_searchable(staff_client):
    page = staff_client.get("/admin/merchants/apikey/", {"q": "sk_test_PqFH6R1iaA"})

    assert page.status_code == 200
    assert 'value="sk_test_PqFH6R1iaA"' in page.text


def test_other_searches_run_and_show_their_term(staff_client, pay):
    payment_id = pay().json()["id"]

    for term in ("4242", payment_id, "4242424242424241"):  # the last fails Luhn
        page = staff_client.get("/admin/payments/payment/", {"q": term})
        assert page.status_code == 200
        assert f'value="{term}"' in page.text
    assert payment_id in staff_client.get("/admin/payments/payment/", {"q": "4242"}).text
