"""Printing a map: `POST /cartes/imprimer/` (name `viewer:print`) answers the printed page as a file.

Request: `Content-Type: application/json`; a signed-in browser session sends its CSRF token (header `X-CSRFToken`,
the `csrftoken` cookie's value); anonymous visitors and personal access keys (`Authorization: Token …`) need none.
Body (every key but `context` and `bbox` has the default shown)::

    {"context": <OWS Context GeoJSON of the current state: viewer.getContext()>,
     "bbox": [minx, miny, maxx, maxy],        the visible extent, in the view's CRS
     "srid": 3857,                            3857, 2154 or 4326
     "paper": "A4",                           "A4" | "A3"
     "orientation": "landscape",              "portrait" | "landscape"
     "format": "pdf",                         "pdf" | "png"
     "title": "Carte",                        at most 200 characters
     "dpi": 150}                              96 to 300

Active layers of the context are printed in tree order (first feature on top) with their `gp:opacity`,
`gp:filter` and named style (STYLES of their GetMap address); our own layers (`gp:dataset`) are drawn by MapServer,
and only those the caller may view: others are left out without a trace. External WMS layers are fetched through
`viewer.remote.safe_fetch`; those that cannot be (WMTS, WFS, refused or silent services) are named under "Couches
non imprimées". The context's `gp:basemap` is drawn underneath when it is "local" or a WMS base map, and named in
the sources otherwise. The page keeps the view's centre and shows at least its extent.

Response: 200 with the file (`application/pdf`, one page, or `image/png` at `dpi`), `Content-Disposition:
attachment; filename="carte-<titre>-<AAAA-MM-JJ>.pdf"`. Errors are JSON `{"error": {"code", "message"}}` with a
French message: 400 `invalid_json`, `invalid_context`, `invalid_bbox`, `invalid_srid`, `invalid_paper`,
`invalid_orientation`, `invalid_format`, `invalid_dpi`, `invalid_title`, `invalid_filter` (a `gp:filter` naming
an attribute the layer does not have), `too_many_layers`; 403 `csrf_failed`; 405 `method_not_allowed`; 413
`body_too_large`; 502 `render_failed`; 503 `mapserver_unavailable`.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from geoplatform.auth import caller

from . import printing


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _csrf_refused(request: HttpRequest) -> bool:
    """A browser session must prove the page sent the request (as DRF's session authentication does)."""
    check = CsrfViewMiddleware(lambda _request: HttpResponse())
    check.process_request(request)
    return check.process_view(request, None, (), {}) is not None


@csrf_exempt  # checked below for session users only: keys and anonymous callers carry no ambient authority
def print_map(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = _error("method_not_allowed", _("Envoyez la demande d'impression en POST."), 405)
        response["Allow"] = "POST"
        return response
    if request.user.is_authenticated and _csrf_refused(request):
        return _error("csrf_failed", _("Jeton CSRF absent ou invalide : rechargez la page."), 403)
    try:
        body = request.body
    except RequestDataTooBig:
        return _error("body_too_large", _("La demande d'impression est trop volumineuse."), 413)
    try:
        result = printing.print_map(caller(request), printing.parse_request(body))
    except printing.PrintError as error:
        return _error(error.code, error.message, error.status)
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
