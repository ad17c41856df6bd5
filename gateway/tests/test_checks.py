import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


@pytest.mark.parametrize("value", ["garbage", "k1:c2hvcnQ=", "", "k1:!!!"])
def test_unreadable_vault_keys_stop_manage_py_with_the_reason(settings, value):
    settings.VAULT_KEYS = value

    with pytest.raises(SystemCheckError, match=r"gateway\.E001.*VAULT_KEYS cannot be read"):
        call_command("check")


def test_the_configured_vault_keys_pass():
    call_command("check")
