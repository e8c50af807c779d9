from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from downloads.page_forms import download_panel
from geoplatform import audit, rights
from wxs.links import service_links

from . import editor, iso19139, iso19139_http, records, search, services, sharing, tasks
from .forms import (
    AttachmentForm,
    GrantForm,
    LinkFormSet,
    NewRecordForm,
    PartyFormSet,
    RecordForm,
    SharingPresetForm,
    editor_changes,
)
from .models import Dataset, Keyword


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "catalogue/home.html", {"recent": services.recently_published(request.user)})


def dataset_list(request: HttpRequest) -> HttpResponse:
    result = search.search(request.user, search.criteria_from(request.GET, request.user))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "result": result,
        "base_query": params.urlencode(),
        "sorts": search.SORTS.items(),
        "map": search.map_settings(request.user),
    }
    return render(request, "catalogue/dataset_list.html", context)


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
        "record": editor.record_summary(dataset),
        "show_thumbnail": bool(dataset.thumbnail) and records.may_see_thumbnail(request.user, dataset),
        "services": service_links(dataset, request.build_absolute_uri) if may_view_data else [],
        "download": download_panel(request, dataset, with_map=may_view_data and dataset.has_data),
    }
    if context["may_edit"]:
        context["completeness"] = records.completeness(dataset)
        edit_url = reverse("catalogue:edit", args=[dataset.pk])
        context["missing"] = [(r, edit_url) for r in records.missing(dataset)]
    return render(request, "catalogue/dataset_detail.html", context)


@login_required
@require_POST
def dataset_publish(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.ADMINISTER, pk=pk)
    sharing.publish(request, dataset)
    return redirect(dataset)


def _editor_formsets(request: HttpRequest, dataset: Dataset, contacts) -> tuple:
    """The expert mode's contacts and links; a form posted without them leaves both as they are."""
    posted = request.method == "POST"
    parties_initial = [
        {"contact": p.contact, "role": p.role}
        for p in dataset.parties.filter(for_metadata=False).select_related("contact")
    ]
    links_initial = [
        {"url": x.url, "name": x.name, "protocol": x.protocol, "description": x.description}
        for x in dataset.extra_links.all()
    ]
    parties = PartyFormSet(
        request.POST if posted and "parties-TOTAL_FORMS" in request.POST else None,
        initial=parties_initial,
        prefix="parties",
        form_kwargs={"contacts": contacts},
    )
    links = LinkFormSet(
        request.POST if posted and "links-TOTAL_FORMS" in request.POST else None,
        initial=links_initial,
        prefix="links",
    )
    return parties, links


@login_required
def dataset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.EDIT, pk=pk)
    expert = request.GET.get("mode") == "expert"
    missing = records.missing(dataset)
    form = RecordForm(
        request.POST or None, instance=dataset, user=request.user, expert=expert, missing=[r.field for r in missing]
    )
    parties, links = (
        _editor_formsets(request, dataset, editor.contacts_for(request.user, dataset)) if expert else (None, None)
    )
    if request.method == "POST":
        valid = form.is_valid() and all(fs.is_valid() for fs in (parties, links) if fs is not None and fs.is_bound)
        if valid:
            editor.save_record(request, dataset, editor_changes(form, parties, links), "editor")
            messages.success(request, _("La fiche est enregistrée."))
            return redirect(reverse("catalogue:edit", args=[dataset.pk]) + ("?mode=expert" if expert else ""))
    context = {
        "dataset": dataset,
        "form": form,
        "parties": parties,
        "links": links,
        "expert": expert,
        "missing": [(r, form.anchor(r.field)) for r in missing],
        "missing_names": {r.field for r in missing},
        "completeness": records.completeness(dataset),
        "gemet": editor.suggestions(request.user, Keyword.Thesaurus.GEMET, limit=500),
        "free": editor.suggestions(request.user, Keyword.Thesaurus.FREE, limit=500),
        "attachment_form": AttachmentForm(),
    }
    return render(request, "catalogue/dataset_edit.html", context, status=400 if request.method == "POST" else 200)


@login_required
def record_create(request: HttpRequest) -> HttpResponse:
    if not rights.may_produce(request.user):
        raise PermissionDenied
    form = NewRecordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        dataset = editor.create_record(
            request, request.user, data["organisation"], data["title"], data["resource_type"]
        )
        messages.success(request, _("La fiche est créée : décrivez maintenant la ressource."))
        return redirect(reverse("catalogue:edit", args=[dataset.pk]))
    return render(request, "catalogue/record_create.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def dataset_history(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.EDIT, pk=pk)
    return render(
        request,
        "catalogue/dataset_history.html",
        {"dataset": dataset, "revisions": [(r, editor.describe_changes(r)) for r in editor.revisions(dataset)]},
    )


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.EDIT, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            editor.add_attachment(request.user, dataset, form.cleaned_data["file"], form.cleaned_data["title"])
            messages.success(request, _("Le document est joint à la fiche."))
        except editor.EditorError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choisissez un document à joindre."))
    return redirect(reverse("catalogue:edit", args=[dataset.pk]) + "#documents")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.EDIT, pk=pk)
    try:
        editor.remove_attachment(dataset, attachment_id)
        messages.success(request, _("Le document est retiré."))
    except editor.EditorError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("catalogue:edit", args=[dataset.pk]) + "#documents")


def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.VIEW_METADATA, pk=pk)
    attachment = get_object_or_404(dataset.attachments, pk=attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=PurePath(attachment.file.name).name,
        content_type=editor.content_type(attachment),
    )
    response["Cache-Control"] = "private, no-store"
    return response


def thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.VIEW_METADATA, pk=pk)
    if not dataset.thumbnail or not records.may_see_thumbnail(request.user, dataset):
        raise Http404
    response = FileResponse(dataset.thumbnail.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def thumbnail_generate(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.EDIT, pk=pk)
    if dataset.has_data:
        tasks.generate_thumbnail.delay(dataset.pk)
        messages.info(request, _("La vignette est en cours de fabrication à partir de la carte."))
    else:
        messages.error(request, _("La vignette se fait à partir des données : importez-les d'abord."))
    return redirect(reverse("catalogue:edit", args=[dataset.pk]) + "#documents")


def keyword_suggestions(request: HttpRequest) -> JsonResponse:
    thesaurus = request.GET.get("thesaurus", Keyword.Thesaurus.FREE)
    if thesaurus not in Keyword.Thesaurus.values:
        return JsonResponse({"error": {"code": "unknown_thesaurus", "message": _("Thésaurus inconnu.")}}, status=400)
    found = editor.suggestions(request.user, thesaurus, request.GET.get("q", "").strip()[:100])
    return JsonResponse({"results": [editor.keyword_document(k) for k in found]})


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


def dataset_iso19139(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.VIEW_METADATA, pk=pk)
    return iso19139_http.xml_response(dataset)


@login_required
def record_import(request: HttpRequest) -> HttpResponse:
    """Create or update a record from an ISO 19139 file."""
    target = request.POST.get("dataset") or request.GET.get("dataset")
    if target:  # updating a record one may not edit is a record one cannot see
        rights.get_or_404(
            request.user, Dataset.objects.all(), rights.Action.EDIT, pk=int(target) if target.isdigit() else 0
        )
    form = iso19139_http.IsoImportForm(
        request.POST or None, request.FILES or None, user=request.user, initial={"dataset": target}
    )
    if not form.fields["organisation"].queryset.exists() and not form.fields["dataset"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dataset = iso19139.import_record(
                data["file"].read(iso19139.MAX_DOCUMENT_BYTES + 1),
                user=request.user,
                organisation=data["organisation"],
                dataset=data["dataset"],
            )
        except iso19139.IsoImportError as exc:
            form.add_error("organisation" if exc.code == "organisation_required" else "file", exc.message)
        else:
            audit.record(request, "dataset.iso_import", dataset)
            messages.success(request, _("La fiche est importée."))
            return redirect(dataset)
    return render(request, "catalogue/record_import.html", {"form": form}, status=400 if form.errors else 200)
