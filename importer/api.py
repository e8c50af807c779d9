from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .models import ImportJob
from .services import pipeline
from .views import job_for_editor

JobSerializer = inline_serializer(
    "ImportJob",
    {
        "id": serializers.UUIDField(),
        "status": serializers.ChoiceField(choices=ImportJob.Status.choices),
        "progress": serializers.IntegerField(),
        "features_done": serializers.IntegerField(),
        "features_total": serializers.IntegerField(allow_null=True),
        "error": serializers.DictField(allow_null=True),
        "report": serializers.DictField(),
        "dataset": serializers.URLField(),
    },
)


def job_document(job: ImportJob, request: Request) -> dict:
    error = None
    if job.status == ImportJob.Status.FAILED:
        error = {"code": job.error_code, "message": job.error_message}
        if "layers" in job.error_details:
            error["layers"] = job.error_details["layers"]
    return {
        "id": str(job.pk),
        "status": job.status,
        "progress": job.progress,
        "features_done": job.features_done,
        "features_total": job.features_total,
        "error": error,
        "report": job.report,
        "dataset": reverse("api:dataset-detail", args=[job.dataset_id], request=request),
    }


class JobView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=JobSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(job_document(job_for_editor(request, pk), request))


class JobCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=JobSerializer)
    def post(self, request: Request, pk: str) -> Response:
        job = job_for_editor(request, pk)
        pipeline.cancel(job)
        job.refresh_from_db()
        return Response(job_document(job, request))
