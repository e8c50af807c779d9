"""Personal access keys (`ApiToken`): issue, find by clear key, revoke, and the DRF authentication class."""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from . import audit
from .models import ApiToken, User

# `last_used_at` is written at most once a minute per key, so busy GIS clients do not write on every tile.
LAST_USED_PRECISION = timedelta(minutes=1)


def issue_token(request: HttpRequest | None, user: User, name: str) -> tuple[ApiToken, str]:
    """A new key for `user`; the clear key is returned once and never stored."""
    token, key = ApiToken.issue(user, name)
    audit.record(request, "token.create", token, after={"name": token.name, "prefix": token.prefix})
    return token, key


def revoke_token(request: HttpRequest | None, token: ApiToken) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(request, "token.revoke", token, after={"revoked_at": token.revoked_at.isoformat()})


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def user_for_key(key: str) -> User | None:
    """The active user behind an active key, or None (unknown, revoked, or user deactivated)."""
    key = key.strip()
    if not key:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(key)).first()
    if token is None or not token.active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
    return token.user


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>` with a personal access key; unknown or revoked keys get a 401."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("En-tête d'authentification mal formé."))
        try:
            key = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("En-tête d'authentification mal formé.")) from exc
        user = user_for_key(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Clé d'accès inconnue ou révoquée."))
        return user, None

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
