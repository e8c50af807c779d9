"""Editing catalogue records: saving with history, metadata-only records, contacts, keywords, attachments, thumbnails.

Pages and the API both go through `tracked()`: whatever they change on a record (fields, keywords, contacts,
links) ends up as one `RecordRevision` with the fields before and after, and one audit event.
"""

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import FieldDoesNotExist
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.text import slugify
from django.utils.translation import gettext as _

from geoplatform import audit, rights
from geoplatform.models import Organisation, User

from . import records
from .models import Attachment, Contact, Dataset, DatasetLink, Keyword, RecordRevision, ResponsibleParty

# Record fields a revision follows (besides keywords, contacts, links and domains).
TRACKED_FIELDS = [
    "title",
    "abstract",
    "resource_type",
    "language",
    "lineage",
    "scale_denominator",
    "resolution_m",
    "temporal_start",
    "temporal_end",
    "data_created",
    "data_revised",
    "update_frequency",
    "licence",
    "licence_other",
    "access_constraint",
    "use_constraints",
    "conformity_specification",
    "conformity_date",
    "conformity_degree",
]

MAX_ATTACHMENT_SIZE = 20 * 1024 * 1024
THUMBNAIL_SIZE = (400, 300)


class EditorError(Exception):
    """A refused edit, with a stable code and a French message for people."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


# --- History ---------------------------------------------------------------------------------------------------


def _plain(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def snapshot(dataset: Dataset) -> dict[str, object]:
    """What a revision compares: the tracked fields, keywords, contacts, links and domains, as JSON values."""
    data: dict[str, object] = {name: _plain(getattr(dataset, name)) for name in TRACKED_FIELDS}
    data["keywords"] = sorted(f"{k.thesaurus}:{k.code}" for k in dataset.keywords.all())
    data["contacts"] = sorted(
        f"{'fiche' if p.for_metadata else p.role}: {p.contact} <{p.contact.email}>"
        for p in dataset.parties.select_related("contact")
    )
    data["links"] = [f"{link.name} <{link.url}>" for link in dataset.extra_links.all()]
    data["domains"] = sorted(dataset.domains.values_list("slug", flat=True))
    return data


def diff(before: dict[str, object], after: dict[str, object]) -> dict[str, list[object]]:
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


@contextmanager
def tracked(request: HttpRequest | None, dataset: Dataset, source: str) -> Iterator[None]:
    """Everything done inside is one transaction, recorded as one revision and one audit event."""
    with transaction.atomic(), records.batch():
        before = snapshot(Dataset.objects.get(pk=dataset.pk))  # a form may already have changed `dataset`
        yield
        dataset.refresh_from_db()
        after = snapshot(dataset)
        changes = diff(before, after)
        if changes:
            user = getattr(request, "user", None)
            RecordRevision.objects.create(
                dataset=dataset,
                author=user if user is not None and user.is_authenticated else None,
                source=source,
                changes=changes,
            )
            audit.record(request, "dataset.update", dataset, before=before, after=after)


def revisions(dataset: Dataset) -> QuerySet[RecordRevision]:
    return dataset.revisions.select_related("author")


# --- Keywords --------------------------------------------------------------------------------------------------


def free_keyword(label: str) -> Keyword:
    """The free keyword with this label, made on first use."""
    label = " ".join(label.split())[:200]
    code = slugify(label)[:100] or label[:100]
    keyword, _created = Keyword.objects.get_or_create(
        thesaurus=Keyword.Thesaurus.FREE, code=code, defaults={"label": label}
    )
    return keyword


def thesaurus_keywords(thesaurus: str, names: Iterable[str]) -> list[Keyword]:
    """Keywords of a thesaurus given by code or label; free keywords are made as needed."""
    names = [n.strip() for n in names if n and n.strip()]
    if thesaurus == Keyword.Thesaurus.FREE:
        return [free_keyword(name) for name in names]
    known = Keyword.objects.filter(thesaurus=thesaurus)
    found = []
    for name in names:
        keyword = known.filter(Q(code=name) | Q(label__iexact=name)).first()
        if keyword is None:
            raise EditorError(
                "unknown_keyword",
                _("« %(name)s » n'est pas un mot-clé du thésaurus %(thesaurus)s.")
                % {"name": name, "thesaurus": Keyword.Thesaurus(thesaurus).label},
                field=thesaurus,
            )
        found.append(keyword)
    return found


def set_keywords(dataset: Dataset, thesaurus: str, keywords: Iterable[Keyword]) -> None:
    """Replace the record's keywords of one thesaurus, leaving the others."""
    wanted = {k.pk for k in keywords}
    current = set(dataset.keywords.filter(thesaurus=thesaurus).values_list("pk", flat=True))
    if current - wanted:
        dataset.keywords.remove(*(current - wanted))
    if wanted - current:
        dataset.keywords.add(*(wanted - current))


def suggestions(user: User, thesaurus: str, query: str = "", limit: int = 20) -> QuerySet[Keyword]:
    """Keywords to propose while typing; free keywords only from records the user may see."""
    keywords = Keyword.objects.filter(thesaurus=thesaurus)
    if thesaurus == Keyword.Thesaurus.FREE:
        keywords = keywords.filter(datasets__in=rights.visible(user, Dataset.objects.all())).distinct()
    if query:
        keywords = keywords.filter(Q(label__icontains=query) | Q(code__icontains=query))
    return keywords.order_by("label")[:limit]


def keyword_document(keyword: Keyword) -> dict[str, str]:
    return {"thesaurus": keyword.thesaurus, "code": keyword.code, "label": keyword.label, "uri": keyword.uri}


# --- Contacts --------------------------------------------------------------------------------------------------


def contacts_for(user: User, dataset: Dataset | None = None) -> QuerySet[Contact]:
    """Contacts a person may pick: those of their organisations, and those already on the record."""
    if rights.may_administer_platform(user):
        return Contact.objects.all()
    q = Q(organisation__memberships__user=user)
    if dataset is not None and dataset.pk:
        q |= Q(organisation=dataset.organisation) | Q(parties__dataset=dataset)
    return Contact.objects.filter(pk__in=Contact.objects.filter(q).values("pk"))


@dataclass
class ContactSpec:
    """A contact chosen (`contact`) or described anew."""

    contact: Contact | None = None
    name: str = ""
    organisation_name: str = ""
    email: str = ""
    position: str = ""
    phone: str = ""

    @property
    def given(self) -> bool:
        return self.contact is not None or bool(self.email.strip())


def resolve_contact(spec: ContactSpec, organisation: Organisation) -> Contact:
    """The chosen contact, or the organisation's existing one with the same person and email, or a new one."""
    if spec.contact is not None:
        return spec.contact
    email = spec.email.strip()
    if not email:
        raise EditorError("contact_email_required", _("Indiquez le courriel du contact."), field="email")
    organisation_name = spec.organisation_name.strip() or organisation.name
    existing = Contact.objects.filter(
        organisation=organisation, email__iexact=email, name=spec.name.strip(), organisation_name=organisation_name
    ).first()
    if existing is not None:
        return existing
    return Contact.objects.create(
        organisation=organisation,
        name=spec.name.strip(),
        organisation_name=organisation_name,
        email=email,
        position=spec.position.strip(),
        phone=spec.phone.strip(),
    )


def organisation_contact(organisation: Organisation) -> Contact | None:
    """The organisation's own contact (from its contact name and email) as a reusable Contact, if it has one."""
    if not organisation.contact_email:
        return None
    return resolve_contact(
        ContactSpec(
            name=organisation.contact_name, organisation_name=organisation.name, email=organisation.contact_email
        ),
        organisation,
    )


def suggested_metadata_contact(dataset: Dataset) -> Contact | None:
    """The contact the editor proposes for the record itself when it has none."""
    if dataset.parties.filter(for_metadata=True).exists():
        return None
    return organisation_contact(dataset.organisation)


def set_metadata_contact(dataset: Dataset, contact: Contact | None) -> None:
    """The one contact responsible for the record itself (ISO contact), replacing the previous one."""
    current = dataset.parties.filter(for_metadata=True)
    if contact is None:
        current.delete()
        return
    if list(current.values_list("contact_id", flat=True)) == [contact.pk]:
        return
    current.delete()
    ResponsibleParty.objects.create(
        dataset=dataset, contact=contact, role=ResponsibleParty.Role.POINT_OF_CONTACT, for_metadata=True
    )


def set_point_of_contact(dataset: Dataset, contact: Contact) -> None:
    """The resource's point of contact (simple mode): the first one is replaced, other roles stay."""
    party = dataset.parties.filter(for_metadata=False, role=ResponsibleParty.Role.POINT_OF_CONTACT).first()
    if party is None:
        ResponsibleParty.objects.create(dataset=dataset, contact=contact, role=ResponsibleParty.Role.POINT_OF_CONTACT)
    elif party.contact_id != contact.pk:
        party.contact = contact
        party.save(update_fields=["contact"])


def point_of_contact(dataset: Dataset) -> Contact | None:
    party = dataset.parties.filter(for_metadata=False, role=ResponsibleParty.Role.POINT_OF_CONTACT).first()
    return party.contact if party else None


def metadata_contact(dataset: Dataset) -> Contact | None:
    party = dataset.parties.filter(for_metadata=True).select_related("contact").first()
    return party.contact if party else None


def set_resource_parties(dataset: Dataset, parties: Iterable[tuple[Contact, str]]) -> None:
    """Replace the resource's responsible parties (contact, role); the record's own contact stays."""
    wanted = list(dict.fromkeys((contact.pk, role) for contact, role in parties))
    current = list(dataset.parties.filter(for_metadata=False).values_list("pk", "contact_id", "role"))
    for pk, contact_id, role in current:
        if (contact_id, role) not in wanted:
            ResponsibleParty.objects.filter(pk=pk).delete()
    kept = {(contact_id, role) for _pk, contact_id, role in current}
    for contact_id, role in wanted:
        if (contact_id, role) not in kept:
            ResponsibleParty.objects.create(dataset=dataset, contact_id=contact_id, role=role)


def set_links(dataset: Dataset, links: Iterable[dict[str, str]]) -> None:
    """Replace the record's extra distributions and related links."""
    wanted = [
        {key: (link.get(key) or "").strip() for key in ("url", "name", "protocol", "description")} for link in links
    ]
    current = [
        {"url": x.url, "name": x.name, "protocol": x.protocol, "description": x.description}
        for x in dataset.extra_links.all()
    ]
    if wanted == current:
        return
    dataset.extra_links.all().delete()
    DatasetLink.objects.bulk_create([DatasetLink(dataset=dataset, **link) for link in wanted])
    records.changed([dataset.pk])  # bulk_create sends no signal; the ISO document (CSW links) lists them


# --- Metadata-only records ---------------------------------------------------------------------------------------


def create_record(
    request: HttpRequest | None,
    user: User,
    organisation: Organisation,
    title: str,
    resource_type: str = Dataset.ResourceType.DATASET,
    source: str = "editor",
) -> Dataset:
    """A record without data (series, service, map, table, or a dataset to come) for one of the user's organisations."""
    if not rights.producer_organisations(user).filter(pk=organisation.pk).exists():
        raise EditorError(
            "organisation_required",
            _("Indiquez une organisation dont vous êtes producteur."),
            field="organisation",
        )
    if not title.strip():
        raise EditorError("title_required", _("Le titre est obligatoire."), field="title")
    with transaction.atomic(), records.batch():
        dataset = Dataset.objects.create(
            title=title.strip(), organisation=organisation, created_by=user, resource_type=resource_type
        )
        contact = organisation_contact(organisation)
        if contact is not None:
            set_metadata_contact(dataset, contact)
        RecordRevision.objects.create(
            dataset=dataset, author=user, source=source, changes={"title": [None, dataset.title]}
        )
        audit.record(request, "dataset.create", dataset, after=snapshot(dataset))
    return dataset


# --- Attachments -------------------------------------------------------------------------------------------------

# Media type of each extension we keep (served with it, as a download).
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".odg": "application/vnd.oasis.opendocument.graphics",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".json": "application/json",
}
# The extensions each kind of content (recognised from its first bytes) may carry.
DOCUMENT_KINDS: dict[str, set[str]] = {
    "pdf": {".pdf"},
    "odf": {".odt", ".ods", ".odp", ".odg"},
    "ooxml": {".docx", ".xlsx", ".pptx"},
    "png": {".png"},
    "jpeg": {".jpg", ".jpeg"},
    "text": {".txt", ".csv", ".md", ".json"},
}
# Markup a browser would run or render if it ever displayed the file: refused even inside text.
_ACTIVE_MARKUP = (b"<html", b"<!doctype", b"<svg", b"<script", b"<?xml", b"<body", b"<iframe", b"<head")


def sniff(head: bytes) -> str | None:
    """The document kind of a file from its first bytes, or None when it is not one we keep."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        if head[30:38] == b"mimetype" and b"application/vnd.oasis.opendocument" in head[38:120]:
            return "odf"
        if b"[Content_Types].xml" in head[:200]:
            return "ooxml"
        return None
    if b"\x00" in head or head.startswith((b"MZ", b"\x7fELF", b"#!")):
        return None
    text = head.lower()
    if any(marker in text for marker in _ACTIVE_MARKUP):
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a character cut at the end of the sample is fine
            return None
    return "text"


def content_type(attachment: Attachment) -> str:
    return MEDIA_TYPES.get(PurePath(attachment.file.name).suffix.lower(), "application/octet-stream")


def add_attachment(user: User, dataset: Dataset, upload: UploadedFile, title: str = "") -> Attachment:
    """Keep a document on the record once its content is known to be what its name says."""
    if upload.size > MAX_ATTACHMENT_SIZE:
        raise EditorError(
            "file_too_large",
            _("Le document dépasse la taille maximale (%(size)d Mo).") % {"size": MAX_ATTACHMENT_SIZE // 2**20},
            field="file",
        )
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    kind = sniff(head)
    suffix = PurePath(upload.name).suffix.lower()
    if kind is None or suffix not in DOCUMENT_KINDS[kind]:
        raise EditorError(
            "file_type_refused",
            _(
                "Ce type de document n'est pas accepté : PDF, OpenDocument, Office, CSV, texte, PNG ou JPEG "
                "seulement (ni HTML, ni SVG, ni programme), et l'extension doit correspondre au contenu."
            ),
            field="file",
        )
    attachment = Attachment(dataset=dataset, title=(title or PurePath(upload.name).stem)[:255], uploaded_by=user)
    attachment.file.save(PurePath(upload.name).name, upload, save=False)
    attachment.save()
    return attachment


def remove_attachment(dataset: Dataset, attachment_id: int) -> None:
    attachment = dataset.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise EditorError("attachment_not_found", _("Ce document n'existe pas."))
    attachment.file.delete(save=False)
    attachment.delete()


# --- Thumbnails --------------------------------------------------------------------------------------------------


def thumbnail_request(dataset: Dataset) -> dict[str, str]:
    """A WMS GetMap of the record's layer over its extent, padded to the thumbnail's proportions."""
    width, height = THUMBNAIL_SIZE
    xmin, ymin, xmax, ymax = dataset.bbox
    span_x, span_y = max(xmax - xmin, 1e-6), max(ymax - ymin, 1e-6)
    scale = max(span_x / width, span_y / height) * 1.05  # a margin so edges are not cut
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half_x, half_y = scale * width / 2, scale * height / 2
    bbox = [cx - half_x, cy - half_y, cx + half_x, cy + half_y]
    return {
        "SERVICE": "WMS",
        "VERSION": "1.1.1",  # x,y axis order whatever the CRS
        "REQUEST": "GetMap",
        "LAYERS": dataset.layer_name,
        "STYLES": "",
        "SRS": f"EPSG:{dataset.srid}",
        "BBOX": ",".join(f"{v:.{_decimals(scale)}f}" for v in bbox),
        "WIDTH": str(width),
        "HEIGHT": str(height),
        "FORMAT": "image/png",
        "TRANSPARENT": "FALSE",
    }


def _decimals(scale: float) -> int:
    return max(0, min(12, 2 - math.floor(math.log10(scale)))) if scale > 0 else 6


def generate_thumbnail(dataset: Dataset) -> bool:
    """Ask MapServer for a picture of the record's data and keep it as the thumbnail; False without data."""
    from wxs import mapserver

    if not dataset.has_data or not dataset.bbox or not dataset.srid:
        return False
    answer = mapserver.render(mapserver.mapfile_for(dataset), thumbnail_request(dataset), "http://localhost/")
    if answer.status != 200 or answer.content_type != "image/png" or not answer.body.startswith(b"\x89PNG"):
        raise EditorError("thumbnail_failed", _("La carte n'a pas pu être dessinée pour la vignette."))
    old = dataset.thumbnail.name
    dataset.thumbnail.save(f"ds{dataset.pk}.png", ContentFile(answer.body), save=False)
    dataset.save(update_fields=["thumbnail"])
    if old and old != dataset.thumbnail.name:
        dataset.thumbnail.storage.delete(old)
    return True


# --- Saving ------------------------------------------------------------------------------------------------------


@dataclass
class RecordChanges:
    """What an editor page or an API call sets on a record; None leaves a part as it is."""

    fields: dict[str, object]
    keywords: dict[str, list[Keyword]] | None = None  # per thesaurus given
    point_of_contact: ContactSpec | None = None
    metadata_contact: ContactSpec | None = None
    parties: list[tuple[ContactSpec, str]] | None = None
    links: list[dict[str, str]] | None = None
    domains: list | None = None


def save_record(request: HttpRequest | None, dataset: Dataset, changes: RecordChanges, source: str) -> Dataset:
    """Apply `changes` to the record in one transaction, recorded as one revision (`source`: editor or api)."""
    with tracked(request, dataset, source):
        unknown = set(changes.fields) - set(TRACKED_FIELDS)
        if unknown:
            raise ValueError(f"not record fields: {sorted(unknown)}")
        for name, value in changes.fields.items():
            setattr(dataset, name, value)
        dataset.save()
        if changes.domains is not None:
            dataset.domains.set(changes.domains)
        for thesaurus, keywords in (changes.keywords or {}).items():
            set_keywords(dataset, thesaurus, keywords)
        organisation = dataset.organisation
        if changes.point_of_contact is not None and changes.point_of_contact.given:
            set_point_of_contact(dataset, resolve_contact(changes.point_of_contact, organisation))
        if changes.parties is not None:
            set_resource_parties(
                dataset, [(resolve_contact(spec, organisation), role) for spec, role in changes.parties]
            )
        if changes.metadata_contact is not None:
            spec = changes.metadata_contact
            set_metadata_contact(dataset, resolve_contact(spec, organisation) if spec.given else None)
        if changes.links is not None:
            set_links(dataset, changes.links)
    return dataset


def record_summary(dataset: Dataset) -> dict[str, object]:
    """What the record page shows of the description: keywords by thesaurus, contacts, links, documents."""
    keywords = list(dataset.keywords.all())
    return {
        "keywords": [
            (label, [k for k in keywords if k.thesaurus == value])
            for value, label in Keyword.Thesaurus.choices
            if any(k.thesaurus == value for k in keywords)
        ],
        "parties": list(dataset.parties.select_related("contact")),
        "links": list(dataset.extra_links.all()),
        "attachments": list(dataset.attachments.all()),
    }


def _text(value: object) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return " ; ".join(str(v) for v in value)
    return str(value)


def describe_changes(revision: RecordRevision) -> list[tuple[str, str, str]]:
    """A revision's changes for people: (field label, before, after)."""
    labels = {
        "keywords": _("mots-clés"),
        "contacts": _("contacts"),
        "links": _("liens"),
        "domains": _("domaines"),
    }
    rows = []
    for name, values in revision.changes.items():
        before, after = (list(values) + [None, None])[:2]
        try:
            label = str(labels.get(name) or Dataset._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:  # a field a later version no longer has: its name says enough
            label = name
        rows.append((label, _text(before), _text(after)))
    return rows
