from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from catalogue.models import Dataset
from geoplatform import rights
from geoplatform.auth import KEY_PARAMETER, caller
from geoplatform.models import Organisation

from . import mapserver
from .mapserver import filters

# Never handed to MapServer: MAP would pick another mapfile, KEY is the caller's personal access key.
PRIVATE_PARAMETERS = {"map", KEY_PARAMETER}


def _cache_control(dataset: Dataset, decision: rights.Decision) -> str:
    """Shared caches may keep an answer only when everybody, signed in or not, gets that same answer."""
    if dataset.public and not dataset.territory_restricted and not decision.restricted:
        return "public, max-age=300"
    return "private, no-store"


def _spellings(key: str):
    """`key` in distinct letter cases: MapServer reads KVP names case-insensitively."""
    for mask in range(2 ** len(key)):
        yield "".join(c.upper() if mask >> i & 1 else c.lower() for i, c in enumerate(key))


def _params(request: HttpRequest) -> dict[str, str]:
    """The query for MapServer. A repeated parameter (WCS 2.0 SUBSET=x(..)&SUBSET=y(..)) keeps every value, each
    under its own spelling of the name, since `render` takes a dict."""
    params: dict[str, str] = {}
    for key, values in request.GET.lists():
        if key.lower() in PRIVATE_PARAMETERS:
            continue
        spellings = _spellings(key) if len(values) > 1 else iter([key])
        for value in values:
            name = next((s for s in spellings if s not in params), None)
            if name is not None:
                params[name] = value
    return params


# What a request reads of the dataset row: the rest (ISO document, search vector…) loads only when a mapfile is
# written. The full two-table row was a fifth of a 1:25,000 GetMap's time.
SERVICE_FIELDS = (
    "title", "organisation_id", "public", "territory_restricted", "updated_at", "kind", "version", "table_name",
    "raster_path", "srid", "geometry_type", "bbox",
)  # fmt: skip

# Answers that can be as large as the layer: passed on as MapServer writes them, never held in memory.
STREAMED_REQUESTS = {"getfeature", "getcoverage"}


def _refused_filter(params: dict[str, str], datasets: list[Dataset]) -> HttpResponse | None:
    """A FILTER naming anything but the requested layers' attributes never reaches MapServer (see `filters`)."""
    values = filters.filter_values(params)
    if not values:
        return None
    wanted = filters.requested_layers(params)
    attributes = {a["name"] for d in datasets if d.layer_name in wanted for a in d.attributes or []}
    try:
        for value in values:
            filters.check(value, attributes)
    except filters.FilterError as error:
        service = next((v for k, v in params.items() if k.lower() == "service"), "WMS")
        body, status, content_type = filters.exception_document(str(error), service)
        return HttpResponse(body, status=status, content_type=content_type)
    return None


def _answer(
    request: HttpRequest, mapfile, cache_control: str, datasets: list[Dataset]
) -> HttpResponse | StreamingHttpResponse:
    params = _params(request)
    refused = _refused_filter(params, datasets)
    if refused is not None:
        refused["Cache-Control"] = cache_control
        return refused
    operation = next((v for k, v in params.items() if k.lower() == "request"), "").lower()
    if operation in STREAMED_REQUESTS:
        answer = mapserver.respond(mapfile, params, request.build_absolute_uri("/"))
        response = StreamingHttpResponse(answer.chunks, status=answer.status, content_type=answer.content_type)
    else:
        answer = mapserver.render(mapfile, params, request.build_absolute_uri("/"))
        response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    response["Cache-Control"] = cache_control
    return response


@require_GET
def dataset_ows(request: HttpRequest, pk: int) -> HttpResponse:
    """WMS/WFS/WCS for one dataset, answered by MapServer within the territory the caller's rights allow."""
    dataset = get_object_or_404(Dataset.objects.only(*SERVICE_FIELDS), pk=pk)
    decision = rights.decide(caller(request), rights.Action.VIEW_DATA, dataset)
    if not decision or (decision.restricted and not decision.territory_ids):  # MapServer clips by territory rows
        raise Http404
    if not dataset.has_data:
        return HttpResponse("Ce jeu de données n'a pas encore de données.", status=404, content_type="text/plain")
    mapfile = mapserver.mapfile_for(dataset, decision.territory_ids if decision.restricted else ())
    return _answer(request, mapfile, _cache_control(dataset, decision), [dataset])


def _service(request: HttpRequest, organisation: Organisation | None) -> HttpResponse:
    """A multi-layer service holding only the caller's layers: MapServer itself refuses the others."""
    user = caller(request)
    entries = mapserver.caller_layers(user, organisation)
    mapfile = mapserver.service_mapfile_for(organisation, entries)
    shared = not user.is_authenticated  # anonymous callers all get the same variant
    datasets = [dataset for dataset, _ in entries]
    return _answer(request, mapfile, "public, max-age=300" if shared else "private, no-store", datasets)


@require_GET
def global_ows(request: HttpRequest) -> HttpResponse:
    """WMS/WFS/WCS of every layer the caller may view."""
    return _service(request, None)


@require_GET
def organisation_ows(request: HttpRequest, slug: str) -> HttpResponse:
    """WMS/WFS/WCS of one organisation's layers the caller may view."""
    return _service(request, get_object_or_404(Organisation, slug=slug))
