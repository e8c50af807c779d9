"""Who is calling, for endpoints used outside the browser (OGC clients): session, API token or HTTP Basic."""

import base64
import binascii

from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from rest_framework.authtoken.models import Token


def caller(request: HttpRequest):
    """The user behind a request: its session, else `Authorization: Token …` or `Basic …`, else anonymous."""
    if request.user.is_authenticated:
        return request.user
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    scheme = scheme.lower()
    if scheme == "token" and credentials:
        token = Token.objects.select_related("user").filter(key=credentials.strip()).first()
        if token and token.user.is_active:
            return token.user
    elif scheme == "basic" and credentials:
        try:
            username, _, password = base64.b64decode(credentials.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return AnonymousUser()
        user = authenticate(request, username=username, password=password)
        if user is not None and user.is_active:
            return user
    return AnonymousUser()
