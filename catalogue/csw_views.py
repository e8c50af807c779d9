from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from geoplatform import statistics
from geoplatform.models import UsageCount

from . import csw


@csrf_exempt  # CSW clients POST XML requests without a session
@require_http_methods(["GET", "POST"])
def endpoint(request: HttpRequest) -> HttpResponse:
    """CSW 2.0.2 / 3.0 answered by pycsw, whose repository holds only the records anonymous visitors may see."""
    try:
        answer = csw.forward(request.method, list(request.GET.items()), request.body, dict(request.headers))
    except csw.CswError as error:
        return HttpResponse(csw.exception_report(error), status=error.status, content_type="application/xml")
    if 200 <= answer.status < 300:
        user_id = request.user.pk if request.user.is_authenticated else None
        statistics.record(UsageCount.Kind.OGC, service="CSW", dataset_id=None, organisation_id=None, user_id=user_id)
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
