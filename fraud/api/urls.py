from fraud.api.views import BlocklistItemViewSet
from gateway.api.routers import ApiRouter

router = ApiRouter()
router.register("blocklist_items", BlocklistItemViewSet, basename="blocklist-item")

urlpatterns = router.urls
