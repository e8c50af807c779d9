"""A catalogue record's derived state, and what makes it complete.

`refresh()` recomputes, for some records, what search, facets and the CSW repository read: the French full-text
vector, the facet terms, whether anonymous visitors may see the record (asked of the rights choke point) and its
ISO 19139 document. Signals call `changed()` whenever a record, its keywords, contacts or grants change, so no
path that edits a record can leave search or CSW stale; inside `batch()` (one editor save, one ISO import) the
many changes of one record are refreshed once, at the end.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from geoplatform import rights

from .models import Dataset, Keyword

# The text search configuration (French stemming, accents removed) the catalogue migration creates.
SEARCH_CONFIG = "fr_unaccent"

_REFRESH_SQL = """
UPDATE catalogue_dataset d SET
  search_vector =
    setweight(to_tsvector('fr_unaccent', coalesce(d.title, '')), 'A')
    || setweight(to_tsvector('fr_unaccent', coalesce(kw.labels, '')), 'B')
    || setweight(to_tsvector('fr_unaccent', o.name), 'C')
    || setweight(to_tsvector('fr_unaccent', coalesce(d.abstract, '') || ' ' || coalesce(d.lineage, '')), 'D'),
  facet_terms =
    ARRAY['type:' || d.resource_type, 'org:' || o.slug, 'licence:' || d.licence,
          'access:' || CASE WHEN d.public THEN 'open' ELSE 'restricted' END]
    || CASE WHEN d.data_format <> '' THEN ARRAY['format:' || d.data_format] ELSE '{}'::text[] END
    || coalesce(kw.terms, '{}'::text[])
    || coalesce(dm.terms, '{}'::text[])
FROM catalogue_dataset x
  JOIN geoplatform_organisation o ON o.id = x.organisation_id,
  LATERAL (
    SELECT string_agg(k.label, ' ') AS labels,
           array_agg(CASE k.thesaurus WHEN 'inspire_theme' THEN 'theme:' WHEN 'iso_topic' THEN 'topic:' ELSE 'kw:' END
                     || k.code) AS terms
    FROM catalogue_dataset_keywords dk JOIN catalogue_keyword k ON k.id = dk.keyword_id
    WHERE dk.dataset_id = x.id
  ) kw,
  LATERAL (
    SELECT array_agg(DISTINCT 'domain:' || s.slug) AS terms
    FROM catalogue_dataset_domains dd
    JOIN geoplatform_domain m ON m.id = dd.domain_id
    LEFT JOIN geoplatform_domain p ON p.id = m.parent_id
    CROSS JOIN LATERAL (VALUES (m.slug), (p.slug)) AS s(slug)
    WHERE dd.dataset_id = x.id AND s.slug IS NOT NULL
  ) dm
WHERE x.id = d.id AND d.id = ANY(%s)
"""


_pending: ContextVar[set[int] | None] = ContextVar("records_pending", default=None)


def changed(ids: Iterable[int]) -> None:
    """These records changed: refresh them now, or once when the enclosing `batch()` ends."""
    pending = _pending.get()
    if pending is None:
        refresh(ids)
    else:
        pending.update(ids)


@contextmanager
def batch() -> Iterator[None]:
    """Refresh the records changed inside once, at the end (nested batches join the outer one)."""
    if _pending.get() is not None:
        yield
        return
    token = _pending.set(set())
    try:
        yield
        ids = sorted(_pending.get())
    finally:
        _pending.reset(token)
    refresh(ids)


def refresh(ids: Iterable[int], with_xml: bool = True) -> None:
    """Recompute the search vector, facet terms, anonymous visibility and (unless told not to) the ISO document."""
    ids = list(ids)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL, [ids])
    records = Dataset.objects.filter(pk__in=ids)
    visible = set(rights.visible(AnonymousUser(), records).values_list("pk", flat=True))
    records.filter(pk__in=visible).exclude(anonymous_visible=True).update(anonymous_visible=True)
    records.exclude(pk__in=visible).exclude(anonymous_visible=False).update(anonymous_visible=False)
    if with_xml:
        from . import iso19139

        for dataset in records.select_related("organisation").prefetch_related("keywords", "parties__contact"):
            Dataset.objects.filter(pk=dataset.pk).update(iso_xml=iso19139.export_string(dataset))


def public_records() -> QuerySet[Dataset]:
    """Every record an anonymous visitor may see (feeds, sitemap, DCAT), asked of the rights choke point."""
    return rights.visible(AnonymousUser(), Dataset.objects.all())


def may_see_thumbnail(user, dataset: Dataset) -> bool:
    """A thumbnail is a picture of all the data: only for those who may see all of it (not only the record)."""
    decision = rights.decide(user, rights.Action.VIEW_DATA, dataset)
    return decision.allowed and not decision.restricted


@dataclass(frozen=True)
class Requirement:
    """One element INSPIRE asks for: the editor field that gives it, and its label."""

    field: str
    label: str
    expert: bool = False  # shown only in the editor's expert mode


REQUIREMENTS = [
    Requirement("title", _("Titre")),
    Requirement("abstract", _("Résumé")),
    Requirement("topic_categories", _("Catégorie thématique ISO")),
    Requirement("inspire_themes", _("Thème INSPIRE")),
    Requirement("bbox", _("Emprise géographique")),
    Requirement("temporal_reference", _("Référence temporelle (date de création, de révision ou étendue)")),
    Requirement("lineage", _("Généalogie")),
    Requirement("resolution", _("Résolution spatiale (échelle ou distance)")),
    Requirement("conformity", _("Conformité"), expert=True),
    Requirement("use_constraints", _("Conditions d'accès et d'utilisation (licence)")),
    Requirement("access_constraint", _("Restrictions d'accès public"), expert=True),
    Requirement("responsible_party", _("Responsable de la ressource (avec courriel)")),
    Requirement("metadata_contact", _("Contact de la fiche (avec courriel)")),
]


def _satisfied(dataset: Dataset, keywords: list[Keyword]) -> dict[str, bool]:
    thesauri = {k.thesaurus for k in keywords}
    # all() so that a list prefetched with its contacts (API pages) costs no query per record.
    parties = list(dataset.parties.all()) if dataset.pk else []
    spatial = dataset.resource_type in {Dataset.ResourceType.DATASET, Dataset.ResourceType.SERIES}
    return {
        "title": bool(dataset.title.strip()),
        "abstract": bool(dataset.abstract.strip()),
        "topic_categories": Keyword.Thesaurus.ISO_TOPIC in thesauri or not spatial,
        "inspire_themes": Keyword.Thesaurus.INSPIRE_THEME in thesauri,
        "bbox": bool(dataset.bbox_wgs84) or dataset.resource_type == Dataset.ResourceType.TABLE,
        "temporal_reference": bool(
            dataset.data_created or dataset.data_revised or dataset.published_at or dataset.temporal_start
        ),
        "lineage": bool(dataset.lineage.strip()) or not spatial,
        "resolution": bool(dataset.scale_denominator or dataset.resolution_m) or not spatial,
        "conformity": bool(dataset.conformity_specification and dataset.conformity_degree),
        "use_constraints": dataset.licence != Dataset.Licence.OTHER
        or bool(dataset.licence_other.strip() or dataset.use_constraints.strip()),
        "access_constraint": bool(dataset.access_constraint),
        "responsible_party": any(not p.for_metadata and p.contact.email for p in parties),
        "metadata_contact": any(p.for_metadata and p.contact.email for p in parties),
    }


def missing(dataset: Dataset, keywords: list[Keyword] | None = None) -> list[Requirement]:
    """The INSPIRE-mandatory elements the record still lacks."""
    keywords = list(dataset.keywords.all()) if keywords is None and dataset.pk else (keywords or [])
    done = _satisfied(dataset, keywords)
    return [r for r in REQUIREMENTS if not done[r.field]]


def completeness(dataset: Dataset, keywords: list[Keyword] | None = None) -> int:
    """Share of INSPIRE-mandatory elements present, in percent."""
    return score(missing(dataset, keywords))


def score(missing_elements: list[Requirement]) -> int:
    """The completeness percentage when these elements are missing."""
    return round(100 * (len(REQUIREMENTS) - len(missing_elements)) / len(REQUIREMENTS))
