"""Settings the environment gets wrong stop the process at start, with the reason."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from gateway.settings_module import use_settings_module


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
        ("API_RATE_LIMIT", "abc"),
        ("WEBHOOK_RETRY_SCHEDULE", "0,x"),
        ("WEBHOOK_RETRY_SCHEDULE", ""),
        ("WEBHOOK_TIMEOUT", "0"),
        ("IDEMPOTENCY_LOCK_TIMEOUT", "0"),
        ("AUTHORIZATION_WINDOW_DAYS", "0"),
        ("THREE_D_SECURE_TIMEOUT", "-1"),
        ("SUPPORT_REFUND_LIMIT_MINOR", "-5"),
        ("PUBLIC_BASE_URL", "notaurl"),
        ("LOG_LEVEL", "LOUD"),
        ("PROVIDER_BREAKER_FAILURES", "0"),
        ("PROVIDER_BREAKER_WINDOW", "-1"),
        ("PROVIDER_BREAKER_COOLDOWN", "-1"),
        ("STRIPE_MAX_NETWORK_RETRIES", "-3"),
        ("STRIPE_WEBHOOK_TOLERANCE", "-1"),
        ("WEBHOOK_ALLOWED_PORTS", "443,99999"),
        ("DEBUG", "maybe"),
        ("WEBHOOK_ALLOW_LOOPBACK", "perhaps"),
    ],
)
def test_a_value_out_of_range_stops_the_start(variable, value):
    started = _start(**{variable: value})

    assert started.returncode != 0
    assert f"ImproperlyConfigured: {variable} must be" in started.stderr


def test_zero_disables_the_rate_limit_and_starts():
    assert _start(API_RATE_LIMIT="0").returncode == 0


def test_the_images_build_step_has_every_setting_production_requires():
    """The Dockerfile's collectstatic runs the production settings with placeholders;
    a setting production starts requiring must get one there, or the image fails to
    build (no Docker here: the step's environment is read from the Dockerfile)."""
    dockerfile = (settings.BASE_DIR / "Dockerfile").read_text()
    step = re.search(r"RUN ((?:\w+=\S+\s+(?:\\\s+)?)+)python manage.py collectstatic", dockerfile)
    placeholders = dict(re.findall(r"(\w+)=(\S+)", step.group(1)))
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "gateway.settings.prod"}

    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={**env, **placeholders},
        capture_output=True,
        text=True,
    )

    assert started.returncode == 0, started.stderr[-500:]


@pytest.mark.parametrize(
    "environment, env_file, chosen",
    [
        ({}, "", "gateway.settings.dev"),
        ({}, "DJANGO_SETTINGS_MODULE=gateway.settings.prod\n", "gateway.settings.prod"),
        (
            {"DJANGO_SETTINGS_MODULE": "gateway.settings.test"},
            "DJANGO_SETTINGS_MODULE=gateway.settings.prod\n",
            "gateway.settings.test",
        ),
    ],
    ids=["default", "from-dotenv", "environment-first"],
)
def test_the_settings_module_comes_from_the_environment_then_dotenv(
    monkeypatch, tmp_path, environment, env_file, chosen
):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    (tmp_path / ".env").write_text(env_file)

    use_settings_module(tmp_path / ".env")

    assert os.environ["DJANGO_SETTINGS_MODULE"] == chosen
