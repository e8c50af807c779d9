"""Download pages: the direct download of the dataset page, the job page, cancel, the signed-link file."""

from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import services
from .errors import DownloadError
from .models import DownloadJob


def _refused(request: HttpRequest, error: DownloadError) -> HttpResponse:
    if error.http_status == 404:
        raise Http404
    return render(request, "downloads/refused.html", {"error": error}, status=error.http_status)


def item_from_query(pk: int, params) -> dict:
    """A download item from the dataset page's query string (`format`, `srid`, `bbox` + `bbox_srid`, `communes`)."""
    item: dict = {"dataset": pk, "format": params.get("format", "gpkg"), "srid": params.get("srid") or None}
    if params.get("bbox"):
        item["clip"] = {"bbox": params["bbox"], "srid": params.get("bbox_srid") or None}
    elif params.get("communes"):
        item["clip"] = {"communes": params["communes"]}
    elif params.get("geometry"):
        item["clip"] = {"geometry": params["geometry"], "srid": params.get("geometry_srid") or None}
    if params.get("compression"):
        item["options"] = {"compression": params["compression"]}
    return item


@require_GET
def direct(request: HttpRequest, pk: int) -> HttpResponse:
    """Stream a small extract at once; a large one becomes a job and the visitor is sent to its page."""
    owner = services.owner_of(request)
    try:
        job = services.create_download(owner, [item_from_query(pk, request.GET)])
    except DownloadError as error:
        return _refused(request, error)
    if job.mode == DownloadJob.Mode.DEFERRED:
        return redirect("downloads:job", pk=job.pk)
    return zip_response(job, pk)


def zip_response(job: DownloadJob, dataset_pk: int) -> StreamingHttpResponse:
    """A direct job's zip, streamed while it is built (the dataset page's form answers with it too)."""
    response = StreamingHttpResponse(services.stream_download(job), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="telechargement-ds{dataset_pk}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


def job(request: HttpRequest, pk: str) -> HttpResponse:
    job = services.get_job(services.owner_of(request), pk)
    link = services.signed_link(job) if job.status == DownloadJob.Status.SUCCEEDED and job.result else ""
    return render(request, "downloads/job.html", {"job": job, "link": link})


@require_POST
def job_cancel(request: HttpRequest, pk: str) -> HttpResponse:
    job = services.get_job(services.owner_of(request), pk)
    try:
        services.cancel_job(job)
    except DownloadError:
        pass  # already finished: the job page says how it ended
    return redirect("downloads:job", pk=job.pk)


@require_GET
def file(request: HttpRequest, token: str) -> HttpResponse:
    """The finished zip behind a signed link (valid GP_DOWNLOAD_LINK_DAYS days)."""
    try:
        job = services.job_from_token(token)
    except DownloadError as error:
        if error.http_status == 404:
            raise Http404 from error
        return render(request, "downloads/refused.html", {"error": error}, status=error.http_status)
    response = FileResponse(Path(job.result).open("rb"), as_attachment=True, filename=f"telechargement-{job.pk}.zip")
    response["Cache-Control"] = "private, no-store"
    return response
