"""The OWS Context GeoJSON document of a map, as the caller may see it (the viewer loads it; people download it)."""

import json

from django.http import Http404, HttpRequest, HttpResponse

from geoplatform.auth import caller

from . import services
from .models import MapVersion


def context_document(request: HttpRequest, pk: int) -> HttpResponse:
    user = caller(request)  # session, personal key or Basic: GIS clients load contexts too
    map_ = services.get_map_or_404(user, pk)
    version = request.GET.get("version")
    try:
        context = services.context_for(user, map_, int(version) if version else None)
    except (ValueError, MapVersion.DoesNotExist):
        raise Http404 from None
    response = HttpResponse(
        json.dumps(context, ensure_ascii=False, indent=1), content_type="application/geo+json; charset=utf-8"
    )
    if "telecharger" in request.GET:
        response["Content-Disposition"] = f'attachment; filename="carte-{map_.pk}-contexte.json"'
    response["Cache-Control"] = "private, no-cache"
    return response
