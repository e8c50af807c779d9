from django.urls import path

from . import context_views, place_views, print_views, views

app_name = "viewer"
urlpatterns = [
    path("cartes/", views.map_list, name="maps"),
    path("cartes/nouvelle/", views.composer, name="compose"),
    path("cartes/importer/", views.map_import, name="import"),
    path("cartes/imprimer/", print_views.print_map, name="print"),
    path("cartes/lieux/", place_views.place_search, name="places"),
    path("cartes/capacites/", place_views.capabilities, name="capabilities"),
    path("cartes/<int:pk>/", views.map_view, name="map"),
    path("cartes/<int:pk>/modifier/", views.composer, name="edit"),
    path("cartes/<int:pk>/integration/", views.map_embed, name="embed"),
    path("cartes/<int:pk>/contexte.json", context_views.context_document, name="context"),
]
