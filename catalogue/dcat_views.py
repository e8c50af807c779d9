"""DCAT-AP endpoints: the public catalogue page by page, and one record as its readers may see it."""

from django.core.paginator import InvalidPage
from django.http import Http404, HttpRequest, HttpResponse

from geoplatform import rights

from . import dcat
from .models import Dataset


def catalog(request: HttpRequest, fmt: str) -> HttpResponse:
    """Public records only, whoever asks: this is what national catalogues harvest."""
    try:
        graph = dcat.catalog_page(request.GET.get("page"), fmt)
    except InvalidPage as exc:
        raise Http404 from exc
    return HttpResponse(dcat.serialize(graph, fmt), content_type=dcat.content_type(fmt))


def dataset(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    record = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.VIEW_METADATA, pk=pk)
    return HttpResponse(dcat.serialize(dcat.dataset_graph(record), fmt), content_type=dcat.content_type(fmt))
