from django.urls import path, re_path

from . import ogcapi_views, style_views, views

app_name = "wxs"
urlpatterns = [
    path("ows/dataset/<int:pk>", views.dataset_ows, name="dataset_ows"),
    path("donnees/<int:pk>/styles/", style_views.style_editor, name="styles"),
    path("donnees/<int:pk>/styles/sld/", style_views.style_sld, name="style_sld"),
    re_path(r"^ogcapi/(?P<endpoint>.*)$", ogcapi_views.ogcapi, name="ogcapi"),
]
