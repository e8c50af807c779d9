import shutil
from dataclasses import asdict

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.utils.urls import remove_query_param, replace_query_param

from geoplatform import audit, rights
from geoplatform.api import error_response
from geoplatform.models import Domain, Organisation, User, UserGroup
from importer.models import Upload
from importer.services import pipeline, uploads
from importer.services.errors import ImportError_
from wxs.links import service_links

from . import api_records, iso19139, iso19139_http, search, sharing
from .models import Dataset, Grant


class DatasetSerializer(api_records.RecordSerializerMixin, serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    domains = serializers.SlugRelatedField(slug_field="slug", many=True, queryset=Domain.objects.all(), required=False)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Dataset
        fields = [
            "id",
            "title",
            "abstract",
            "domains",
            "organisation",
            "public",
            "kind",
            "version",
            "feature_count",
            "geometry_type",
            "srid",
            "bbox",
            "bbox_wgs84",
            "attributes",
            "published_at",
            "updated_at",
            "links",
            *api_records.RECORD_FIELDS,
        ]
        read_only_fields = [f for f in fields if f not in {"title", "abstract", "domains", *api_records.WRITABLE}]
        list_serializer_class = api_records.RecordListSerializer

    def get_links(self, dataset: Dataset) -> dict[str, str]:
        request = self.context.get("request")
        page = request.build_absolute_uri(dataset.get_absolute_url()) if request else dataset.get_absolute_url()
        absolute = request.build_absolute_uri if request else str
        return {
            "self": reverse("api:dataset-detail", args=[dataset.pk], request=request),
            "page": page,
            **{service.key: service.url for service in service_links(dataset, absolute)},
            "dcat": reverse("catalogue:dcat_dataset", kwargs={"pk": dataset.pk, "fmt": "ttl"}, request=request),
            "iso19139": reverse("api:dataset-iso19139", kwargs={"pk": dataset.pk}, request=request, format="xml"),
        }


class DatasetUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(required=False, allow_blank=True, max_length=255)
    layer = serializers.CharField(required=False, allow_blank=True, max_length=255)
    srid = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False, allow_null=True
    )


class GrantTerritorySerializer(serializers.Serializer):
    """An existing territory (`id`), or communes by INSEE code (`insee_codes`); `null`: everywhere."""

    id = serializers.IntegerField(required=False)
    name = serializers.CharField(read_only=True)
    insee_codes = serializers.ListField(child=serializers.CharField(max_length=10), required=False)


class GrantSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    action = serializers.ChoiceField(choices=Grant.Action.choices)
    grantee = serializers.ChoiceField(choices=Grant.Grantee.choices)
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    group = serializers.SlugRelatedField(
        slug_field="slug", queryset=UserGroup.objects.all(), required=False, allow_null=True
    )
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )
    territory = GrantTerritorySerializer(required=False, allow_null=True)


class SharingSerializer(serializers.Serializer):
    preset = serializers.ChoiceField(choices=sharing.PRESETS)
    public = serializers.BooleanField(required=False, help_text="Pris en compte seulement pour « custom ».")
    territory_restricted = serializers.BooleanField(required=False)
    grants = GrantSerializer(many=True, required=False)


def _grant_spec(data: dict) -> sharing.GrantSpec:
    territory = data.get("territory") or {}
    return sharing.make_spec(
        data["action"],
        data["grantee"],
        organisation=data.get("organisation"),
        group=data.get("group"),
        user=data.get("user"),
        territory=sharing.territory_for(territory.get("id"), territory.get("insee_codes")),
    )


SEARCH_PARAMETERS = [
    OpenApiParameter("q", str, description="Texte recherché (français, accents et pluriels ignorés)."),
    *(
        OpenApiParameter(name, str, many=True, explode=True, description=f"Facette « {label} » (valeurs de `facets`).")
        for name, (_prefix, label) in search.FACETS.items()
    ),
    OpenApiParameter("bbox", str, description="Emprise WGS84 « ouest,sud,est,nord » que la fiche doit toucher."),
    OpenApiParameter("commune", str, description="Commune (code INSEE ou nom) dont l'emprise sert de filtre."),
    OpenApiParameter("sort", str, enum=list(search.SORTS), description="Tri ; « relevance » par défaut avec `q`."),
]
FacetValues = inline_serializer(
    "FacetValue",
    {
        "value": serializers.CharField(),
        "label": serializers.CharField(),
        "count": serializers.IntegerField(),
        "selected": serializers.BooleanField(),
    },
    many=True,
)
Facets = inline_serializer(
    "Facet",
    {"name": serializers.CharField(), "label": serializers.CharField(), "values": FacetValues},
    many=True,
)
DatasetSearchPage = inline_serializer(
    "DatasetSearchPage",
    {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": DatasetSerializer(many=True),
        "facets": Facets,
    },
)

ImportAccepted = inline_serializer("ImportAccepted", {"id": serializers.IntegerField(), "job": serializers.URLField()})


class DatasetViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Datasets the caller may see; producers create them by uploading a file."""

    serializer_class = DatasetSerializer

    def get_queryset(self):
        action_ = rights.Action.EDIT if self.action in {"update", "partial_update"} else rights.Action.VIEW_METADATA
        return rights.visible(self.request.user, Dataset.objects.select_related("organisation"), action_)

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=DatasetSearchPage)
    def list(self, request: Request) -> Response:
        """Search the catalogue with the search page's engine; results, `count` and `facets` hold only what the
        caller may see. Facet parameters repeat or take comma-separated values (OR within a facet, AND across)."""
        criteria = search.criteria_from(request.query_params, request.user)
        if criteria.problems:
            return error_response(criteria.problems[0].code, criteria.problems[0].message)
        size = self.paginator.page_size
        result = search.search(request.user, criteria, page_size=size, leave_out=("iso_xml", "search_vector"))
        page = result.page
        if criteria.page > page.num_pages:
            raise NotFound(_("Page invalide."))
        url = request.build_absolute_uri()
        previous = (
            remove_query_param(url, "page") if page.number == 2 else replace_query_param(url, "page", page.number - 1)
        )
        return Response(
            {
                "count": result.total,
                "next": replace_query_param(url, "page", page.number + 1) if page.has_next else None,
                "previous": previous if page.has_previous else None,
                "results": self.get_serializer(page.items, many=True).data,
                "facets": [asdict(facet) for facet in result.facets],
            }
        )

    def update(self, request: Request, *args, **kwargs) -> Response:
        """Write the record's description; each save is a revision (source "api") and an audit event."""
        try:
            return super().update(request, *args, **kwargs)
        except serializers.ValidationError as exc:
            return api_records.invalid_record(exc)

    def get_object(self) -> Dataset:
        action_ = (
            rights.Action.EDIT
            if self.action in {"update", "partial_update", "data"}
            else (
                rights.Action.ADMINISTER
                if self.action in {"publish", "permissions", "grants", "grant_detail"}
                else rights.Action.VIEW_METADATA
            )
        )
        return rights.get_or_404(self.request.user, Dataset.objects.all(), action_, pk=self.kwargs["pk"])

    def _import(self, request: Request, dataset: Dataset | None) -> Response:
        form = DatasetUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        organisation = data.get("organisation")
        producer_orgs = rights.producer_organisations(request.user)
        if dataset is None:
            if organisation is None and producer_orgs.count() == 1:
                organisation = producer_orgs.first()
            if organisation is None or not producer_orgs.filter(pk=organisation.pk).exists():
                return error_response(
                    "organisation_required",
                    _("Indiquez une organisation dont vous êtes producteur (champ organisation)."),
                )
        upload_file = data["file"]
        try:
            upload = uploads.create_upload(request.user, upload_file.name, upload_file.size)
            _store(upload_file, upload)
            job = pipeline.create_import(
                user=request.user,
                path=upload.path,
                filename=upload_file.name,
                organisation=organisation,
                dataset=dataset,
                title=data.get("title") or "",
                layer=data.get("layer") or "",
                srid=data.get("srid"),
            )
        except ImportError_ as exc:
            http_status = 413 if exc.code == "file_too_large" else 400
            extra = {"layers": exc.details["layers"]} if "layers" in exc.details else {}
            return error_response(exc.code, exc.message, http_status, **extra)
        return Response(
            {"id": job.dataset_id, "job": reverse("api:job", args=[job.pk], request=request)},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=DatasetSerializer, responses={201: DatasetSerializer})
    @action(detail=False, methods=["post"], url_path="records", permission_classes=[IsAuthenticated])
    def records(self, request: Request) -> Response:
        """A metadata-only record: a series, service, map, table, or a dataset whose data come later."""
        return api_records.create(request, DatasetSerializer, self.get_serializer_context())

    @extend_schema(request={"multipart/form-data": DatasetUploadSerializer}, responses={202: ImportAccepted})
    def create(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            return error_response("not_authenticated", _("Authentification requise."), 401)
        if not rights.may_produce(request.user):
            return error_response("permission_denied", _("Seuls les producteurs peuvent importer des données."), 403)
        return self._import(request, None)

    @extend_schema(request={"multipart/form-data": DatasetUploadSerializer}, responses={202: ImportAccepted})
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        permission_classes=[IsAuthenticated],
    )
    def data(self, request: Request, pk: str) -> Response:
        """Upload a new version of the data; the current one stays served until it is complete."""
        return self._import(request, self.get_object())

    @extend_schema(request=None, responses=DatasetSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def publish(self, request: Request, pk: str) -> Response:
        dataset = sharing.publish(request, self.get_object())
        return Response(self.get_serializer(dataset).data)

    @extend_schema(methods=["GET"], request=None, responses=SharingSerializer)
    @extend_schema(methods=["PUT"], request=SharingSerializer, responses=SharingSerializer)
    @action(detail=True, methods=["get", "put"], permission_classes=[IsAuthenticated])
    def permissions(self, request: Request, pk: str) -> Response:
        """Who the dataset is shared with; `PUT` replaces the whole sharing (preset, grants, territory flag)."""
        dataset = self.get_object()
        if request.method == "PUT":
            form = SharingSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            data = form.validated_data
            try:
                sharing.replace_sharing(
                    request,
                    dataset,
                    data["preset"],
                    [_grant_spec(grant) for grant in data.get("grants", [])],
                    data.get("territory_restricted", False),
                    public=data.get("public", False),
                )
            except sharing.SharingError as exc:
                return error_response(exc.code, exc.message)
        return Response(sharing.state(dataset))

    @extend_schema(request=GrantSerializer, responses={201: GrantSerializer})
    @action(detail=True, methods=["post"], url_path="permissions/grants", permission_classes=[IsAuthenticated])
    def grants(self, request: Request, pk: str) -> Response:
        """Give one more grant (custom sharing)."""
        dataset = self.get_object()
        form = GrantSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            grant = sharing.add_grant(request, dataset, _grant_spec(form.validated_data))
        except sharing.SharingError as exc:
            return error_response(exc.code, exc.message)
        return Response(sharing.grant_document(grant), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"permissions/grants/(?P<grant_id>[0-9]+)",
        permission_classes=[IsAuthenticated],
    )
    def grant_detail(self, request: Request, pk: str, grant_id: str) -> Response:
        """Take one grant back."""
        dataset = self.get_object()
        try:
            sharing.remove_grant(request, dataset, int(grant_id))
        except sharing.SharingError as exc:
            return error_response(exc.code, exc.message, status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={(200, "application/xml"): bytes},
        description="La fiche ISO 19139, à l'adresse …/iso19139.xml.",
    )
    @extend_schema(methods=["PUT"], request={"application/xml": bytes}, responses=DatasetSerializer)
    @action(
        detail=True,
        methods=["get", "put"],
        url_path="iso19139",
        parser_classes=[iso19139_http.XmlBodyParser, iso19139_http.TextXmlParser, MultiPartParser],
        content_negotiation_class=iso19139_http.JsonAnswers,
    )
    def iso19139(self, request: Request, pk: str, format: str | None = None) -> Response:
        """The record as ISO 19139 XML (`GET …/iso19139.xml`); `PUT` updates it from an ISO 19139 document."""
        # …/iso19139.xml comes through the router's format suffix; …/iso19139/ is how OpenAPI lists it.
        if format not in {None, "xml"}:
            return error_response("not_found", _("Ressource introuvable."), status.HTTP_404_NOT_FOUND)
        if request.method == "GET":
            dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.VIEW_METADATA, pk=pk)
            return iso19139_http.xml_response(dataset)
        dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.EDIT, pk=pk)
        try:
            dataset = iso19139.import_record(
                iso19139_http.request_document(request), user=request.user, dataset=dataset
            )
        except iso19139.IsoImportError as exc:
            return error_response(exc.code, exc.message, iso19139_http.ERROR_STATUS.get(exc.code, 400))
        audit.record(request, "dataset.iso_import", dataset)
        return Response(self.get_serializer(dataset).data)

    @extend_schema(request={"application/xml": bytes}, responses={201: DatasetSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="iso19139",
        parser_classes=[iso19139_http.XmlBodyParser, iso19139_http.TextXmlParser, MultiPartParser],
        content_negotiation_class=iso19139_http.JsonAnswers,
        permission_classes=[IsAuthenticated],
    )
    def iso19139_import(self, request: Request, format: str | None = None) -> Response:
        """A new record from an ISO 19139 document, for `?organisation=<slug>` (or the producer's only one)."""
        if not rights.may_produce(request.user):
            return error_response("permission_denied", _("Seuls les producteurs peuvent créer des fiches."), 403)
        organisation = rights.producing_organisation(request.user, request.query_params.get("organisation"))
        if organisation is None:
            return error_response(
                "organisation_required",
                _("Indiquez une organisation dont vous êtes producteur (paramètre organisation)."),
            )
        try:
            dataset = iso19139.import_record(
                iso19139_http.request_document(request), user=request.user, organisation=organisation
            )
        except iso19139.IsoImportError as exc:
            return error_response(exc.code, exc.message, iso19139_http.ERROR_STATUS.get(exc.code, 400))
        audit.record(request, "dataset.iso_import", dataset)
        return Response(self.get_serializer(dataset).data, status=status.HTTP_201_CREATED)


def _store(upload_file, upload: Upload) -> None:
    """Move the received file into the upload folder without reading it into memory."""
    temporary = getattr(upload_file, "temporary_file_path", None)
    if temporary:
        shutil.move(temporary(), upload.path)
    else:
        with upload.path.open("wb") as fh:
            for chunk in upload_file.chunks():
                fh.write(chunk)
    upload.received = upload.size
    upload.save(update_fields=["received"])
