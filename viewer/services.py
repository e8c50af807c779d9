"""Maps: create, save (each save a new version), list and read them with the caller's rights.

A map is a catalogue record of type `map` (title, description, organisation, sharing, CSW) plus its OWS Context.
Who may see or edit a map is what `rights` answers for the record; each layer of it is then shown only to those
who may view that layer's data, so a public map never reveals a private layer, not even its title.

Public functions: `maps_for`, `get_map_or_404`, `context_for`, `create_map`, `save_map`, `import_context`,
`versions`.
"""

import copy

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogue import editor, records, sharing
from catalogue.models import Dataset
from geoplatform import rights
from geoplatform.models import Organisation, User

from . import owscontext
from .models import Map, MapVersion
from .owscontext import ContextError


def maps_for(user) -> QuerySet[Map]:
    """The maps `user` may see, most recently updated first."""
    records_ = rights.visible(user, Dataset.objects.filter(resource_type=Dataset.ResourceType.MAP))
    return Map.objects.filter(record__in=records_).select_related("record", "record__organisation")


def get_map_or_404(user, pk: int, action: rights.Action = rights.Action.VIEW_METADATA) -> Map:
    """The map `pk` if `user` may do `action` on it; 404 otherwise, exactly like a missing map."""
    record = rights.get_or_404(user, Dataset.objects.filter(resource_type=Dataset.ResourceType.MAP), action, pk=pk)
    try:
        return Map.objects.select_related("record", "record__organisation").get(pk=record.pk)
    except Map.DoesNotExist:
        raise Http404 from None


def context_for(user, map_: Map, version: int | None = None) -> dict:
    """The map's context as `user` may see it: layers of datasets they may not view are left out."""
    stored = map_.context if version is None else MapVersion.objects.get(map=map_, version=version).context
    context = copy.deepcopy(stored)
    ids = owscontext.resource_datasets(context)
    viewable = {
        ds.pk
        for ds in Dataset.objects.filter(pk__in=ids).select_related("organisation")
        if rights.can(user, rights.Action.VIEW_DATA, ds)
    }
    context["features"] = [
        f for f in context["features"] if f["properties"].get("gp:dataset", None) in viewable | {None}
    ]
    record = map_.record
    properties = context["properties"]
    properties.update(
        title=record.title, subtitle=record.abstract, updated=map_.updated_at.isoformat(timespec="seconds")
    )
    properties["publisher"] = record.organisation.name
    if "bbox" not in context and record.bbox_wgs84:
        context["bbox"] = record.bbox_wgs84  # no initial extent chosen: the extent of its layers
    context["id"] = owscontext.absolute(map_.get_absolute_url() + "contexte.json")
    return context


def import_context(raw: bytes | str) -> dict:
    """A context file as uploaded: validated, or ContextError with a code and a French message."""
    return owscontext.parse(raw)


def create_map(
    user: User,
    context: dict,
    organisation: Organisation | None = None,
    *,
    public: bool = False,
    request: HttpRequest | None = None,
) -> Map:
    """A new map (and its record) for one of the organisations `user` produces for."""
    context = owscontext.validate(context)
    organisation = organisation or rights.producing_organisation(user)
    if organisation is None or not rights.producer_organisations(user).filter(pk=organisation.pk).exists():
        raise ContextError("organisation_required", _("Indiquez une organisation dont vous êtes producteur."))
    with transaction.atomic(), records.batch():
        record = editor.create_record(
            request, user, organisation, context["properties"]["title"], Dataset.ResourceType.MAP, source="viewer"
        )
        map_ = Map.objects.create(record=record, context=context, version=1)
        MapVersion.objects.create(map=map_, version=1, context=context, author=user)
        _describe(record, context)
        if public:
            sharing.publish(request, record)
    return map_


def save_map(
    user: User, map_: Map, context: dict, *, public: bool | None = None, request: HttpRequest | None = None
) -> Map:
    """A new version of `map_` (the caller must be allowed to edit it); the record follows its title and extent."""
    if not rights.can(user, rights.Action.EDIT, map_.record):
        raise Http404
    context = owscontext.validate(context)
    with transaction.atomic(), records.batch():
        map_ = Map.objects.select_for_update().select_related("record").get(pk=map_.pk)
        map_.version += 1
        map_.context = context
        map_.save(update_fields=["version", "context", "updated_at"])
        MapVersion.objects.create(map=map_, version=map_.version, context=context, author=user)
        _describe(map_.record, context)
        if public and not map_.record.public and rights.can(user, rights.Action.ADMINISTER, map_.record):
            sharing.publish(request, map_.record)
    return map_


def versions(map_: Map) -> QuerySet[MapVersion]:
    return map_.versions.select_related("author")


def _describe(record: Dataset, context: dict) -> None:
    """Title, description and extent of the record come from the context (what search and CSW show)."""
    properties = context["properties"]
    record.title = properties["title"]
    record.abstract = properties.get("subtitle", "")
    record.bbox_wgs84 = context.get("bbox") or _union_bbox(context)
    record.data_revised = timezone.localdate()
    record.save(update_fields=["title", "abstract", "bbox_wgs84", "data_revised", "updated_at"])


def _union_bbox(context: dict) -> list[float] | None:
    boxes = [f["bbox"] for f in context["features"] if f.get("bbox")]
    if not boxes:
        return None
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]
