from rest_framework.routers import SimpleRouter

from payments.api.balance import BalanceTransactionViewSet, BalanceViewSet
from payments.api.payments import PaymentViewSet
from payments.api.provider_accounts import ProviderAccountViewSet
from payments.api.refunds import RefundViewSet

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("payments", PaymentViewSet, basename="payment")
router.register("refunds", RefundViewSet, basename="refund")
router.register("provider_accounts", ProviderAccountViewSet, basename="provider-account")
router.register("balance", BalanceViewSet, basename="balance")
router.register("balance_transactions", BalanceTransactionViewSet, basename="balance-transaction")

urlpatterns = router.urls
