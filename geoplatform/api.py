"""API plumbing shared by every app: error documents with stable codes, token login."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .auth import LoginRefused, password_login
from .tokens import issue_token

# Name of the personal access keys issued by `POST /api/v1/token/` (listed with the others on the profile).
API_TOKEN_NAME = "API"

CODES = {
    status.HTTP_400_BAD_REQUEST: "bad_request",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def error_response(code: str, message: str, http_status: int = 400, **extra: object) -> Response:
    return Response({"error": {"code": code, "message": message}, **extra}, status=http_status)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every API error as `{"error": {"code": …, "message": …}}`."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Ressource introuvable."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = CODES.get(response.status_code, "error")
    detail = response.data
    if isinstance(detail, dict) and "detail" in detail:
        message = str(detail["detail"])
    else:
        message = _("Requête invalide.")
    response.data = {"error": {"code": code, "message": message}}
    if isinstance(detail, dict) and "detail" not in detail:
        response.data["error"]["fields"] = detail
    return response


class TokenView(APIView):
    """Exchange a username and password for a new personal access key (revocable from the profile page).

    Accounts protected by two-factor authentication create their keys from the profile page instead."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="identifiants invalides ou compte à double authentification"),
            429: OpenApiResponse(description="trop de tentatives échouées"),
        },
    )
    def post(self, request: Request) -> Response:
        try:
            user = password_login(
                request._request, str(request.data.get("username") or ""), str(request.data.get("password") or "")
            )
        except LoginRefused as refused:
            http_status = status.HTTP_429_TOO_MANY_REQUESTS if refused.code == "too_many_attempts" else 400
            return error_response(refused.code, refused.message, http_status)
        request._request.user = user  # the audit log names the key's owner as the actor
        _token, key = issue_token(request._request, user, API_TOKEN_NAME)
        return Response({"token": key})
