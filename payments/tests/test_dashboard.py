"""The admin's dashboard: daily volume, authorization rate and block rate, read through
the reports router (a second connection to the test database stands for the replica,
so these tests commit: transaction=True)."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.db import connections
from django.test.utils import CaptureQueriesContext

from payments.admin.dashboard import dashboard_build
from payments.models import Payment
from payments.tests.conftest import card_data

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "reports"])

TWO_DAYS_AGO = datetime(2026, 6, 8, 9, 30, tzinfo=UTC)
TODAY = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def week(pay):
    """Two days ago: 1000 and 500 USD captured, one decline. Today: 700 EUR captured,
    one blocked by screening, one processing error, 300 USD authorized (not captured).

    The clock goes back from the real today, so these payments' ids sort after their
    time (the monotonic guard of gateway.ids), as after a clock stepping back."""
    with time_machine.travel(TWO_DAYS_AGO, tick=False):
        outcomes = [
            pay(amount=1000),
            pay(amount=500),
            pay(payment_method_data=card_data("4000000000000002")),
        ]
    with time_machine.travel(TODAY, tick=False):
        outcomes += [
            pay(amount=700, currency="eur", payment_method_data=card_data("5555555555554444")),
            pay(payment_method_data=card_data("4100000000000019")),
            pay(payment_method_data=card_data("4000000000000119")),
            pay(
                amount=300,
                capture_method="manual",
                payment_method_data=card_data("6011111111111117"),
            ),
        ]
    assert [response.status_code for response in outcomes] == [200, 200, 402, 200, 402, 402, 200]
    assert list(Payment.objects.order_by("id").values_list("status", flat=True)) == [
        "captured", "captured", "failed", "captured", "failed", "failed", "authorized"
    ]  # fmt: skip


def _column(chart, index: int) -> dict:
    return {row[0]: row[index] for row in chart.rows}


def test_the_figures_of_a_week(week):
    # when
    with time_machine.travel(TODAY, tick=False):
        dashboard = dashboard_build(mode="test", days=7)

    # then
    assert [day.isoformat() for day in (dashboard.days[0], dashboard.days[-1])] == [
        "2026-06-04",
        "2026-06-10",
    ]
    assert dashboard.payments == 7
    assert dashboard.authorization_rate == 66.7  # 4 authorized, 2 declined; blocked: neither
    assert dashboard.block_rate == 14.3  # 1 of 7 screened
    assert [str(money) for money in dashboard.captured] == ["7.00 EUR", "15.00 USD"]
    eur, usd, authorization, fraud = dashboard.charts
    assert _column(usd, 1)["2026-06-08"].amount_minor == 1500
    assert _column(usd, 1)["2026-06-10"].amount_minor == 0  # the manual one: authorized
    assert _column(eur, 1)["2026-06-10"].amount_minor == 700
    assert authorization.columns[1] == "all providers: authorized / attempts"
    assert _column(authorization, 1)["2026-06-08"] == "66.7 % (2/3)"
    assert _column(authorization, 1)["2026-06-10"] == "66.7 % (2/3)"
    assert _column(authorization, 1)["2026-06-09"] == "- (0/0)"
    assert _column(fraud, 1)["2026-06-10"] == 4
    assert _column(fraud, 3)["2026-06-10"] == 1
    assert _column(fraud, 4)["2026-06-10"] == "25.0 %"
    assert _column(fraud, 4)["2026-06-08"] == "0.0 %"
    for chart in dashboard.charts:
        assert chart.svg.startswith("<svg")
        assert "<script" not in chart.svg


def test_a_merchant_and_a_mode_see_only_their_payments(week, merchant, other_client):
    # given
    with time_machine.travel(TODAY, tick=False):
        body = {"amount": 9900, "currency": "usd", "payment_method_data": card_data()}
        other_client.post("/v1/payments", body, format="json")

    # when
    with time_machine.travel(TODAY, tick=False):
        everyone = dashboard_build(mode="test", days=7)
        ours = dashboard_build(mode="test", days=7, merchant=merchant.id)
        live = dashboard_build(mode="live", days=7)

    # then
    assert (everyone.payments, ours.payments, live.payments) == (8, 7, 0)
    assert [str(m) for m in ours.captured] == ["7.00 EUR", "15.00 USD"]
    assert live.authorization_rate is live.block_rate is None
    assert [chart.title for chart in live.charts] == [
        "Authorization rate (authorized / authorized + declined)",
        "Fraud screening: blocked and held for review, of payments screened",
    ]


def test_the_period_ends_today_and_leaves_out_what_is_older(week):
    # when
    with time_machine.travel(TODAY, tick=False):
        two_days = dashboard_build(mode="test", days=2)

    # then: 2026-06-09 and 2026-06-10 only
    assert two_days.payments == 4
    assert [str(money) for money in two_days.captured] == ["7.00 EUR", "0.00 USD"]


def test_the_dashboard_reads_through_the_reports_connection(week):
    # when
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["reports"]) as reports,
    ):
        dashboard_build(mode="test", days=90)

    # then: two aggregate queries, however many payments
    assert len(reports.captured_queries) == 2
    assert primary.captured_queries == []


@pytest.fixture
def dashboard_page(client):
    def get(user: User, query: str = ""):
        client.force_login(user)
        return client.get(f"/admin/dashboard/{query}")

    return get


def test_staff_who_may_view_payments_see_the_charts_and_figures(week, dashboard_page):
    # given
    staff = User.objects.create_user("bob", password="a-long-password-123", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_payment"))

    # when
    with time_machine.travel(TODAY, tick=False):
        page = dashboard_page(staff, "?mode=test&days=7")

    # then
    html = page.content.decode()
    assert page.status_code == 200
    for figure in ("66.7 %", "14.3 %", "15.00 USD", "7.00 EUR"):
        assert figure in html
    charts = re.findall(r'<svg[^>]*class="pygal-chart".*?</svg>', html, re.S)
    assert len(charts) == 4
    assert not any("<script" in chart or "href=" in chart for chart in charts)


def test_the_admin_index_links_the_dashboard(staff_client):
    assert b'href="/admin/dashboard/"' in staff_client.get("/admin/").content


@pytest.mark.parametrize(
    "query, field",
    [("?days=3", "days"), ("?mode=both", "mode"), ("?merchant=mer_nobody", "merchant")],
)
def test_bad_filters_are_shown_on_the_form_and_nothing_is_read(staff_client, query, field):
    # when
    with CaptureQueriesContext(connections["reports"]) as reports:
        page = staff_client.get(f"/admin/dashboard/{query}")

    # then
    assert page.status_code == 200
    assert page.context["form"].errors.keys() == {field}
    assert "dashboard" not in page.context
    assert reports.captured_queries == []


def test_staff_without_the_view_permission_are_refused(dashboard_page):
    # given
    staff = User.objects.create_user("eve", password="a-long-password-123", is_staff=True)

    # then
    assert dashboard_page(staff).status_code == 403
