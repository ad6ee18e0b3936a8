from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from sam.api import views
from sam.api.registry import routes

router = DefaultRouter()
router.register("members", views.MembershipViewSet, basename="membership")
router.register("tokens", views.ApiTokenViewSet, basename="apitoken")
for prefix, viewset, basename in routes():
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("me/", views.me, name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
