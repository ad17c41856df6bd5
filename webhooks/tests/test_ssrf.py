"""T10: SSRF through merchant webhook URLs, at registration and at every delivery.

DNS is played by replacing `ssrf.getaddrinfo`; public answers use documentation-free
public addresses but nothing is ever sent to them (the network guard in conftest
refuses any non-loopback connect, and these tests assert no such attempt happened).
"""

import pytest
from django.utils import timezone

from webhooks import ssrf
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_deliver, webhook_event_dispatch

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch):
    """`dns["name"] = ["1.2.3.4"]`: what the resolver answers from now on."""
    answers: dict[str, list[str]] = {}

    def resolve(host, port):
        if host not in answers:
            raise OSError(f"no such host {host}")
        return list(answers[host])

    monkeypatch.setattr(ssrf, "getaddrinfo", resolve)
    return answers


@pytest.fixture
def no_loopback(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False


BLOCKED = [
    "https://127.0.0.1/hooks",
    "https://localhost/hooks",
    "https://[::1]/hooks",
    "https://0.0.0.0/hooks",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/hooks",
    "https://172.16.0.1/hooks",
    "https://172.31.255.254/hooks",
    "https://192.168.1.1/hooks",
    "https://100.64.0.1/hooks",
    "https://100.100.100.200/hooks",
    "https://192.0.0.192/hooks",
    "https://224.0.0.1/hooks",
    "https://255.255.255.255/hooks",
    "https://[fc00::1]/hooks",
    "https://[fd00:ec2::254]/hooks",
    "https://[fe80::1]/hooks",
    "https://[fe80::1%25eth0]/hooks",
    "https://[::]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://[::ffff:7f00:1]/hooks",
    "https://[64:ff9b::7f00:1]/hooks",
    "https://[::ffff:0:7f00:1]/hooks",  # IPv4-translated 127.0.0.1
    "https://[::ffff:0:a9fe:a9fe]/hooks",  # IPv4-translated 169.254.169.254
    "https://168.63.129.16/hooks",
    "https://[2002:7f00:1::1]/hooks",
    "https://[0:0:0:0:0:0:0:1]/hooks",
    "https://2130706433/hooks",
    "https://0177.0.0.1/hooks",
    "https://0x7f000001/hooks",
    "https://0x7f.0.0.1/hooks",
    "https://127.1/hooks",
    "https://127.0.0.1./hooks",
    "https://1.2.3.4.5/hooks",
    "https://hooks.example.com:22/hooks",
    "https://hooks.example.com:6379/hooks",
    "ftp://hooks.example.com/hooks",
    "file:///etc/passwd",
    "gopher://hooks.example.com/",
    "https://user:secret@hooks.example.com/hooks",
    "https://hooks.example.com@127.0.0.1/hooks",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://intranet/hooks",
    "https://printer.local/hooks",
    "https://app.localhost/hooks",
    "https://hooks.example.com\\@127.0.0.1/",
    "https://hooks.exämple.com/",
    "https:// hooks.example.com/",
    "http://[::1",  # urlsplit itself refuses these two
    "http://[zz]/",
    "",
]


@pytest.mark.parametrize("url", BLOCKED)
def test_registration_refuses_unsafe_urls_with_a_json_400(test_client, dns, no_loopback, url):
    dns["hooks.example.com"] = [PUBLIC]
    dns["metadata.google.internal"] = ["169.254.169.254"]

    response = test_client.post(
        "/v1/webhook_endpoints", {"url": url, "enabled_events": ["*"]}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["error"]["param"] == "url"
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    "answers",
    [["127.0.0.1"], ["::1"], ["10.1.2.3"], [PUBLIC, "192.168.0.10"], ["169.254.169.254"]],
)
def test_a_name_resolving_to_a_private_address_is_refused(test_client, dns, answers):
    dns["evil.example.com"] = answers

    response = test_client.post(
        "/v1/webhook_endpoints",
        {"url": "https://evil.example.com/hooks", "enabled_events": ["*"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "url_not_allowed"


def test_an_unresolvable_name_is_refused(test_client, dns):
    response = test_client.post(
        "/v1/webhook_endpoints",
        {"url": "https://nowhere.example.com/hooks", "enabled_events": ["*"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "url_unresolvable"


@pytest.mark.parametrize("url", ["notaurl", "hooks.example.com/h", "https:hooks.example.com"])
def test_a_url_without_its_scheme_is_named_for_what_it_lacks(test_client, url):
    response = test_client.post(
        "/v1/webhook_endpoints", {"url": url, "enabled_events": ["*"]}, format="json"
    )

    error = response.json()["error"]
    assert response.status_code == 400
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error", "url_invalid", "url"
    )  # fmt: skip
    assert error["message"].startswith("Not a URL")


def test_live_mode_requires_https_test_mode_allows_http(client_for, keys, dns):
    dns["hooks.example.com"] = [PUBLIC]
    body = {"url": "http://hooks.example.com/hooks", "enabled_events": ["*"]}

    live = client_for(keys["live_secret"]).post("/v1/webhook_endpoints", body, format="json")
    test = client_for(keys["test_secret"]).post("/v1/webhook_endpoints", body, format="json")
    live_https = client_for(keys["live_secret"]).post(
        "/v1/webhook_endpoints", {**body, "url": "https://hooks.example.com/h"}, format="json"
    )

    assert live.status_code == 400
    assert live.json()["error"]["code"] == "url_invalid_scheme"
    assert test.status_code == 200
    assert live_https.status_code == 200


@pytest.mark.parametrize(
    "url", ["http://localhost:8000/h", "http://127.0.0.1:8000/h", "http://[::1]:8000/h"]
)
def test_allow_loopback_admits_plain_loopback_in_test_mode_only(settings, client_for, keys, url):
    body = {"url": url, "enabled_events": ["*"]}
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    refused = client_for(keys["test_secret"]).post("/v1/webhook_endpoints", body, format="json")
    settings.WEBHOOK_ALLOW_LOOPBACK = True

    test = client_for(keys["test_secret"]).post("/v1/webhook_endpoints", body, format="json")
    live = client_for(keys["live_secret"]).post("/v1/webhook_endpoints", body, format="json")

    assert refused.status_code == 400
    assert test.status_code == 200
    assert live.status_code == 400


@pytest.mark.parametrize(
    "url", ["http://127.0.0.2:8000/h", "http://0.0.0.0:8000/h", "http://localhost.:8000/h"]
)
def test_allow_loopback_relaxes_nothing_else(test_client, url):
    response = test_client.post(
        "/v1/webhook_endpoints", {"url": url, "enabled_events": ["*"]}, format="json"
    )

    assert response.status_code == 400


def test_dns_rebinding_between_registration_and_delivery_is_refused(
    settings, test_client, dns, canary, connections, emit
):
    # given: a name that is public when registered
    settings.WEBHOOK_ALLOWED_PORTS = [canary.port]
    dns["rebind.example.com"] = [PUBLIC]
    created = test_client.post(
        "/v1/webhook_endpoints",
        {"url": f"http://rebind.example.com:{canary.port}/hooks", "enabled_events": ["*"]},
        format="json",
    )
    assert created.status_code == 200, created.json()

    # when: it now resolves to loopback, where the canary listens on the URL's port
    dns["rebind.example.com"] = ["127.0.0.1"]
    event = emit()
    webhook_event_dispatch(event_id=event.id)
    webhook_endpoint_deliver(endpoint_id=created.json()["id"])

    # then: nothing was sent anywhere; the attempt says why
    attempt = WebhookAttempt.objects.get(delivery__event=event)
    assert attempt.status_code is None
    assert attempt.error.startswith("refused:")
    assert "127.0.0.1" in attempt.error
    assert canary.connections == 0
    assert ("127.0.0.1", canary.port) not in connections
    assert connections == [] or all(port != canary.port for _, port in connections)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/h",
        "http://localhost:{port}/h",
        "http://[::ffff:127.0.0.1]:{port}/h",
        "http://2130706433:{port}/h",
        "http://0x7f000001:{port}/h",
        "http://169.254.169.254:{port}/h",
    ],
)
def test_delivery_checks_the_url_again(settings, canary, connections, make_endpoint, emit, url):
    """A row whose URL became unsafe (policy change, direct edit) sends nothing."""
    endpoint = make_endpoint("http://127.0.0.1:9/h").endpoint
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.WEBHOOK_ALLOWED_PORTS = [canary.port]
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=url.format(port=canary.port))
    event = emit()
    webhook_event_dispatch(event_id=event.id)

    webhook_endpoint_deliver(endpoint_id=endpoint.id)

    attempt = WebhookAttempt.objects.get(delivery__event=event)
    assert attempt.error.startswith("refused:")
    assert canary.connections == 0
    assert all(port != canary.port for _, port in connections)
    assert WebhookDelivery.objects.get(event=event).next_attempt_at > timezone.now()


def test_parse_keeps_host_port_and_path_for_the_request():
    target = ssrf.parse("https://Hooks.Example.com:8443/a/b?x=1#frag", livemode=True)

    assert (target.host, target.port, target.path) == ("hooks.example.com", 8443, "/a/b?x=1")
    assert target.host_header == "hooks.example.com:8443"
