"""Reading /metrics the way Prometheus does, for the apps' metrics tests."""

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families


def metric(name: str, **labels: str) -> float:
    """The sample `name{labels}` that /metrics shows now; 0 if it has none yet."""
    response = Client().get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0
