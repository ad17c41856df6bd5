"""Who may call what: secret keys everywhere, publishable keys only where allowed."""

from rest_framework.permissions import BasePermission

from gateway.api.errors import ForbiddenError


class IsSecretKey(BasePermission):
    """The default: an authenticated secret key."""

    def has_permission(self, request, view) -> bool:
        if request.auth is None:
            return False  # DRF answers NotAuthenticated (401)
        if not request.auth.is_secret:
            raise ForbiddenError(
                "This API call cannot be made with a publishable API key.",
                code="secret_key_required",
            )
        return True


class IsAnyKey(BasePermission):
    """Secret or publishable: card tokenization and client-secret confirmation."""

    def has_permission(self, request, view) -> bool:
        return request.auth is not None


def check_takes_payments(merchant) -> None:
    """Taking money (creating, confirming, capturing payments) needs an active merchant;
    a suspended one may still refund, cancel and read."""
    if not merchant.can_create_payments:
        raise ForbiddenError(
            f"This account is {merchant.status} and cannot take payments.",
            code="account_inactive",
        )


class MerchantIsActive(BasePermission):
    """`check_takes_payments` for the caller."""

    def has_permission(self, request, view) -> bool:
        if request.auth is not None:
            check_takes_payments(request.user)
        return True
