from django.urls import path

from gateway.api.routers import ApiRouter
from payments.api.balance import BalanceTransactionViewSet, BalanceViewSet
from payments.api.customers import CustomerViewSet
from payments.api.payment_methods import PaymentMethodViewSet
from payments.api.payments import PaymentViewSet
from payments.api.provider_accounts import ProviderAccountViewSet
from payments.api.refunds import RefundViewSet

router = ApiRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("payment_methods", PaymentMethodViewSet, basename="payment-method")
router.register("payments", PaymentViewSet, basename="payment")
router.register("refunds", RefundViewSet, basename="refund")
router.register("provider_accounts", ProviderAccountViewSet, basename="provider-account")
router.register("balance_transactions", BalanceTransactionViewSet, basename="balance-transaction")

urlpatterns = [
    path("balance", BalanceViewSet.as_view({"get": "retrieve"}), name="balance"),
    *router.urls,
]
