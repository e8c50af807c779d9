from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, re_path

from . import csw_views, dcat_views, feeds, views
from .sitemaps import SITEMAPS

app_name = "catalogue"
urlpatterns = [
    path("", views.home, name="home"),
    path("donnees/", views.dataset_list, name="datasets"),
    path("donnees/flux.rss", feeds.RecordsFeed(), name="feed_rss"),
    path("donnees/flux.atom", feeds.AtomRecordsFeed(), name="feed_atom"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "catalogue:sitemap_section"},
        name="sitemap",
    ),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap_section"),
    path("donnees/<int:pk>/", views.dataset_detail, name="dataset"),
    re_path(r"^donnees/(?P<pk>[0-9]+)/dcat\.(?P<fmt>ttl|rdf|jsonld)$", dcat_views.dataset, name="dcat_dataset"),
    path("csw", csw_views.endpoint, name="csw"),
    re_path(r"^dcat/catalog\.(?P<fmt>ttl|rdf|jsonld)$", dcat_views.catalog, name="dcat_catalog"),
    path("donnees/<int:pk>/modifier/", views.dataset_edit, name="edit"),
    path("donnees/nouvelle-fiche/", views.record_create, name="record_create"),
    path("donnees/importer-fiche/", views.record_import, name="record_import"),
    path("donnees/<int:pk>/iso19139.xml", views.dataset_iso19139, name="iso19139"),
    path("donnees/mots-cles/", views.keyword_suggestions, name="keywords"),
    path("donnees/<int:pk>/historique/", views.dataset_history, name="history"),
    path("donnees/<int:pk>/documents/", views.attachment_add, name="attachment_add"),
    path("donnees/<int:pk>/documents/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("donnees/<int:pk>/documents/<int:attachment_id>/retirer/", views.attachment_remove, name="attachment_remove"),
    path("donnees/<int:pk>/vignette.png", views.thumbnail, name="thumbnail"),
    path("donnees/<int:pk>/vignette/", views.thumbnail_generate, name="thumbnail_generate"),
    path("donnees/<int:pk>/publier/", views.dataset_publish, name="publish"),
    path("donnees/<int:pk>/partage/", views.dataset_sharing, name="sharing"),
    path("donnees/<int:pk>/partage/mode/", views.sharing_preset, name="sharing_preset"),
    path("donnees/<int:pk>/partage/droits/", views.grant_add, name="grant_add"),
    path("donnees/<int:pk>/partage/droits/<int:grant_id>/retirer/", views.grant_remove, name="grant_remove"),
]
