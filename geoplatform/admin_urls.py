"""The administration pages, for platform administrators only (mounted at /administration/)."""

from django.urls import path

from . import admin_views as views

app_name = "administration"
urlpatterns = [
    path("", views.index, name="index"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/nouvelle/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_edit, name="organisation_edit"),
    path("utilisateurs/", views.users, name="users"),
    path("utilisateurs/inviter/", views.user_invite, name="user_invite"),
    path("utilisateurs/<int:pk>/", views.user_edit, name="user_edit"),
    path("groupes/", views.groups, name="groups"),
    path("groupes/nouveau/", views.group_create, name="group_create"),
    path("groupes/<int:pk>/", views.group_edit, name="group_edit"),
    path("domaines/", views.domains, name="domains"),
    path("domaines/nouveau/", views.domain_create, name="domain_create"),
    path("domaines/<int:pk>/", views.domain_edit, name="domain_edit"),
    path("lieux/", views.gazetteer_layers, name="gazetteer"),
    path("lieux/nouvelle/", views.gazetteer_create, name="gazetteer_create"),
    path("lieux/<int:pk>/", views.gazetteer_edit, name="gazetteer_edit"),
    path("reglages/", views.platform_settings, name="settings"),
    path("journal/", views.audit_log, name="audit"),
]
