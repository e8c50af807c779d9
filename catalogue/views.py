from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geoplatform import audit, rights

from . import services, sharing
from .forms import DatasetForm, GrantForm, SharingPresetForm
from .models import Dataset


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "catalogue/home.html", {"recent": services.recently_published(request.user)})


def dataset_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    datasets = services.datasets_for(request.user, query)
    return render(request, "catalogue/dataset_list.html", {"datasets": datasets[:200], "query": query})


def dataset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.VIEW_METADATA, pk=pk)
    data = rights.decide(request.user, rights.Action.VIEW_DATA, dataset)
    may_view_data = data.allowed
    if notice := services.territory_notice(dataset, data):
        messages.info(request, notice)
    may_administer = rights.can(request.user, rights.Action.ADMINISTER, dataset)
    context = {
        "dataset": dataset,
        "may_view_data": may_view_data,
        "data_restricted": data.restricted,
        "may_edit": rights.can(request.user, rights.Action.EDIT, dataset),
        "may_administer": may_administer,
        "preset": sharing.current_preset(dataset),
        "sharing": sharing.summary(dataset) if may_administer else None,
        "rows": services.attribute_page(dataset, request.GET.get("page"), data) if may_view_data else None,
        "last_job": dataset.import_jobs.first() if rights.can(request.user, rights.Action.EDIT, dataset) else None,
    }
    return render(request, "catalogue/dataset_detail.html", context)


@login_required
@require_POST
def dataset_publish(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.ADMINISTER, pk=pk)
    sharing.publish(request, dataset)
    return redirect(dataset)


@login_required
def dataset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.EDIT, pk=pk)
    form = DatasetForm(request.POST or None, instance=dataset)
    if request.method == "POST" and form.is_valid():
        before = audit.snapshot(dataset, fields=["title", "abstract", "domains"])
        form.save()
        audit.record(
            request,
            "dataset.update",
            dataset,
            before=before,
            after=audit.snapshot(dataset, fields=["title", "abstract", "domains"]),
        )
        return redirect(dataset)
    return render(request, "catalogue/dataset_edit.html", {"dataset": dataset, "form": form})


def _administered(request: HttpRequest, pk: int) -> Dataset:
    return rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.ADMINISTER, pk=pk)


def _sharing_page(
    request: HttpRequest,
    dataset: Dataset,
    preset_form: SharingPresetForm | None = None,
    grant_form: GrantForm | None = None,
    status: int = 200,
) -> HttpResponse:
    preset = sharing.current_preset(dataset)
    context = {
        "dataset": dataset,
        "summary": sharing.summary(dataset),
        "preset_form": preset_form
        or SharingPresetForm(initial={"preset": preset, "territory_restricted": dataset.territory_restricted}),
        "presets": [(value, label, sharing.PRESET_HELP[value]) for value, label in sharing.PRESETS],
        "grant_form": grant_form or GrantForm(),
    }
    return render(request, "catalogue/dataset_sharing.html", context, status=status)


@login_required
def dataset_sharing(request: HttpRequest, pk: int) -> HttpResponse:
    return _sharing_page(request, _administered(request, pk))


@login_required
@require_POST
def sharing_preset(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = _administered(request, pk)
    form = SharingPresetForm(request.POST)
    if not form.is_valid():
        return _sharing_page(request, dataset, preset_form=form, status=400)
    sharing.apply_preset(request, dataset, form.cleaned_data["preset"], form.cleaned_data["territory_restricted"])
    messages.success(request, _("Le partage est enregistré."))
    return redirect(reverse("catalogue:sharing", args=[dataset.pk]))


@login_required
@require_POST
def grant_add(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = _administered(request, pk)
    form = GrantForm(request.POST)
    if form.is_valid():
        try:
            sharing.add_grant(request, dataset, form.cleaned_data["spec"])
        except sharing.SharingError as exc:
            form.add_error(None, exc.message)
    if not form.is_valid():
        return _sharing_page(request, dataset, grant_form=form, status=400)
    messages.success(request, _("Le droit est ajouté."))
    return redirect(reverse("catalogue:sharing", args=[dataset.pk]) + "#droits")


@login_required
@require_POST
def grant_remove(request: HttpRequest, pk: int, grant_id: int) -> HttpResponse:
    dataset = _administered(request, pk)
    try:
        sharing.remove_grant(request, dataset, grant_id)
        messages.success(request, _("Le droit est retiré."))
    except sharing.SharingError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("catalogue:sharing", args=[dataset.pk]) + "#droits")
