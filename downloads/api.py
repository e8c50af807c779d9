"""Downloads API (`/api/v1/downloads/…`): order extracts, follow the job, fetch the result, manage the basket."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from geoplatform.api import error_response

from . import services
from .errors import DownloadError

JobSerializer = inline_serializer(
    "DownloadJob",
    {
        "id": serializers.UUIDField(),
        "url": serializers.URLField(),
        "status": serializers.CharField(),
        "mode": serializers.CharField(),
        "progress": serializers.IntegerField(),
        "items": serializers.ListField(child=serializers.DictField()),
        "estimated_size": serializers.IntegerField(),
        "size": serializers.IntegerField(allow_null=True),
        "result": serializers.URLField(allow_null=True),
        "error": serializers.DictField(allow_null=True),
    },
)
OrderSerializer = inline_serializer(
    "DownloadOrder",
    {
        "items": serializers.ListField(
            child=inline_serializer(
                "DownloadItem",
                {
                    "dataset": serializers.IntegerField(),
                    "format": serializers.CharField(),
                    "srid": serializers.IntegerField(required=False),
                    "clip": serializers.DictField(required=False),
                    "options": serializers.DictField(required=False),
                },
            )
        )
    },
)
REFUSALS = {
    400: OpenApiResponse(description="unknown_format, unknown_srid, invalid_clip, empty_clip, invalid_items…"),
    404: OpenApiResponse(description="forbidden: a dataset one may not see (or that does not exist)"),
    429: OpenApiResponse(description="quota_exceeded, too_many_jobs, rate_limited"),
}


def _document(request: Request, job) -> dict:
    return services.job_document(job, reverse("api:download-detail", args=[job.pk], request=request))


def _refusal(error: DownloadError) -> Response:
    return error_response(error.code, error.message, error.http_status)


class DownloadListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="v1_downloads_list", responses=JobSerializer)
    def get(self, request: Request) -> Response:
        """One's own downloads, newest first (at most 100)."""
        jobs = services.jobs_for(services.owner_of(request._request))[:100]
        return Response([_document(request, job) for job in jobs])

    @extend_schema(request=OrderSerializer, responses={202: JobSerializer, **REFUSALS})
    def post(self, request: Request) -> Response:
        """Order one zip of one or more datasets (format, CRS, clip each); always a job, answered 202."""
        items = request.data.get("items") if isinstance(request.data, dict) else None
        try:
            job = services.create_download(services.owner_of(request._request), items, force_deferred=True)
        except DownloadError as error:
            return _refusal(error)
        return Response(_document(request, job), status=status.HTTP_202_ACCEPTED)


class DownloadDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=JobSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(_document(request, services.get_job(services.owner_of(request._request), pk)))


class DownloadCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=JobSerializer)
    def post(self, request: Request, pk: str) -> Response:
        job = services.get_job(services.owner_of(request._request), pk)
        try:
            services.cancel_job(job)
        except DownloadError as error:
            return _refusal(error)
        return Response(_document(request, job))


def _basket_document(item) -> dict:
    return {"id": item.pk, **item.as_item(), "title": item.dataset.title}


class BasketView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_downloads_basket_list",
        responses=inline_serializer("BasketItem", {"id": serializers.IntegerField()}),
    )
    def get(self, request: Request) -> Response:
        return Response([_basket_document(item) for item in services.basket_items(services.owner_of(request._request))])

    @extend_schema(request=OrderSerializer, responses={201: None, **REFUSALS})
    def post(self, request: Request) -> Response:
        try:
            item = services.add_to_basket(services.owner_of(request._request), request.data)
        except DownloadError as error:
            return _refusal(error)
        return Response(_basket_document(item), status=status.HTTP_201_CREATED)


class BasketItemView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.remove_from_basket(services.owner_of(request._request), pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BasketOrderView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: JobSerializer, **REFUSALS})
    def post(self, request: Request) -> Response:
        try:
            job = services.order_basket(services.owner_of(request._request))
        except DownloadError as error:
            return _refusal(error)
        return Response(_document(request, job), status=status.HTTP_202_ACCEPTED)
