"""Browser security headers (Content-Security-Policy, Permissions-Policy) and mandatory two-factor authentication
for platform administrators."""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import PlatformSettings

# The Swagger UI page of drf-spectacular starts itself with an inline script.
INLINE_SCRIPT_PATHS = ("/api/docs/",)

PERMISSIONS_POLICY = ", ".join(
    [
        "geolocation=(self)",
        "fullscreen=(self)",
        "camera=()",
        "microphone=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "bluetooth=()",
        "interest-cohort=()",
    ]
)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def sso_origins() -> list[str]:
    """Origins of the configured OpenID Connect providers: the login form redirects there after its POST."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    origins = {_origin(app.get("settings", {}).get("server_url", "")) for app in apps}
    return sorted(origin for origin in origins if origin)


def content_security_policy(path: str) -> str:
    extra = list(getattr(settings, "CSP_EXTRA_SOURCES", []))
    script = ["'self'", "'unsafe-inline'"] if path.startswith(INLINE_SCRIPT_PATHS) else ["'self'"]
    directives = {
        "default-src": ["'self'"],
        "script-src": script,
        # The base template sets the theme colours in one <style> block; progress bars use style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *extra],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *extra],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *sso_origins()],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response; Django's SecurityMiddleware sets
    X-Content-Type-Options, Referrer-Policy, Cross-Origin-Opener-Policy and, in production, HSTS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy(request.path))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def admin_mfa_required() -> bool:
    return settings.ADMIN_MFA_REQUIRED or PlatformSettings.load().require_admin_mfa


def has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class AdminMFAMiddleware:
    """When two-factor authentication is mandatory for administrators, an administrator without an
    authenticator app is sent to its activation page, whatever page they ask for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _exempt(self, path: str) -> bool:
        # What the administrator needs to set up TOTP: the MFA pages, re-authentication, e-mail verification
        # (allauth activates TOTP for verified addresses only), logout, language, and static files.
        prefixes = [
            reverse("mfa_index"),
            reverse("account_reauthenticate"),
            reverse("account_logout"),
            reverse("account_email"),
            "/comptes/confirm-email/",
            "/i18n/",
            settings.STATIC_URL,
            settings.MEDIA_URL,
            "/healthz",
        ]
        return path.startswith(tuple(prefixes))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_platform_admin
            and not self._exempt(request.path)
            and admin_mfa_required()
            and not has_totp(user)
        ):
            messages.warning(
                request,
                _("La double authentification est obligatoire pour les administrateurs : activez-la pour continuer."),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
