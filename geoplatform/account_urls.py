"""Account pages of our own next to django-allauth's: personal access keys."""

from django.urls import path

from . import views

urlpatterns = [
    path("cles/", views.tokens, name="tokens"),
    path("cles/<int:pk>/revoquer/", views.token_revoke, name="token-revoke"),
]
