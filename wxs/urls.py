from django.urls import path, re_path

from . import ogcapi_views, views

app_name = "wxs"
urlpatterns = [
    path("ows/dataset/<int:pk>", views.dataset_ows, name="dataset_ows"),
    re_path(r"^ogcapi/(?P<endpoint>.*)$", ogcapi_views.ogcapi, name="ogcapi"),
]
