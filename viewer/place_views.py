"""The viewer's place search and the composer's reading of external services (JSON endpoints).

GET /cartes/lieux/?q=<text>                                     name viewer:places, anyone
    200 {"query": "<text>", "results": [
            {"label": "Saint-Cyr-sur-Loire", "kind": "commune", "insee": "37214",
             "bbox": [west, south, east, north], "center": [lon, lat]},           WGS84
            {"label": "Parc de la Gloriette", "kind": "<title of the searchable layer>",
             "bbox": [...], "center": [...]}, ...]}                                at most 10, best first
        Matches whole names first, then names starting with the text, then a word starting with it, then anywhere
        (under 3 letters: whole names and name starts only); accents, case and punctuation are ignored. Communes
        come from the communes reference layer, other places from the layers administrators made searchable
        (/administration/lieux/), each only for callers who may view its data and within their territory.
        A point's bbox is the point itself (west = east, south = north): zoom to its center at a chosen scale.
    400 {"error": {"code": "missing_query" | "query_too_long", "message": "<French>"}}

GET /cartes/capacites/?url=<service address>&service=WMS|WMTS|WFS  name viewer:capabilities, producers only
    200 {"service": "WMS", "version": "1.3.0", "title": "…", "url": "<base address for GetMap/GetTile/GetFeature>",
         "layers": [{"name", "title", "abstract", "styles": [{"name", "title"}], "bbox_wgs84": [w, s, e, n] | null,
                     "queryable": bool, "formats": [...],
                     "matrix_sets": [...], "resource_urls": [...]   (WMTS only)}]}
    400 {"error": {"code": "bad_url" | "bad_service" | "address_refused", "message": "<French>"}}
        address_refused: not http(s), or the host is (or resolves to, or redirects to) a private, loopback,
        link-local, multicast or reserved address
    502 {"error": {"code": "unreachable" | "not_capabilities" | "too_large", …}}, 504 {"error": {"code": "timeout", …}}
    401 {"error": {"code": "not_authenticated"}} anonymous, 403 {"error": {"code": "permission_denied"}} signed in
        without a producer role in any organisation
"""

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geoplatform import rights
from geoplatform.auth import caller

from . import gazetteer, remote

REMOTE_STATUS = {"bad_url": 400, "bad_service": 400, "address_refused": 400, "timeout": 504}


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@require_GET
def place_search(request: HttpRequest) -> JsonResponse:
    text = request.GET.get("q", "")
    try:
        results = gazetteer.search(caller(request), text)
    except gazetteer.GazetteerError as error:
        return _error(error.code, error.message, 400)
    return JsonResponse({"query": text.strip(), "results": results})


@require_GET
def capabilities(request: HttpRequest) -> JsonResponse:
    user = caller(request)
    if not user.is_authenticated:
        return _error("not_authenticated", _("Connectez-vous pour lire un service externe."), 401)
    if not rights.may_produce(user):
        return _error("permission_denied", _("Seuls les producteurs peuvent ajouter des services externes."), 403)
    try:
        document = remote.capabilities(request.GET.get("url", ""), request.GET.get("service", ""))
    except remote.RemoteError as error:
        return _error(error.code, error.message, REMOTE_STATUS.get(error.code, 502))
    response = JsonResponse(document)
    response["Cache-Control"] = "private, no-store"
    return response
