import time

import redis
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from wxs import mapserver

from . import tokens as token_services
from .celery import app as celery_app
from .security import has_totp


def _check(probe) -> dict:
    started = time.monotonic()
    try:
        detail = probe()
    except Exception as exc:  # any failure means "down", and says why
        return {"status": "down", "error": str(exc)[:200]}
    return {"status": "ok", "ms": round((time.monotonic() - started) * 1000, 1), **(detail or {})}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT postgis_lib_version()")
        return {"postgis": cursor.fetchone()[0]}


def _redis() -> None:
    redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()


def _celery() -> dict:
    """At least one worker consumes the queue our jobs go to."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    replies = celery_app.control.inspect(timeout=0.5).active_queues() or {}
    workers = [name for name, queues in replies.items() if any(q["name"] == queue for q in queues)]
    if not workers:
        raise RuntimeError(f"no Celery worker consumes the queue {queue!r}")
    return {"workers": len(workers), "queue": queue}


def _mapserver() -> dict:
    mapserver.ensure_config()
    text = mapserver.version()
    if "MapServer version" not in text:
        raise RuntimeError("mapserv did not answer")
    return {"version": text.split()[2]}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _check(_database),
        "redis": _check(_redis),
        "celery": _check(_celery),
        "mapserver": _check(_mapserver),
    }
    healthy = all(c["status"] == "ok" for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("organisation")
    return render(
        request,
        "geoplatform/profile.html",
        {
            "memberships": memberships,
            "has_totp": has_totp(request.user),
            "api_tokens": token_services.tokens_of(request.user),
        },
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nom de la clé"),
        max_length=100,
        help_text=gettext_lazy("Pour vous souvenir de son usage, par exemple « QGIS du bureau »."),
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's personal access keys; a new key is shown once, on the page that answers its creation."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, key = token_services.issue_token(request, request.user, form.cleaned_data["name"])
        return render(request, "geoplatform/tokens_created.html", {"token": token, "key": key})
    return render(
        request, "geoplatform/tokens.html", {"form": form, "api_tokens": token_services.tokens_of(request.user)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(token_services.tokens_of(request.user), pk=pk, revoked_at__isnull=True)
    if request.method == "POST":
        token_services.revoke_token(request, token)
        messages.success(request, _("La clé « %(name)s » est révoquée.") % {"name": token.name})
        return redirect("tokens")
    return render(request, "geoplatform/tokens_revoke.html", {"token": token})
