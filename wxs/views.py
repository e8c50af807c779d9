from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from catalogue.models import Dataset
from geoplatform import rights
from geoplatform.auth import caller

from . import mapserver


@require_GET
def dataset_ows(request: HttpRequest, pk: int) -> HttpResponse:
    """WMS/WFS for one dataset, answered by MapServer once the caller's rights are checked."""
    dataset = rights.get_or_404(caller(request), Dataset.objects.all(), rights.Action.VIEW_DATA, pk=pk)
    if not dataset.has_data:
        return HttpResponse(
            "Ce jeu de données n'a pas encore de données.", status=404, content_type="text/plain"
        )
    params = {key: value for key, value in request.GET.items() if key.lower() != "map"}
    answer = mapserver.render(mapserver.mapfile_path(dataset), params, request.build_absolute_uri("/"))
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    response["Cache-Control"] = "public, max-age=300" if dataset.public else "private, no-store"
    return response
