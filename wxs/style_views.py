"""The style editor of a dataset, for those who may edit it: single symbol, categorised, graduated, SLD."""

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from catalogue.models import Dataset
from geoplatform import rights
from wxs import sld, styles
from wxs.forms import SldUploadForm, StyleForm


def _editable(request: HttpRequest, pk: int) -> Dataset:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.EDIT, pk=pk)
    if dataset.kind != Dataset.Kind.VECTOR or not dataset.has_data:
        raise Http404
    return dataset


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def _page(request, dataset, form, classes: str, status: int = 200, sld_form=None) -> HttpResponse:
    context = {
        "dataset": dataset,
        "form": form,
        "sld_form": sld_form or SldUploadForm(),
        "saved": styles.default_style(dataset),
        "classes": form.classes_list() if form.is_bound and hasattr(form, "cleaned_data") else [],
    }
    try:
        context["preview"] = _png(styles.preview_png(dataset, classes))
        context["legend"] = _png(styles.preview_png(dataset, classes, "legend"))
    except styles.StyleError as error:
        context["preview_error"] = error.message
    return render(request, "wxs/style_editor.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def style_editor(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = _editable(request, pk)
    if request.method == "GET":
        form = StyleForm(initial=StyleForm.initial_for(styles.default_style(dataset)), dataset=dataset)
        return _page(request, dataset, form, styles.mapfile_classes(dataset))
    form = StyleForm(request.POST, dataset=dataset)
    if not form.is_valid():
        return _page(request, dataset, form, styles.mapfile_classes(dataset), status=400)
    action = request.POST.get("action", "preview")
    try:
        if action == "compute":
            form.compute()
        definition = styles.validate(dataset, form.cleaned_data["kind"], form.definition())
        if action == "save":
            styles.save_style(dataset, form.cleaned_data["name"], form.cleaned_data["kind"], definition)
            messages.success(request, _("Le style est enregistré : tous les services l'utilisent."))
            return redirect(reverse("wxs:styles", args=[dataset.pk]))
        classes = styles.definition_classes(dataset, form.cleaned_data["kind"], definition)
    except styles.StyleError as error:
        form.add_error(None, error.message)
        return _page(request, dataset, form, styles.mapfile_classes(dataset), status=400)
    # Re-bind so the computed classes travel with the next submission.
    form = StyleForm({**request.POST.dict(), "classes": form.cleaned_data["classes"]}, dataset=dataset)
    form.is_valid()
    return _page(request, dataset, form, classes)


@login_required
@require_http_methods(["GET", "POST"])
def style_sld(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the default style as SLD (`?version=1.0.0|1.1.0`); POST: import an SLD file as the default style."""
    dataset = _editable(request, pk)
    if request.method == "GET":
        version = request.GET.get("version", "1.0.0")
        try:
            document = sld.export_sld(dataset, version)
        except styles.StyleError as error:
            return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
        response = HttpResponse(document, content_type="application/vnd.ogc.sld+xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{dataset.layer_name}-sld{version[:3]}.xml"'
        return response
    upload = SldUploadForm(request.POST, request.FILES)
    if upload.is_valid():
        try:
            document = upload.cleaned_data["document"].read(sld.MAX_SLD_BYTES + 1)
            classes = sld.import_sld(dataset, document)
            styles.save_style(
                dataset,
                upload.cleaned_data["name"],
                "sld",
                {},
                sld=document.decode("utf-8", "replace"),
                engine_classes=classes,
            )
            messages.success(request, _("Le SLD est importé : tous les services l'utilisent."))
            return redirect(reverse("wxs:styles", args=[dataset.pk]))
        except styles.StyleError as error:
            upload.add_error("document", error.message)
    form = StyleForm(initial=StyleForm.initial_for(styles.default_style(dataset)), dataset=dataset)
    return _page(request, dataset, form, styles.mapfile_classes(dataset), status=400, sld_form=upload)
