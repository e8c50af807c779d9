from django.urls import path, re_path

from . import api, ogcapi_views, style_views, tile_views, views

app_name = "wxs"
urlpatterns = [
    path("ows", views.global_ows, name="global_ows"),
    path("ows/org/<slug:slug>", views.organisation_ows, name="organisation_ows"),
    path("ows/dataset/<int:pk>", views.dataset_ows, name="dataset_ows"),
    path("wmts/dataset/<int:pk>", tile_views.wmts, name="wmts"),
    path(
        "wmts/dataset/<int:pk>/1.0.0/WMTSCapabilities.xml",
        tile_views.wmts,
        {"resource": "WMTSCapabilities.xml"},
        name="wmts_capabilities",
    ),
    path("wmts/dataset/<int:pk>/1.0.0/<path:resource>", tile_views.wmts, name="wmts_tile"),
    path("tms/dataset/<int:pk>/<path:resource>", tile_views.tms, name="tms"),
    path("donnees/<int:pk>/styles/", style_views.style_editor, name="styles"),
    path("donnees/<int:pk>/styles/sld/", style_views.style_sld, name="style_sld"),
    path("api/v1/datasets/<int:pk>/style/", api.StyleView.as_view(), name="api_style"),
    re_path(r"^ogcapi/(?P<endpoint>.*)$", ogcapi_views.ogcapi, name="ogcapi"),
]
