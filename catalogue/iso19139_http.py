"""The HTTP edge of ISO 19139 export and import, shared by the pages and the API: XML responses, request bodies."""

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.request import Request

from geoplatform import rights
from geoplatform.models import Organisation

from . import iso19139
from .models import Dataset

# HTTP status of each import refusal that is not a plain bad request.
ERROR_STATUS = {"permission_denied": 403, "identifier_taken": 409, "xml_too_large": 413}


def xml_response(dataset: Dataset) -> HttpResponse:
    response = HttpResponse(iso19139.export(dataset), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{dataset.uuid}.xml"'
    return response


class XmlBodyParser(BaseParser):
    """An XML request body, handed over as bytes: only catalogue.iso19139 parses it, with its safe settings."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read(iso19139.MAX_DOCUMENT_BYTES + 1) if stream is not None else b""


class TextXmlParser(XmlBodyParser):
    media_type = "text/xml"


class JsonAnswers(DefaultContentNegotiation):
    """The document itself goes out as XML whatever the client accepts; errors and records always as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def request_document(request: Request) -> bytes:
    """The XML sent as the body, or as the `file` field of a form."""
    if isinstance(request.data, bytes):
        document = request.data
    elif upload := request.FILES.get("file"):
        document = upload.read(iso19139.MAX_DOCUMENT_BYTES + 1)
    else:
        document = b""
    if not document.strip():
        raise iso19139.IsoImportError(
            "xml_missing", _("Envoyez la fiche ISO 19139 (corps application/xml ou champ « file »).")
        )
    return document


class IsoImportForm(forms.Form):
    """The import page: a file, the organisation of a new record, or the record to update."""

    file = forms.FileField(label=_lazy("Fiche ISO 19139 (fichier XML)"))
    organisation = forms.ModelChoiceField(
        label=_lazy("Organisation de la nouvelle fiche"), queryset=Organisation.objects.none(), required=False
    )
    dataset = forms.ModelChoiceField(
        label=_lazy("Fiche à mettre à jour"),
        queryset=Dataset.objects.none(),
        required=False,
        empty_label=_lazy("— aucune : créer une nouvelle fiche —"),
        help_text=_lazy(
            "Si la fiche importée porte l'identifiant d'une de vos fiches, c'est elle qui est mise à jour."
        ),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = rights.producer_organisations(user)
        self.fields["dataset"].queryset = rights.visible(user, Dataset.objects.all(), rights.Action.EDIT).order_by(
            "title"
        )
        self.fields["file"].widget.attrs.update(accept=".xml,application/xml,text/xml", **{"class": "form-control"})
        for name in ("organisation", "dataset"):
            self.fields[name].widget.attrs["class"] = "form-select"
        if self.fields["organisation"].queryset.count() == 1:
            self.fields["organisation"].initial = self.fields["organisation"].queryset.first()
