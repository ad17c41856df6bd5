"""The operations dashboard (SPEC §10): captured volume, authorization rate and fraud
block rate per day, for one mode and every merchant or one.

Its two aggregate queries go through the reports router, to the read replica when one
is configured: figures may lag the primary by the replica's delay.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import SafeString

from fraud.enums import Decision
from fraud.selectors import assessment_daily_decisions
from gateway.charts import bar_chart, percent_chart
from gateway.money import Money
from gateway.routers import reports_reading
from merchants.models import Merchant
from payments.selectors import payment_daily_figures

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
ALL_PROVIDERS = "all providers"


class DashboardFilters(forms.Form):
    mode = forms.ChoiceField(choices=[("live", "Live"), ("test", "Test")], required=False)
    days = forms.TypedChoiceField(
        choices=[(n, f"last {n} days") for n in PERIODS],
        coerce=int,
        required=False,
        empty_value=DEFAULT_PERIOD,
    )
    merchant = forms.CharField(
        required=False, max_length=40, help_text="a merchant's id; empty for every merchant"
    )

    def clean_mode(self) -> str:
        return self.cleaned_data["mode"] or "live"

    def clean_merchant(self) -> str:
        merchant_id = self.cleaned_data["merchant"].strip()
        if merchant_id and not Merchant.objects.filter(pk=merchant_id).exists():
            raise ValidationError("No merchant has this id.")
        return merchant_id


@dataclass
class Chart:
    title: str
    svg: SafeString
    columns: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Dashboard:
    days: list[date]
    payments: int
    authorization_rate: float | None
    block_rate: float | None
    captured: list[Money]
    charts: list[Chart]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _shown(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1f} %"


def _volume_charts(days: list[date], rows: list[dict]) -> list[Chart]:
    """One bar chart per currency (amounts in different currencies do not add up)."""
    by_currency: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        by_currency[row["currency"]][row["day"]] += row["captured_minor"]
    charts = []
    for currency, amounts in sorted(by_currency.items()):
        if not any(amounts.values()):
            continue
        code = currency.upper()
        daily = [Money(amounts[day], currency) for day in days]
        title = f"Captured volume ({code})"
        charts.append(
            Chart(
                title=title,
                svg=bar_chart(title, _labels(days), {code: [float(m.to_decimal()) for m in daily]}),
                columns=["Day", f"Captured ({code})"],
                rows=[[day.isoformat(), money] for day, money in zip(days, daily, strict=True)],
            )
        )
    return charts


def _authorization_chart(days: list[date], rows: list[dict]) -> Chart:
    """Authorized / (authorized + declined), per day, for each provider and overall."""
    tallies: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows:
        for series in (ALL_PROVIDERS, row["provider"]):
            tally = tallies[series][row["day"]]
            tally[0] += row["authorized"]
            tally[1] += row["authorized"] + row["declined"]
    names = [ALL_PROVIDERS, *sorted(name for name in tallies if name != ALL_PROVIDERS)]
    rates = {name: [_percent(*tallies[name][day]) for day in days] for name in names}
    title = "Authorization rate (authorized / authorized + declined)"
    return Chart(
        title=title,
        svg=percent_chart(title, _labels(days), rates),
        columns=["Day", *(f"{name}: authorized / attempts" for name in names)],
        rows=[
            [day.isoformat(), *(_rate_cell(tallies[name][day]) for name in names)] for day in days
        ],
    )


def _rate_cell(tally: list[int]) -> str:
    authorized, attempts = tally
    return f"{_shown(_percent(authorized, attempts))} ({authorized}/{attempts})"


def _fraud_chart(days: list[date], rows: list[dict]) -> Chart:
    counts: dict[date, Counter] = defaultdict(Counter)
    for row in rows:
        counts[row["day"]][row["decision"]] += row["count"]
    totals = {day: counts[day].total() for day in days}
    series = {
        "blocked": [_percent(counts[day][Decision.BLOCK], totals[day]) for day in days],
        "held for review": [_percent(counts[day][Decision.REVIEW], totals[day]) for day in days],
    }
    title = "Fraud screening: blocked and held for review, of payments screened"
    return Chart(
        title=title,
        svg=percent_chart(title, _labels(days), series),
        columns=["Day", "Screened", "Held for review", "Blocked", "Block rate"],
        rows=[
            [
                day.isoformat(),
                totals[day],
                counts[day][Decision.REVIEW],
                counts[day][Decision.BLOCK],
                _shown(rate),
            ]
            for day, rate in zip(days, series["blocked"], strict=True)
        ],
    )


def _labels(days: list[date]) -> list[str]:
    return [day.isoformat() for day in days]


def dashboard_build(*, mode: str, days: int, merchant: str = "") -> Dashboard:
    """The dashboard's figures for the last `days` days (UTC, today included)."""
    today = timezone.now().astimezone(UTC).date()
    window = [today - timedelta(days=days - 1 - n) for n in range(days)]
    since = datetime.combine(window[0], time.min, tzinfo=UTC)
    scope = {"livemode": mode == "live", "since": since, "merchant_id": merchant or None}
    with reports_reading():
        payment_rows = payment_daily_figures(**scope)
        decision_rows = assessment_daily_decisions(**scope)
    authorized = sum(row["authorized"] for row in payment_rows)
    declined = sum(row["declined"] for row in payment_rows)
    captured: Counter = Counter()
    for row in payment_rows:
        captured[row["currency"]] += row["captured_minor"]
    return Dashboard(
        days=window,
        payments=sum(row["created"] for row in payment_rows),
        authorization_rate=_percent(authorized, authorized + declined),
        block_rate=_percent(
            sum(row["count"] for row in decision_rows if row["decision"] == Decision.BLOCK),
            sum(row["count"] for row in decision_rows),
        ),
        captured=[Money(amount, currency) for currency, amount in sorted(captured.items())],
        charts=[
            *_volume_charts(window, payment_rows),
            _authorization_chart(window, payment_rows),
            _fraud_chart(window, decision_rows),
        ],
    )


def dashboard_view(request):
    """Staff who may view payments see every merchant's figures."""
    if not request.user.has_perm("payments.view_payment"):
        raise PermissionDenied
    form = DashboardFilters(request.GET)
    context = {**admin.site.each_context(request), "title": "Dashboard", "form": form}
    if form.is_valid():
        context["dashboard"] = dashboard_build(**form.cleaned_data)
    return TemplateResponse(request, "admin/payments/dashboard.html", context)
