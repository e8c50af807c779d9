from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from catalogue.api import DatasetViewSet
from importer.api import JobCancelView, JobView

from . import views
from .api import TokenView

router = DefaultRouter(trailing_slash=True)
router.register("datasets", DatasetViewSet, basename="dataset")

api_patterns = [
    path("token/", TokenView.as_view(), name="token"),
    path("jobs/<uuid:pk>/", JobView.as_view(), name="job"),
    path("jobs/<uuid:pk>/cancel/", JobCancelView.as_view(), name="job-cancel"),
    *router.urls,
]

urlpatterns = [
    path("", include("catalogue.urls")),
    path("", include("importer.urls")),
    path("", include("wxs.urls")),
    path("comptes/", include("allauth.urls")),
    path("comptes/profil/", views.profile, name="profile"),
    path("administration/", include("geoplatform.admin_urls")),
    path("statistiques/", include("geoplatform.statistics_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
