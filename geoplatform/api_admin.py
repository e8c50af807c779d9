"""The administration API: organisations (and their members), groups, territories. Platform administrators only;
every change is written to the audit log with the same action names as the administration pages."""

import json

from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon
from django.db import transaction
from django.db.models import Model, ProtectedError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from . import administration, audit, rights
from .api import error_response
from .models import Membership, Organisation, Territory, User, UserGroup
from .territories import TerritoryError, geometry_from_insee


class IsPlatformAdmin(permissions.BasePermission):
    """Anonymous callers get a 401, signed-in people who are not platform administrators a 403."""

    message = gettext_lazy("Réservé aux administrateurs de la plateforme.")

    def has_permission(self, request: Request, view) -> bool:
        return rights.may_administer_platform(request.user)


class MemberSerializer(serializers.Serializer):
    username = serializers.SlugRelatedField(slug_field="username", source="user", queryset=User.objects.all())
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)


class OrganisationSerializer(serializers.ModelSerializer):
    members = MemberSerializer(source="memberships", many=True, read_only=True)
    territory = serializers.PrimaryKeyRelatedField(queryset=Territory.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "website",
            "contact_name",
            "contact_email",
            "is_partner",
            "territory",
            "members",
        ]


class GroupSerializer(serializers.ModelSerializer):
    members = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), many=True, required=False
    )
    territory = serializers.PrimaryKeyRelatedField(queryset=Territory.objects.all(), required=False, allow_null=True)

    class Meta:
        model = UserGroup
        fields = ["id", "name", "slug", "description", "territory", "members"]


@extend_schema_field(OpenApiTypes.OBJECT)
class GeoJSONGeometryField(serializers.Field):
    """A (multi)polygon as a GeoJSON geometry in WGS84 (longitude, latitude)."""

    default_error_messages = {
        "invalid": gettext_lazy("Géométrie GeoJSON invalide."),
        "not_polygon": gettext_lazy("La géométrie doit être un polygone ou un multipolygone."),
    }

    def to_representation(self, value: GEOSGeometry) -> dict:
        return json.loads(value.geojson)

    def to_internal_value(self, data: object) -> MultiPolygon:
        try:
            geometry = GEOSGeometry(json.dumps(data) if isinstance(data, dict) else str(data))
        except (GEOSException, ValueError, TypeError):
            self.fail("invalid")
        geometry.srid = 4326
        if geometry.geom_type == "Polygon":
            geometry = MultiPolygon(geometry, srid=4326)
        if geometry.geom_type != "MultiPolygon":
            self.fail("not_polygon")
        if not geometry.valid:
            self.fail("invalid")
        return geometry


class TerritorySerializer(serializers.ModelSerializer):
    insee_codes = serializers.ListField(child=serializers.CharField(max_length=10), required=False)
    geometry = GeoJSONGeometryField(required=False, help_text="GeoJSON en WGS84 ; construite à partir des communes.")

    class Meta:
        model = Territory
        fields = ["id", "name", "insee_codes", "geometry"]

    def validate(self, data: dict) -> dict:
        codes = sorted({code.strip() for code in data.get("insee_codes") or [] if code.strip()})
        if "insee_codes" in data:
            data["insee_codes"] = codes
        if codes:
            try:
                data["geometry"] = geometry_from_insee(codes)
            except TerritoryError as exc:
                raise serializers.ValidationError({"insee_codes": [str(exc)]}) from exc
        elif "geometry" in data:
            data["insee_codes"] = []
        elif self.instance is None or "insee_codes" in data:
            raise serializers.ValidationError(
                {"insee_codes": [_("Indiquez des codes INSEE de communes ou une géométrie.")]}
            )
        return data


def _territory_snapshot(territory: Territory) -> dict | None:
    return audit.snapshot(territory, fields=["name", "insee_codes"])


class AuditedModelViewSet(viewsets.ModelViewSet):
    """CRUD where each creation, change and removal is recorded as `<audit_name>.create|update|delete`."""

    permission_classes = [IsPlatformAdmin]
    audit_name = ""
    in_use_message = ""

    def snapshot(self, obj: Model) -> dict | None:
        return administration.snapshot(obj)

    @transaction.atomic
    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        obj = serializer.save()
        audit.record(self.request, f"{self.audit_name}.create", obj, after=self.snapshot(obj))

    @transaction.atomic
    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        before = self.snapshot(type(serializer.instance).objects.get(pk=serializer.instance.pk))
        obj = serializer.save()
        audit.record(self.request, f"{self.audit_name}.update", obj, before=before, after=self.snapshot(obj))

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        obj = self.get_object()
        before = self.snapshot(obj)
        try:
            with transaction.atomic():
                audit.record(request, f"{self.audit_name}.delete", obj, before=before)
                obj.delete()
        except ProtectedError:
            return error_response("in_use", str(self.in_use_message), status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrganisationViewSet(AuditedModelViewSet):
    """Organisations; members are added and removed with the `members` actions."""

    queryset = Organisation.objects.prefetch_related("memberships__user").order_by("name")
    serializer_class = OrganisationSerializer
    audit_name = "organisation"
    in_use_message = gettext_lazy("Cette organisation a des jeux de données : elle ne peut pas être supprimée.")

    @extend_schema(request=MemberSerializer, responses={201: OrganisationSerializer, 200: OrganisationSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request: Request, pk: str) -> Response:
        """Add a member (or change the role of one already there)."""
        organisation = self.get_object()
        form = MemberSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user, role = form.validated_data["user"], form.validated_data["role"]
        membership = Membership.objects.filter(organisation=organisation, user=user).first()
        if membership is None:
            administration.add_member(request, organisation, user, role)
            http_status = status.HTTP_201_CREATED
        else:
            if membership.role != role:
                administration.change_role(request, membership, role)
            http_status = status.HTTP_200_OK
        return Response(self.get_serializer(self.get_object()).data, status=http_status)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<username>[^/]+)", url_name="member")
    def member(self, request: Request, pk: str, username: str) -> Response:
        """Remove a member."""
        organisation = self.get_object()
        membership = get_object_or_404(Membership, organisation=organisation, user__username=username)
        administration.remove_member(request, membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupViewSet(AuditedModelViewSet):
    """Groups of people across organisations, members given by username."""

    queryset = UserGroup.objects.prefetch_related("members").order_by("name")
    serializer_class = GroupSerializer
    audit_name = "group"


class TerritoryViewSet(AuditedModelViewSet):
    """Territories, from the INSEE codes of communes of the reference layer or from a GeoJSON geometry."""

    queryset = Territory.objects.order_by("name")
    serializer_class = TerritorySerializer
    audit_name = "territory"
    in_use_message = gettext_lazy(
        "Ce territoire restreint des droits sur des jeux de données : il ne peut pas être supprimé."
    )

    def snapshot(self, obj: Model) -> dict | None:
        return _territory_snapshot(obj)
