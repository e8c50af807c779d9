from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from catalogue.models import Dataset
from geoplatform import rights
from geoplatform.auth import KEY_PARAMETER, caller

from . import mapserver

# Never handed to MapServer: MAP would pick another mapfile, KEY is the caller's personal access key.
PRIVATE_PARAMETERS = {"map", KEY_PARAMETER}


def _cache_control(dataset: Dataset, decision: rights.Decision) -> str:
    """Shared caches may keep an answer only when everybody, signed in or not, gets that same answer."""
    if dataset.public and not dataset.territory_restricted and not decision.restricted:
        return "public, max-age=300"
    return "private, no-store"


@require_GET
def dataset_ows(request: HttpRequest, pk: int) -> HttpResponse:
    """WMS/WFS for one dataset, answered by MapServer within the territory the caller's rights allow."""
    dataset = get_object_or_404(Dataset.objects.select_related("organisation"), pk=pk)
    decision = rights.decide(caller(request), rights.Action.VIEW_DATA, dataset)
    if not decision or (decision.restricted and not decision.territory_ids):  # MapServer clips by territory rows
        raise Http404
    if not dataset.has_data:
        return HttpResponse("Ce jeu de données n'a pas encore de données.", status=404, content_type="text/plain")
    params = {key: value for key, value in request.GET.items() if key.lower() not in PRIVATE_PARAMETERS}
    mapfile = mapserver.mapfile_for(dataset, decision.territory_ids if decision.restricted else ())
    answer = mapserver.render(mapfile, params, request.build_absolute_uri("/"))
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    response["Cache-Control"] = _cache_control(dataset, decision)
    return response
