"""WMTS and TMS for one dataset, answered by MapProxy within the territory the caller's rights allow."""

from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from catalogue.models import Dataset
from geoplatform import rights
from geoplatform.auth import KEY_PARAMETER, caller, key_parameter

from . import mapproxy
from .views import _cache_control

REFUSED = "Couche inconnue ou non autorisée."
# What a tile request reads of the dataset row (the rest, e.g. the ISO document, loads only if a mapfile or
# configuration has to be written): a third of the request's time on a cache hit otherwise.
TILE_FIELDS = (
    "title", "abstract", "organisation_id", "public", "territory_restricted", "updated_at", "kind", "version",
    "table_name", "raster_path", "srid", "geometry_type", "bbox",
)  # fmt: skip


def _wmts_exception(code: str, text: str, status: int) -> HttpResponse:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<ExceptionReport xmlns="http://www.opengis.net/ows/1.1" version="1.1.0" xml:lang="fr">
  <Exception exceptionCode="{code}"><ExceptionText>{escape(text)}</ExceptionText></Exception>
</ExceptionReport>
"""
    response = HttpResponse(body, status=status, content_type="application/xml")
    response["Cache-Control"] = "private, no-store"
    return response


def _tms_exception(text: str, status: int) -> HttpResponse:
    body = f'<?xml version="1.0"?>\n<TileMapServerError>\n  <Message>{escape(text)}</Message>\n</TileMapServerError>\n'
    response = HttpResponse(body, status=status, content_type="text/xml")
    response["Cache-Control"] = "private, no-store"
    return response


def _allowed(request: HttpRequest, pk: int) -> tuple[Dataset, rights.Decision] | None:
    """The dataset and the caller's decision, or None: unknown, without data and not viewable look the same."""
    dataset = Dataset.objects.only(*TILE_FIELDS).filter(pk=pk).first()
    if dataset is None:
        return None
    decision = rights.decide(caller(request), rights.Action.VIEW_DATA, dataset)
    if not decision or (decision.restricted and not decision.territory_ids) or not dataset.has_data:
        return None
    return dataset, decision


def _answer(
    request: HttpRequest, dataset: Dataset, decision: rights.Decision, path_info: str, extra: list | None = None
) -> HttpResponse:
    params = [(k, v) for k, v in request.GET.items() if k.lower() != KEY_PARAMETER]  # the key stays with us
    params += extra or []
    cache = mapproxy.cache_for(dataset, decision.territory_ids if decision.restricted else ())
    answer = mapproxy.serve(dataset, cache, path_info, urlencode(params), request.META)
    body = answer.body
    if "xml" in answer.content_type:
        body = mapproxy.public_urls(body, dataset, request.build_absolute_uri("/"), key_parameter(request))
    response = HttpResponse(body, status=answer.status, content_type=answer.content_type)
    for name in ("Etag", "Last-Modified"):
        if name in answer.headers:
            response[name] = answer.headers[name]
    response["Cache-Control"] = _cache_control(dataset, decision)
    return response


@require_GET
def wmts(request: HttpRequest, pk: int, resource: str = "") -> HttpResponse:
    """WMTS 1.0.0: KVP on `/wmts/dataset/<id>`, RESTful under `/wmts/dataset/<id>/1.0.0/`."""
    allowed = _allowed(request, pk)
    if allowed is None:
        return _wmts_exception("InvalidParameterValue", REFUSED, 404)
    dataset, decision = allowed
    if resource:
        return _answer(request, dataset, decision, f"/wmts/1.0.0/{resource}")
    kvp_only = [] if any(k.lower() == "service" for k in request.GET) else [("SERVICE", "WMTS")]
    return _answer(request, dataset, decision, "/service", kvp_only)


@require_GET
def tms(request: HttpRequest, pk: int, resource: str = "") -> HttpResponse:
    """TMS 1.0.0 under `/tms/dataset/<id>/1.0.0/`: `<layer>/<grid>/<z>/<x>/<y>.png`, y counted from the south."""
    allowed = _allowed(request, pk)
    if allowed is None:
        return _tms_exception(REFUSED, 404)
    dataset, decision = allowed
    return _answer(request, dataset, decision, f"/tms/{resource}")
