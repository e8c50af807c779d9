import json
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from catalogue.models import Dataset
from geoplatform import rights

from .forms import ImportForm
from .models import ImportJob, Upload
from .services import pipeline, uploads
from .services.errors import ImportError_, fail


def _error_response(error: ImportError_, status: int = 400) -> JsonResponse:
    payload = {"error": {"code": error.code, "message": error.message}}
    if "layers" in error.details:
        payload["layers"] = error.details["layers"]
    if "offset" in error.details:
        payload["offset"] = error.details["offset"]
    return JsonResponse(payload, status=status)


def _target_dataset(request: HttpRequest) -> Dataset | None:
    """The dataset a new version is uploaded for (`?dataset=`), checked for edit rights."""
    dataset_id = request.GET.get("dataset") or request.POST.get("dataset")
    if not dataset_id:
        return None
    return rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.EDIT, pk=dataset_id)


def _start_import(request: HttpRequest, form: ImportForm, path: Path, filename: str) -> ImportJob:
    dataset = _target_dataset(request)
    organisation = form.cleaned_data.get("organisation")
    if dataset is None:
        organisations = rights.producer_organisations(request.user)
        organisation = organisation or (organisations.first() if organisations.count() == 1 else None)
        if organisation is None:
            raise fail("organisation_required", _("Choisissez l'organisation qui publie ce jeu de données."))
    return pipeline.create_import(
        user=request.user,
        path=path,
        filename=filename,
        organisation=organisation,
        dataset=dataset,
        title=form.cleaned_data.get("title") or "",
        layer=form.cleaned_data.get("layer") or "",
        srid=form.cleaned_data.get("srid"),
    )


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """The upload page; the plain form POST is the no-JavaScript path."""
    dataset = _target_dataset(request)
    organisations = rights.producer_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied
    form = ImportForm(request.POST or None, organisations=organisations)
    error = None
    if request.method == "POST" and form.is_valid():
        upload_file = request.FILES.get("file")
        if upload_file is None:
            error = _("Choisissez un fichier à importer.")
        else:
            try:
                upload = uploads.create_upload(request.user, upload_file.name, upload_file.size)
                with upload.path.open("wb") as fh:
                    for chunk in upload_file.chunks():
                        fh.write(chunk)
                upload.received = upload.size
                upload.save(update_fields=["received"])
                job = _start_import(request, form, upload.path, upload_file.name)
                return redirect(job)
            except ImportError_ as exc:
                error = exc.message
    return render(request, "importer/import.html", {"form": form, "dataset": dataset, "error": error})


def _json_body(request: HttpRequest) -> dict:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return {}


@login_required
@require_POST
def upload_create(request: HttpRequest) -> JsonResponse:
    if not rights.may_produce(request.user):
        raise PermissionDenied
    data = _json_body(request)
    try:
        upload = uploads.create_upload(request.user, str(data.get("filename") or ""), int(data.get("size") or 0))
    except ImportError_ as exc:
        return _error_response(exc, status=413 if exc.code == "file_too_large" else 400)
    except (TypeError, ValueError):
        return _error_response(fail("bad_request", _("Requête invalide.")))
    return JsonResponse({"id": str(upload.pk), "url": _upload_url(upload), "offset": 0}, status=201)


def _upload_url(upload: Upload) -> str:
    from django.urls import reverse

    return reverse("importer:upload", args=[upload.pk])


@login_required
@require_http_methods(["GET", "PUT"])
def upload_detail(request: HttpRequest, pk: str) -> JsonResponse:
    upload = get_object_or_404(Upload, pk=pk, user=request.user)
    if request.method == "PUT":
        try:
            received = uploads.append_chunk(upload, request.headers.get("Content-Range", ""), request)
        except ImportError_ as exc:
            return _error_response(exc, status=409 if exc.code == "bad_range" else 400)
        return JsonResponse({"offset": received, "size": upload.size})
    return JsonResponse({"offset": upload.received, "size": upload.size})


@login_required
@require_POST
def upload_complete(request: HttpRequest, pk: str) -> JsonResponse:
    upload = get_object_or_404(Upload, pk=pk, user=request.user)
    if not upload.complete:
        return _error_response(fail("upload_incomplete", _("Le fichier n'est pas entièrement téléversé.")))
    form = ImportForm(request.POST, organisations=rights.producer_organisations(request.user))
    if not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _error_response(fail("invalid_form", message))
    previous = ImportJob.objects.filter(source_path=str(upload.path)).select_related("dataset").first()
    try:
        if previous is None:
            job = _start_import(request, form, upload.path, upload.filename)
        elif previous.status in {ImportJob.Status.FAILED, ImportJob.Status.CANCELLED}:
            # A second try with the same file (another layer or CRS) goes on the same dataset.
            job = pipeline.create_import(
                user=request.user,
                path=upload.path,
                filename=upload.filename,
                dataset=previous.dataset,
                layer=form.cleaned_data.get("layer") or "",
                srid=form.cleaned_data.get("srid"),
            )
        else:  # completed twice (double click, retry after a lost answer): the same job
            job = previous
    except ImportError_ as exc:
        return _error_response(exc)
    return JsonResponse({"redirect": job.get_absolute_url(), "job": str(job.pk)})


def job_for_editor(request: HttpRequest, pk: str) -> ImportJob:
    job = ImportJob.objects.select_related("dataset__organisation").filter(pk=pk).first()
    if job is None or not rights.can(request.user, rights.Action.EDIT, job.dataset):
        raise Http404
    return job


@login_required
def job_page(request: HttpRequest, pk: str) -> HttpResponse:
    job = job_for_editor(request, pk)
    template = "importer/_job_status.html" if request.headers.get("HX-Request") else "importer/job.html"
    return render(request, template, {"job": job, "dataset": job.dataset})


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: str) -> HttpResponse:
    job = job_for_editor(request, pk)
    pipeline.cancel(job)
    return redirect(job)


@login_required
@require_POST
def job_retry(request: HttpRequest, pk: str) -> HttpResponse:
    """Run a failed import again on the same file, with the layer or CRS the user now chose."""
    job = job_for_editor(request, pk)
    if not job.finished or job.status == ImportJob.Status.SUCCEEDED or not Path(job.source_path).exists():
        return redirect(job)
    srid = request.POST.get("srid") or None
    try:
        new_job = pipeline.create_import(
            user=request.user,
            path=Path(job.source_path),
            filename=job.source_filename,
            dataset=job.dataset,
            layer=request.POST.get("layer", job.layer),
            srid=int(srid) if srid else job.srid,
        )
    except (ImportError_, ValueError):
        return redirect(job)
    return redirect(new_job)
