"""Download pages built on the core services: the dataset's download form, the basket, "Mes téléchargements".

The engine (validation, rights, quotas, streaming, jobs, signed links) is `downloads/services.py`; these views
only turn a form into a download item, call a service and render the answer in French.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from catalogue.models import Dataset
from geoplatform import rights

from . import services
from .errors import DownloadError
from .formats import FORMATS, SRIDS
from .models import DownloadJob
from .page_forms import DownloadForm
from .views import zip_response


def clip_label(clip: dict | None) -> str:
    """A short French description of a stored clip, for the basket and the history."""
    if not clip:
        return _("aucun (jeu de données entier)")
    if "communes" in clip:
        return _("communes %(codes)s") % {"codes": ", ".join(clip["communes"])}
    if "bbox" in clip:
        box = ", ".join(f"{value:g}" for value in clip["bbox"])
        return _("emprise %(box)s (EPSG:%(srid)s)") % {"box": box, "srid": clip.get("srid", 4326)}
    return _("géométrie fournie")


def describe_item(item: dict, titles: dict[int, str]) -> dict:
    """A job or basket item as the pages show it; a dataset the person may no longer see shows no title."""
    driver = FORMATS.get(item.get("format", ""))
    srid = item.get("srid")
    return {
        "dataset": item.get("dataset"),
        "title": titles.get(item.get("dataset"), _("Jeu de données non disponible")),
        "format": f"{driver.label} ({driver.name})" if driver else item.get("format", ""),
        "crs": f"EPSG:{srid} — {SRIDS.get(srid, '')}".rstrip(" —"),
        "clip": clip_label(item.get("clip")),
    }


def _titles(user: object, ids: set[int]) -> dict[int, str]:
    """Titles of the datasets the person may still see (one query for a whole page)."""
    queryset = rights.visible(user, Dataset.objects.filter(pk__in=ids))
    return dict(queryset.values_list("pk", "title"))


def _refused(request: HttpRequest, error: DownloadError, context: dict | None = None) -> HttpResponse:
    if error.http_status == 404:
        raise Http404
    template = "downloads/page_download.html" if context else "downloads/refused.html"
    return render(request, template, {**(context or {}), "error": error}, status=error.http_status)


def _job_page(job: DownloadJob) -> str:
    """Where to follow a job: the history for people with an account, the job's own page for visitors."""
    return reverse("downloads:my_downloads") if job.user_id else reverse("downloads:job", args=[job.pk])


@require_http_methods(["GET", "POST"])
def extract(request: HttpRequest, pk: int) -> HttpResponse:
    """The download form of one dataset: GET shows it, POST downloads now or adds to the basket."""
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.VIEW_METADATA, pk=pk)
    if not services.download_decision(request.user, dataset):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        error = DownloadError("forbidden", _("Vous n'avez pas le droit de télécharger ce jeu de données."), 403)
        return _refused(request, error)
    if not dataset.has_data:
        return _refused(request, DownloadError("no_data", _("Ce jeu de données n'a pas encore de données.")))
    posted = request.method == "POST"
    with_map = posted and request.POST.get("clip") in ("extent", "drawn")  # posted from the dataset page's map
    form = DownloadForm(dataset, request.POST if posted else None, request.FILES if posted else None, with_map=with_map)
    context = {"dataset": dataset, "form": form}
    if not posted or not form.is_valid():
        return render(request, "downloads/page_download.html", context, status=400 if posted else 200)
    owner = services.owner_of(request)
    try:
        if request.POST.get("action") == "basket":
            services.add_to_basket(owner, form.item())
        else:
            job = services.create_download(owner, [form.item()])
    except DownloadError as error:
        return _refused(request, error, context)
    if request.POST.get("action") == "basket":
        messages.success(request, _("« %(title)s » a été ajouté au panier.") % {"title": dataset.title})
        return redirect("downloads:basket")
    if job.mode == DownloadJob.Mode.DEFERRED:
        messages.info(
            request,
            _("Cette extraction est volumineuse : elle est préparée en différé, suivez sa progression ci-dessous."),
        )
        return redirect(_job_page(job))
    return zip_response(job, dataset.pk)


def basket(request: HttpRequest) -> HttpResponse:
    """The basket: each dataset with its format, CRS and clip, to order as one zip."""
    owner = services.owner_of(request)
    items = list(services.basket_items(owner))
    titles = _titles(request.user, {item.dataset_id for item in items})
    rows = [{"pk": item.pk, **describe_item(item.as_item(), titles)} for item in items]
    return render(request, "downloads/basket.html", {"rows": rows})


@require_POST
def basket_remove(request: HttpRequest, item: int) -> HttpResponse:
    services.remove_from_basket(services.owner_of(request), item)
    messages.success(request, _("L'élément a été retiré du panier."))
    return redirect("downloads:basket")


@require_POST
def basket_order(request: HttpRequest) -> HttpResponse:
    """Order the whole basket: one job producing one zip."""
    try:
        job = services.order_basket(services.owner_of(request))
    except DownloadError as error:
        messages.error(request, error.message)
        return redirect("downloads:basket")
    messages.success(request, _("Commande enregistrée : votre fichier zip est en préparation."))
    return redirect(_job_page(job))


def _row_context(request: HttpRequest, jobs: list[DownloadJob]) -> list[dict]:
    ids = {item["dataset"] for job in jobs for item in job.items}
    titles = _titles(request.user, ids)
    return [
        {
            "job": job,
            "items": [describe_item(item, titles) for item in job.items],
            "link": services.signed_link(job) if job.status == DownloadJob.Status.SUCCEEDED and job.result else "",
        }
        for job in jobs
    ]


@login_required
def my_downloads(request: HttpRequest) -> HttpResponse:
    """The signed-in person's downloads, newest first, with live progress of those still running."""
    jobs = list(services.jobs_for(services.owner_of(request))[:50])
    basket_count = services.basket_items(services.owner_of(request)).count()
    return render(
        request,
        "downloads/my_downloads.html",
        {
            "rows": _row_context(request, jobs),
            "basket_count": basket_count,
            "link_days": settings.GP_DOWNLOAD_LINK_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def job_row(request: HttpRequest, pk: str) -> HttpResponse:
    """One job of the history: GET is what htmx polls, POST cancels it."""
    owner = services.owner_of(request)
    job = services.get_job(owner, pk)
    if request.method == "POST":
        try:
            job = services.cancel_job(job)
        except DownloadError as error:
            messages.info(request, error.message)
        if not request.headers.get("HX-Request"):
            return redirect("downloads:my_downloads")
    return render(request, "downloads/_job_row.html", {"row": _row_context(request, [job])[0]})
