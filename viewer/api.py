"""`/api/v1/maps/`: the maps the caller may see, and maps created or saved as OWS Context GeoJSON documents."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from geoplatform import rights
from geoplatform.api import error_response

from . import services
from .models import Map
from .owscontext import ContextError


class GeoJSONParser(JSONParser):
    media_type = "application/geo+json"


class MapSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    title = serializers.CharField(source="record.title", read_only=True)
    abstract = serializers.CharField(source="record.abstract", read_only=True)
    organisation = serializers.SlugRelatedField(source="record.organisation", slug_field="slug", read_only=True)
    public = serializers.BooleanField(source="record.public", read_only=True)
    bbox = serializers.JSONField(source="record.bbox_wgs84", read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Map
        fields = ["id", "title", "abstract", "organisation", "public", "version", "bbox", "updated_at", "links"]

    def get_links(self, map_: Map) -> dict[str, str]:
        request = self.context.get("request")
        return {
            "self": reverse("api:map-detail", args=[map_.pk], request=request),
            "viewer": reverse("viewer:map", args=[map_.pk], request=request),
            "context": reverse("viewer:context", args=[map_.pk], request=request),
            "record": reverse("catalogue:dataset", args=[map_.pk], request=request),
        }


OWS_CONTEXT = inline_serializer("OWSContext", {"type": serializers.CharField(), "features": serializers.ListField()})
SAVE_PARAMETERS = [
    OpenApiParameter("organisation", str, description="slug of the producing organisation (when several)"),
    OpenApiParameter("public", bool, description="open the map to everyone"),
]


class MapViewSet(viewsets.ViewSet):
    """Maps (OWS Context GeoJSON, OGC 14-055r2). A map is shown with only the layers the caller may view."""

    parser_classes = [JSONParser, GeoJSONParser]

    @extend_schema(responses=MapSerializer(many=True))
    def list(self, request: Request) -> Response:
        maps = services.maps_for(request.user)
        return Response(MapSerializer(maps, many=True, context={"request": request}).data)

    @extend_schema(responses=MapSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        map_ = services.get_map_or_404(request.user, int(pk))
        return Response(MapSerializer(map_, context={"request": request}).data)

    @extend_schema(request=OWS_CONTEXT, parameters=SAVE_PARAMETERS, responses={201: MapSerializer})
    def create(self, request: Request) -> Response:
        """Create a map from an OWS Context GeoJSON body."""
        if not request.user.is_authenticated:
            return error_response("not_authenticated", _("Authentification requise."), 401)
        if not rights.may_produce(request.user):
            return error_response("permission_denied", _("Seuls les producteurs peuvent créer des cartes."), 403)
        organisation = rights.producing_organisation(request.user, request.query_params.get("organisation"))
        try:
            map_ = services.create_map(
                request.user, request.data, organisation, public=_flag(request, "public"), request=request._request
            )
        except ContextError as exc:
            return error_response(exc.code, exc.message)
        body = MapSerializer(map_, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["links"]["self"]})

    @extend_schema(request=OWS_CONTEXT, parameters=SAVE_PARAMETERS[1:], responses=MapSerializer)
    def update(self, request: Request, pk: str) -> Response:
        """Save a new version of the map from an OWS Context GeoJSON body."""
        map_ = services.get_map_or_404(request.user, int(pk), rights.Action.EDIT)
        try:
            map_ = services.save_map(
                request.user, map_, request.data, public=_flag(request, "public"), request=request._request
            )
        except ContextError as exc:
            return error_response(exc.code, exc.message)
        return Response(MapSerializer(map_, context={"request": request}).data)


def _flag(request: Request, name: str) -> bool:
    return str(request.query_params.get(name, "")).lower() in {"1", "true", "yes", "on"}
