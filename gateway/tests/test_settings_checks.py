"""Settings the environment gets wrong stop the process at start, with the reason."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def _start(**variables: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gateway.settings.dev", **variables}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("API_RATE_LIMIT", "-1"),
        ("API_MAX_BODY_BYTES", "0"),
        ("PROVIDER_READ_TIMEOUT", "30"),
        ("PROVIDER_CONNECT_TIMEOUT", "0"),
    ],
)
def test_a_value_out_of_range_stops_the_start(variable, value):
    started = _start(**{variable: value})

    assert started.returncode != 0
    assert f"ImproperlyConfigured: {variable} must be" in started.stderr


def test_zero_disables_the_rate_limit_and_starts():
    assert _start(API_RATE_LIMIT="0").returncode == 0
