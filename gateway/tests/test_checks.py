import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError


@pytest.mark.parametrize("value", ["garbage", "k1:c2hvcnQ=", "", "k1:!!!"])
def test_unreadable_vault_keys_stop_manage_py_with_the_reason(settings, value):
    settings.VAULT_KEYS = value

    with pytest.raises(SystemCheckError, match=r"gateway\.E001.*VAULT_KEYS cannot be read"):
        call_command("check")


def test_the_configured_vault_keys_pass():
    call_command("check")


def _deploy_warnings() -> set[str]:
    return {message.id for message in run_checks(include_deployment_checks=True)}


def test_check_deploy_warns_when_processes_count_their_metrics_alone(monkeypatch, tmp_path):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert "gateway.W001" in _deploy_warnings()

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert "gateway.W001" not in _deploy_warnings()
