"""WMTS and TMS for one dataset, answered by MapProxy within the territory the caller's rights allow."""

import re
from functools import cache
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from catalogue.models import Dataset
from geoplatform import rights
from geoplatform.auth import KEY_PARAMETER, caller, key_parameter

from . import mapproxy
from .views import _cache_control

REFUSED = "Couche inconnue ou non autorisée."
# A RESTful WMTS tile, `<layer>/<style>/<TileMatrixSet>/<TileMatrix>/<TileRow>/<TileCol>.png`.
REST_TILE = re.compile(
    r"(?P<layer>[^/]+)/default/(?P<grid>[^/]+)/(?P<level>\d{1,2})/(?P<row>\d{1,9})/(?P<col>\d{1,9})\.png"
)
# What a tile request reads of the dataset row (the rest, e.g. the ISO document, loads only if a mapfile or
# configuration has to be written): a third of the request's time on a cache hit otherwise.
TILE_FIELDS = (
    "title", "abstract", "organisation_id", "public", "territory_restricted", "updated_at", "kind", "version",
    "table_name", "raster_path", "srid", "geometry_type", "bbox",
)  # fmt: skip


@cache
def _tile_query() -> tuple[str, tuple[str, ...], tuple]:
    """The SQL of the tile request's dataset read, compiled once per process (the query text, never its answer):
    the ORM compiling it again was a fifth of a cache hit. Columns in model order, as `Model.from_db` wants."""
    fields = tuple(f for f in Dataset._meta.concrete_fields if f.primary_key or f.attname in TILE_FIELDS)
    sql, _params = Dataset.objects.only(*TILE_FIELDS).filter(pk=0).order_by().query.sql_with_params()
    return sql, tuple(f.attname for f in fields), fields


def _tile_dataset(pk: int) -> Dataset | None:
    """`Dataset.objects.only(*TILE_FIELDS).get(pk=pk)`, read from the database on every request, or None."""
    sql, names, fields = _tile_query()
    alias = router.db_for_read(Dataset)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = [
        f.from_db_value(value, None, connection) if hasattr(f, "from_db_value") else value
        for f, value in zip(fields, row, strict=True)
    ]
    return Dataset.from_db(alias, names, values)


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
    dataset = _tile_dataset(pk)
    if dataset is None:
        return None
    decision = rights.decide(caller(request), rights.Action.VIEW_DATA, dataset)
    if not decision or (decision.restricted and not decision.territory_ids) or not dataset.has_data:
        return None
    return dataset, decision


def _wmts_tile(request: HttpRequest, dataset: Dataset, path_info: str) -> tuple[str, int, int, int] | None:
    """(grid, level, col, row) of a WMTS PNG tile request on this dataset's layer, REST or KVP; None otherwise
    (capabilities, other formats, malformed requests: MapProxy answers those)."""
    if path_info.startswith("/wmts/1.0.0/"):
        match = REST_TILE.fullmatch(path_info.removeprefix("/wmts/1.0.0/"))
        if match is None or match["layer"] != dataset.layer_name:
            return None
        return match["grid"], int(match["level"]), int(match["col"]), int(match["row"])
    if path_info != "/service":
        return None
    query = {k.lower(): v for k, v in request.GET.items()}
    expected = {"service": "WMTS", "request": "GetTile", "layer": dataset.layer_name, "format": "image/png"}
    if (
        any(query.get(k, "").lower() != v.lower() for k, v in expected.items())
        or query.get("style", "default") != "default"
    ):
        return None
    numbers = [query.get(k, "") for k in ("tilematrix", "tilecol", "tilerow")]
    if not all(n.isascii() and n.isdigit() and len(n) < 10 for n in numbers):
        return None
    return query.get("tilematrixset", ""), *(int(n) for n in numbers)


def _answer(
    request: HttpRequest, dataset: Dataset, decision: rights.Decision, path_info: str, extra: list | None = None
) -> HttpResponse:
    cache = mapproxy.cache_for(dataset, decision.territory_ids if decision.restricted else ())
    # A cache hit (the caller's own variant, after the rights decision) is read from the cache without MapProxy.
    tile = _wmts_tile(request, dataset, path_info)
    answer = mapproxy.cached_tile(cache, *tile, request.META) if tile else None
    if answer is None:
        params = [(k, v) for k, v in request.GET.items() if k.lower() != KEY_PARAMETER]  # the key stays with us
        params += extra or []
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
