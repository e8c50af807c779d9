from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from django.views.static import serve

from catalogue.models import Dataset
from geoplatform import statistics
from geoplatform.auth import caller
from geoplatform.models import UsageCount

from . import pygeoapi

STATISTICS_SERVICE = "OGC API Records"
FEATURES_SERVICE = "OGC API Features"  # fits UsageCount's 20-character service column


def _count_features(request: HttpRequest, dataset: Dataset) -> None:
    """A request below a dataset's collection counts as an OGC request on that dataset, like a WMS call does."""
    user = caller(request)
    statistics.record(
        UsageCount.Kind.OGC,
        service=FEATURES_SERVICE,
        dataset_id=dataset.pk,
        organisation_id=dataset.organisation_id,
        user_id=user.pk if user.is_authenticated else None,
    )


def _count_record(request: HttpRequest, endpoint: str) -> None:
    """A record fetched by id counts as an OGC request on its dataset, like a WMS call does."""
    parts = endpoint.strip("/").split("/")
    if len(parts) != 4 or parts[:3] != ["collections", pygeoapi.CATALOGUE, "items"]:
        return
    found = Dataset.objects.filter(uuid=parts[3], anonymous_visible=True).values_list("pk", "organisation_id").first()
    if found is not None:
        user = getattr(request, "user", None)
        statistics.record(
            UsageCount.Kind.OGC,
            service=STATISTICS_SERVICE,
            dataset_id=found[0],
            organisation_id=found[1],
            user_id=user.pk if user is not None and user.is_authenticated else None,
        )


@require_safe
def ogcapi(request: HttpRequest, endpoint: str) -> HttpResponse:
    """OGC API Records of the catalogue and OGC API Features of the datasets, answered in-process by pygeoapi: the
    records are those anonymous visitors see, the dataset collections those the caller may view."""
    if endpoint.startswith("static/"):  # pygeoapi's HTML pages load their CSS and images from below its URL
        return serve(request, endpoint.removeprefix("static/"), document_root=pygeoapi.STATIC_ROOT)
    answer = pygeoapi.respond(request, endpoint, caller(request))
    if answer is None:
        raise Http404
    response = HttpResponse(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    if answer.status == 200 and answer.dataset is not None:
        _count_features(request, answer.dataset)
    elif answer.status == 200:
        _count_record(request, endpoint)
    return response
