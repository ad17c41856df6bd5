from django.apps import AppConfig


class FraudConfig(AppConfig):
    """Fraud screening: rules, scores, blocklists, velocity counters and reviews.

    It scores a plain `PaymentSignals` dataclass that payments builds and never
    imports payments: the app graph stays one-way (payments -> fraud).
    """

    name = "fraud"
    verbose_name = "Fraud screening"

    def ready(self) -> None:
        import fraud.api.schema
        import fraud.selectors  # noqa: F401 - connects the screening cache's busting
