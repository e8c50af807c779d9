from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from catalogue.api import DatasetViewSet
from downloads import api as downloads_api
from importer.api import JobCancelView, JobView
from viewer.api import MapViewSet

from . import admin_views, media, views
from .api import TokenView
from .api_admin import GroupViewSet, OrganisationViewSet, TerritoryViewSet

router = DefaultRouter(trailing_slash=True)
router.register("datasets", DatasetViewSet, basename="dataset")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("groups", GroupViewSet, basename="group")
router.register("territories", TerritoryViewSet, basename="territory")
router.register("maps", MapViewSet, basename="map")

api_patterns = [
    path("token/", TokenView.as_view(), name="token"),
    path("jobs/<uuid:pk>/", JobView.as_view(), name="job"),
    path("jobs/<uuid:pk>/cancel/", JobCancelView.as_view(), name="job-cancel"),
    path("downloads/", downloads_api.DownloadListView.as_view(), name="download-list"),
    path("downloads/basket/", downloads_api.BasketView.as_view(), name="download-basket"),
    path("downloads/basket/order/", downloads_api.BasketOrderView.as_view(), name="download-basket-order"),
    path("downloads/basket/<int:pk>/", downloads_api.BasketItemView.as_view(), name="download-basket-item"),
    path("downloads/<uuid:pk>/", downloads_api.DownloadDetailView.as_view(), name="download-detail"),
    path("downloads/<uuid:pk>/cancel/", downloads_api.DownloadCancelView.as_view(), name="download-cancel"),
    *router.urls,
]

urlpatterns = [
    path("", include("catalogue.urls")),
    path("", include("importer.urls")),
    path("", include("wxs.urls")),
    path("", include("viewer.urls")),
    path("", include("downloads.urls")),
    path("comptes/", include("geoplatform.account_urls")),
    path("comptes/", include("allauth.urls")),
    path("comptes/profil/", views.profile, name="profile"),
    path("administration/", include("geoplatform.admin_urls")),
    path("mentions-legales/", admin_views.legal_notice, name="legal_notice"),
    path("conditions-utilisation/", admin_views.terms_of_use, name="terms_of_use"),
    path("statistiques/", include("geoplatform.statistics_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("media/<path:path>", media.public_media, name="public_media"),
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
