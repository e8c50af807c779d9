"""Who is calling, for endpoints used outside the browser (OGC clients, the token endpoint): session, personal
access key (`Authorization: Token …`, `?key=…`, or as the HTTP Basic password) or HTTP Basic with a password."""

import base64
import binascii

from allauth.account.adapter import get_adapter
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .models import User
from .security import admin_mfa_required, has_totp
from .tokens import user_for_key

# Query parameter carrying a personal access key, so GIS clients (QGIS) can save a connection URL.
KEY_PARAMETER = "key"


class LoginRefused(Exception):
    """A password login refused, with a stable code and a French message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def password_login(request: HttpRequest, username: str, password: str) -> User:
    """The user with these credentials, through allauth (so failed attempts are rate limited as on the login
    page). Accounts protected by two-factor authentication cannot trade a password alone for access."""
    try:
        user = get_adapter(request).authenticate(request, username=username, password=password)
    except ValidationError as exc:
        raise LoginRefused("too_many_attempts", exc.messages[0]) from exc
    if user is None or not user.is_active:
        raise LoginRefused("invalid_credentials", _("Identifiant ou mot de passe incorrect."))
    if has_totp(user) or (user.is_platform_admin and admin_mfa_required()):
        raise LoginRefused(
            "mfa_required",
            _(
                "Ce compte est protégé par la double authentification : créez une clé d'accès depuis votre profil "
                "et utilisez-la à la place du mot de passe."
            ),
        )
    return user


def key_parameter(request: HttpRequest) -> str | None:
    """The personal access key passed in the query string (parameter name in any case, as OGC parameters)."""
    for name, value in request.GET.items():
        if name.lower() == KEY_PARAMETER:
            return value
    return None


def _basic(request: HttpRequest, credentials: str) -> User | None:
    try:
        username, _sep, password = base64.b64decode(credentials.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = user_for_key(password)
    if user is not None:
        return user if username.lower() in {user.username.lower(), user.email.lower()} else None
    try:
        return password_login(request, username, password)
    except LoginRefused:
        return None


CALLER_ATTRIBUTE = "gp_caller"


def caller(request: HttpRequest) -> User | AnonymousUser:
    """The user behind a request: its session, else `Authorization: Token <key>`, HTTP Basic (password or key),
    or `?key=<key>`; else anonymous. Unknown and revoked keys count as anonymous.

    The answer is kept on the request, so that later readers (usage statistics) neither check a password nor
    look a key up a second time."""
    known = getattr(request, CALLER_ATTRIBUTE, None)
    if known is not None:
        return known
    user = _identify(request)
    setattr(request, CALLER_ATTRIBUTE, user)
    return user


def _identify(request: HttpRequest) -> User | AnonymousUser:
    if request.user.is_authenticated:
        return request.user
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    scheme = scheme.lower()
    user = None
    if scheme == "token" and credentials:
        user = user_for_key(credentials)
    elif scheme == "basic" and credentials:
        user = _basic(request, credentials)
    elif (key := key_parameter(request)) is not None:
        user = user_for_key(key)
    return user or AnonymousUser()
