"""The record's description in the REST API: ISO 19115 / INSPIRE fields, keywords, contacts and distributions as JSON.

`RecordSerializerMixin` gives DatasetSerializer (catalogue/api.py) these fields; every write goes through
`editor.save_record`, so API changes are revisions (source "api") and audit events like the editor's.
"""

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.db.models.manager import BaseManager
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from geoplatform import rights
from geoplatform.api import error_response

from . import editor, records
from .models import Dataset, Keyword, ResponsibleParty

# Record fields written as they are (besides title, abstract, domains, keywords, contacts and distributions).
WRITABLE_FIELDS = [name for name in editor.TRACKED_FIELDS if name not in {"title", "abstract"}]
RECORD_FIELDS = [
    "uuid",
    *WRITABLE_FIELDS,
    "data_format",
    "keywords",
    "contacts",
    "distributions",
    "completeness",
    "missing",
]
WRITABLE = {*WRITABLE_FIELDS, "keywords", "contacts", "distributions"}


class KeywordEntrySerializer(serializers.Serializer):
    """A keyword: given by `code` in its thesaurus (free keywords by `label` or `code`)."""

    thesaurus = serializers.ChoiceField(choices=Keyword.Thesaurus.choices)
    code = serializers.CharField(max_length=100, required=False, allow_blank=True)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    uri = serializers.CharField(read_only=True)

    def to_representation(self, keyword: Keyword) -> dict[str, str]:
        return editor.keyword_document(keyword)

    def validate(self, data: dict) -> Keyword:
        thesaurus, code, label = data["thesaurus"], data.get("code", "").strip(), data.get("label", "").strip()
        if thesaurus == Keyword.Thesaurus.FREE:
            if not (label or code):
                raise serializers.ValidationError(
                    gettext_lazy("Un mot-clé libre a un libellé (label)."), code="keyword_label_required"
                )
            return editor.free_keyword(label or code)
        keyword = Keyword.objects.filter(thesaurus=thesaurus, code=code).first()
        if keyword is None:
            raise serializers.ValidationError(
                _("« %(code)s » n'est pas un code du thésaurus %(thesaurus)s.")
                % {"code": code, "thesaurus": Keyword.Thesaurus(thesaurus).label},
                code="unknown_keyword",
            )
        return keyword


class ContactEntrySerializer(serializers.Serializer):
    """A responsible party: an existing contact (`id`) or one described (it is reused when it already exists)."""

    id = serializers.IntegerField(required=False, help_text="Un contact existant de vos organisations.")
    role = serializers.ChoiceField(
        choices=ResponsibleParty.Role.choices, default=ResponsibleParty.Role.POINT_OF_CONTACT
    )
    for_metadata = serializers.BooleanField(default=False, help_text="Contact de la fiche elle-même.")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    organisation_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    position = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)

    def to_representation(self, party: ResponsibleParty) -> dict[str, object]:
        contact = party.contact
        return {
            "id": contact.pk,
            "role": party.role,
            "for_metadata": party.for_metadata,
            "name": contact.name,
            "organisation_name": contact.organisation_name,
            "position": contact.position,
            "email": contact.email,
            "phone": contact.phone,
        }

    def validate(self, data: dict) -> dict:
        if "id" in data:
            request = self.context.get("request")
            dataset = self.root.instance if isinstance(self.root.instance, Dataset) else None
            contact = editor.contacts_for(request.user, dataset).filter(pk=data["id"]).first()
            if contact is None:
                raise serializers.ValidationError(
                    {"id": serializers.ErrorDetail(_("Aucun de vos contacts n'a cet identifiant."), "unknown_contact")}
                )
            data["contact"] = contact
        elif not data.get("email"):
            raise serializers.ValidationError(
                {"email": serializers.ErrorDetail(_("Indiquez le courriel du contact."), "contact_email_required")}
            )
        return data


class DistributionSerializer(serializers.Serializer):
    """A distribution or related link given by hand (the platform's own services are in `links`)."""

    url = serializers.URLField(max_length=1000)
    name = serializers.CharField(max_length=255)
    protocol = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)

    def to_representation(self, link) -> dict[str, str]:
        return {"url": link.url, "name": link.name, "protocol": link.protocol, "description": link.description}


class MissingSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()


class RecordListSerializer(serializers.ListSerializer):
    """A page of records with their organisation, domains, keywords, contacts and links fetched once per page."""

    def to_representation(self, data) -> list:
        items = list(data.all() if isinstance(data, BaseManager) else data)
        prefetch_related_objects(items, "organisation", "domains", "keywords", "parties__contact", "extra_links")
        return super().to_representation(items)


class RecordSerializerMixin(serializers.Serializer):
    """The description fields of a record, read and written as JSON (mixed into DatasetSerializer)."""

    keywords = KeywordEntrySerializer(many=True, required=False)
    contacts = ContactEntrySerializer(many=True, required=False, source="parties")
    distributions = DistributionSerializer(many=True, required=False, source="extra_links")
    completeness = serializers.SerializerMethodField()
    missing = serializers.SerializerMethodField()

    def _missing(self, dataset: Dataset) -> list[records.Requirement]:
        cache = self.__dict__.setdefault("_missing_by_pk", {})  # both fields below from one computation
        if dataset.pk not in cache:
            cache[dataset.pk] = records.missing(dataset, list(dataset.keywords.all()))
        return cache[dataset.pk]

    def get_completeness(self, dataset: Dataset) -> int:
        return records.score(self._missing(dataset))

    @extend_schema_field(MissingSerializer(many=True))
    def get_missing(self, dataset: Dataset) -> list[dict[str, str]]:
        return [{"field": r.field, "label": str(r.label)} for r in self._missing(dataset)]

    def validate(self, data: dict) -> dict:
        data = super().validate(data)
        licence = data.get("licence", getattr(self.instance, "licence", None))
        licence_other = data.get("licence_other", getattr(self.instance, "licence_other", ""))
        if licence == Dataset.Licence.OTHER and not (licence_other or "").strip():
            raise serializers.ValidationError(
                {"licence_other": serializers.ErrorDetail(_("Nommez la licence, ou donnez son adresse."), "required")}
            )
        start = data.get("temporal_start", getattr(self.instance, "temporal_start", None))
        end = data.get("temporal_end", getattr(self.instance, "temporal_end", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {
                    "temporal_end": serializers.ErrorDetail(
                        _("La fin de l'étendue temporelle précède son début."), "temporal_extent_reversed"
                    )
                }
            )
        return data

    def update(self, dataset: Dataset, validated_data: dict) -> Dataset:
        fields = {k: v for k, v in validated_data.items() if k in editor.TRACKED_FIELDS}
        changes = editor.RecordChanges(fields=fields, domains=validated_data.get("domains"))
        if "keywords" in validated_data:
            given = validated_data["keywords"]
            changes.keywords = {t: [k for k in given if k.thesaurus == t] for t in {k.thesaurus for k in given}}
            for thesaurus in Keyword.Thesaurus.values:  # an absent thesaurus in a full list empties it
                changes.keywords.setdefault(thesaurus, [])
        if "parties" in validated_data:
            entries = validated_data["parties"]
            # Defaults are not applied to nested entries of a PATCH: say them here.
            role = ResponsibleParty.Role.POINT_OF_CONTACT
            changes.parties = [(_spec(e), e.get("role", role)) for e in entries if not e.get("for_metadata")]
            metadata = [e for e in entries if e.get("for_metadata")]
            changes.metadata_contact = _spec(metadata[0]) if metadata else editor.ContactSpec()
        if "extra_links" in validated_data:
            changes.links = [dict(link) for link in validated_data["extra_links"]]
        request = self.context.get("request")
        try:
            return editor.save_record(request, dataset, changes, "api")
        except editor.EditorError as exc:
            raise serializers.ValidationError(
                {exc.field or "non_field_errors": [serializers.ErrorDetail(exc.message, exc.code)]}
            ) from exc


def _spec(entry: dict) -> editor.ContactSpec:
    return editor.ContactSpec(
        contact=entry.get("contact"),
        name=entry.get("name", ""),
        organisation_name=entry.get("organisation_name", ""),
        email=entry.get("email", ""),
        position=entry.get("position", ""),
        phone=entry.get("phone", ""),
    )


def invalid_record(exc: serializers.ValidationError) -> Response:
    """A refused record: a stable code, a French message, and each field's errors with their own codes."""
    return Response(
        {
            "error": {
                "code": "invalid_record",
                "message": _("La fiche n'est pas valide : voyez les champs signalés."),
                "fields": exc.get_full_details(),
            }
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


def create(request: Request, serializer_class: type, context: dict) -> Response:
    """A metadata-only record for one of the caller's organisations, described by the same JSON as a record."""
    if not request.user.is_authenticated:
        return error_response("not_authenticated", _("Authentification requise."), 401)
    if not rights.may_produce(request.user):
        return error_response("permission_denied", _("Seuls les producteurs peuvent créer des fiches."), 403)
    organisation = rights.producing_organisation(request.user, request.data.get("organisation"))
    if organisation is None:
        return error_response(
            "organisation_required", _("Indiquez une organisation dont vous êtes producteur (champ organisation).")
        )
    serializer = serializer_class(data=request.data, context=context)
    try:
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            data = serializer.validated_data
            dataset = editor.create_record(
                request,
                request.user,
                organisation,
                data["title"],
                data.get("resource_type", Dataset.ResourceType.DATASET),
                source="api",
            )
            dataset = serializer.update(dataset, data)
    except serializers.ValidationError as exc:
        return invalid_record(exc)
    return Response(serializer_class(dataset, context=context).data, status=status.HTTP_201_CREATED)
