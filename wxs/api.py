"""`/api/v1/datasets/<id>/style/`: the dataset's default style as JSON or SLD; PUT replaces it (JSON or SLD body)."""

import json

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.models import Dataset
from geoplatform import rights
from geoplatform.api import error_response
from wxs import sld, styles


class SldParser(BaseParser):
    """An SLD body, handed over as bytes: only wxs.sld parses it, with its safe settings."""

    media_type = "application/vnd.ogc.sld+xml"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read(sld.MAX_SLD_BYTES + 1) if stream is not None else b""


class XmlParser(SldParser):
    media_type = "application/xml"


class TextXmlParser(SldParser):
    media_type = "text/xml"


class SldRenderer(BaseRenderer):
    """`?format=sld` (DRF reads `format` as the renderer's name); errors still go out as JSON text."""

    media_type = "application/vnd.ogc.sld+xml"
    format = "sld"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()


def style_document(dataset: Dataset) -> dict:
    style = styles.default_style(dataset)
    if style is None:
        definition = styles.validate(dataset, "single", {})
        return {"name": _("Style par défaut"), "kind": "single", "definition": definition, "saved": False}
    return {"name": style.name, "kind": style.kind, "definition": style.definition, "saved": True}


class StyleView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser, SldParser, XmlParser, TextXmlParser]
    renderer_classes = [JSONRenderer, SldRenderer]

    def _dataset(self, request: Request, pk: int, action: rights.Action) -> Dataset:
        dataset = rights.get_or_404(request.user, Dataset.objects.all(), action, pk=pk)
        if dataset.kind != Dataset.Kind.VECTOR or not dataset.has_data:
            raise Http404
        return dataset

    def get(self, request: Request, pk: int):
        dataset = self._dataset(request, pk, rights.Action.VIEW_DATA)
        if request.query_params.get("format") == "sld":
            try:
                document = sld.export_sld(dataset, request.query_params.get("version", "1.0.0"))
            except styles.StyleError as error:
                return error_response(error.code, error.message)
            return HttpResponse(document, content_type="application/vnd.ogc.sld+xml; charset=utf-8")
        return Response(style_document(dataset))

    def put(self, request: Request, pk: int) -> Response:
        dataset = self._dataset(request, pk, rights.Action.EDIT)
        try:
            if isinstance(request.data, bytes):
                name = request.query_params.get("name") or _("Style importé")
                classes = sld.import_sld(dataset, request.data)
                styles.save_style(
                    dataset, name, "sld", {}, sld=request.data.decode("utf-8", "replace"), engine_classes=classes
                )
            else:
                self._save_json(dataset, request.data)
        except styles.StyleError as error:
            return error_response(error.code, error.message)
        return Response(style_document(dataset))

    @staticmethod
    def _save_json(dataset: Dataset, data: object) -> None:
        if not isinstance(data, dict):
            raise styles.StyleError("bad_definition", _("Le corps doit être un objet JSON."))
        kind = data.get("kind", "single")
        definition = data.get("definition") or {}
        if not isinstance(definition, dict):
            raise styles.StyleError("bad_definition", _("La définition du style doit être un objet JSON."))
        if kind in ("categorised", "graduated") and not definition.get("classes"):
            # Classes left out are computed from the data.
            count = int(styles._number(definition.get("count") or 5, _("Nombre de classes"), 1, styles.MAX_CLASSES))
            request = styles.ClassRequest(
                kind,
                definition.get("attribute"),
                definition.get("method") or "equal",
                count,
                definition.get("ramp") or "",
            )
            definition = {**definition, "classes": styles.compute_classes(dataset, request)}
        name = str(data.get("name") or _("Style par défaut"))[:100]
        styles.save_style(dataset, name, kind, definition)
