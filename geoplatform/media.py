"""Public uploaded files (logos) served by Django; uploads, rasters and packages under MEDIA_ROOT never are."""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

PUBLIC_FOLDERS = ("logos", "platform")


@require_GET
def public_media(request: HttpRequest, path: str) -> FileResponse:
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or target.relative_to(root).parts[:1] not in {(f,) for f in PUBLIC_FOLDERS}:
        raise Http404
    if not target.is_file():
        raise Http404
    response = FileResponse(target.open("rb"))
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
