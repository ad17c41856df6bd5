"""Migration 0002 moves a previous secret still signing to its own row; 0003 dates an
endpoint's enabling from its creation."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from gateway.crypto import seal
from webhooks.models import RetiredSecret, WebhookEndpoint
from webhooks.selectors import endpoint_secrets

BEFORE = [("webhooks", "0001_initial")]
AFTER = [("webhooks", "0002_retired_secrets")]
LATEST = [("webhooks", "0004_endpoint_earlier_enabled_events")]  # what the models read


@pytest.mark.django_db(transaction=True)
def test_a_previous_secret_still_signing_keeps_signing(merchant, migrate):
    migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    endpoints = old.get_model("webhooks", "WebhookEndpoint")
    expires = timezone.now() + timedelta(hours=5)
    rows = []
    for name, previous in (("rotated", b"whsec_previous"), ("never", None)):
        aad = f"webhook_endpoint:we_{name}:secret".encode()
        rows.append(
            endpoints.objects.create(
                id=f"we_{name}",
                merchant_id=merchant.id,
                livemode=False,
                url="https://example.com/hook",
                enabled_events=["*"],
                secret_ciphertext=seal(b"whsec_current", aad=aad),
                previous_secret_ciphertext=seal(previous, aad=aad) if previous else None,
                previous_secret_expires_at=expires if previous else None,
                created_at=timezone.now(),
            )
        )

    migrate(LATEST)

    rotated = WebhookEndpoint.objects.get(pk="we_rotated")
    assert endpoint_secrets(rotated) == ["whsec_current", "whsec_previous"]
    assert RetiredSecret.objects.get().expires_at == expires
    assert endpoint_secrets(WebhookEndpoint.objects.get(pk="we_never")) == ["whsec_current"]


@pytest.mark.django_db(transaction=True)
def test_endpoints_saved_before_count_as_enabled_since_their_creation(merchant, migrate):
    migrate(AFTER)
    old = MigrationExecutor(connection).loader.project_state(AFTER).apps
    created = timezone.now() - timedelta(days=30)
    old.get_model("webhooks", "WebhookEndpoint").objects.create(
        id="we_old",
        merchant_id=merchant.id,
        livemode=False,
        url="https://example.com/hook",
        enabled_events=["*"],
        secret_ciphertext=b"sealed",
        created_at=created,
    )

    migrate(LATEST)

    assert WebhookEndpoint.objects.get(pk="we_old").enabled_at == created
