"""Catalogue search: the one engine behind the search page (`/donnees/`) and the API (`/api/v1/datasets/`).

A search is French full text (the `search_vector` column, config `fr_unaccent`: accents and plurals ignored, the
last word also matched as a prefix), facet filters on the `facet_terms` column (OR within a facet, AND across
facets), a spatial filter (a WGS84 box, or the extent of a commune of the reference layer), a sort and a page.
Everything starts from `rights.visible()`, so results, the total and every facet count only hold what the user may see.
"""

import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import F, FloatField, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Collate
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from psycopg import sql

from geoplatform import rights
from geoplatform.models import Domain, Organisation, PlatformSettings, User

from .models import Dataset, Keyword
from .records import SEARCH_CONFIG

PAGE_SIZE = 20
MAX_TEXT = 200
# Keyword-like facets can hold hundreds of values: the page shows the most frequent ones (and any selected).
MAX_VALUES = 15

# Request parameter -> (prefix of its terms in `facet_terms`, label of the facet).
FACETS: dict[str, tuple[str, str]] = {
    "type": ("type", gettext_lazy("Type de ressource")),
    "organisation": ("org", gettext_lazy("Organisation")),
    "domain": ("domain", gettext_lazy("Domaine")),
    "theme": ("theme", gettext_lazy("Thème INSPIRE")),
    "topic": ("topic", gettext_lazy("Catégorie ISO")),
    "keyword": ("kw", gettext_lazy("Mot-clé")),
    "licence": ("licence", gettext_lazy("Licence")),
    "format": ("format", gettext_lazy("Format")),
    "access": ("access", gettext_lazy("Accès")),
}
SORTS: dict[str, str] = {
    "relevance": gettext_lazy("Pertinence"),
    "title": gettext_lazy("Titre (A → Z)"),
    "updated": gettext_lazy("Mis à jour récemment"),
    "published": gettext_lazy("Publié récemment"),
}
ACCESS_LABELS = {"open": gettext_lazy("Accès libre"), "restricted": gettext_lazy("Accès restreint")}

# Every row gets this extra term in the facet query, so its count is the number of matching rows.
_TOTAL_TERM = ""
# Columns the search page does not show.
_HEAVY = ("iso_xml", "search_vector", "facet_terms", "attributes", "raster_info", "lineage", "use_constraints")
_PREFIX_WORD = re.compile(r"(?:^|\s)([^\W_]{2,})$")
_COMMUNE_CODE = re.compile(r"\(\s*([0-9AB]{5})\s*\)\s*$|^\s*([0-9AB]{5})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class SearchProblem:
    """A criterion that could not be used; `message` is for people (French)."""

    code: str
    message: str


class SearchError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.problem = SearchProblem(code, message)


@dataclass(frozen=True)
class Criteria:
    """What a person asked for, checked; unusable parts are left out and named in `problems`."""

    text: str = ""
    selected: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet parameter -> values
    bbox: tuple[float, float, float, float] | None = None  # WGS84 minx, miny, maxx, maxy
    bbox_text: str = ""  # as typed
    commune: str = ""  # as typed
    commune_label: str = ""  # "Name (INSEE code)" of the commune found
    sort: str = ""
    page: int = 1
    problems: tuple[SearchProblem, ...] = ()

    @property
    def chosen_sort(self) -> str:
        """The sort asked for; relevance by default, so that a new search from the page ranks its words."""
        return self.sort if self.sort in SORTS else "relevance"

    @property
    def effective_sort(self) -> str:
        """The order applied: relevance without words to rank means the latest updated first."""
        return "updated" if self.chosen_sort == "relevance" and not self.text else self.chosen_sort


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str  # request parameter
    label: str
    values: list[FacetValue]


@dataclass
class ResultPage:
    """One page of results, with what a pager needs."""

    items: list[Dataset]
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


@dataclass
class SearchResult:
    criteria: Criteria
    page: ResultPage
    facets: list[Facet]

    @property
    def total(self) -> int:
        return self.page.total


def criteria_from(params: Mapping, user: User | AnonymousUser) -> Criteria:
    """Read the search parameters of a request (a QueryDict: facets may repeat, or be comma-separated)."""
    problems: list[SearchProblem] = []
    text = " ".join(str(params.get("q", "")).split())[:MAX_TEXT]
    selected = {}
    for name in FACETS:
        values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name, "")]
        picked = sorted({v.strip() for value in values for v in str(value or "").split(",") if v.strip()})
        if picked:
            selected[name] = tuple(picked)
    bbox = None
    if raw_bbox := str(params.get("bbox", "")).strip():
        bbox = _parse_bbox(raw_bbox)
        if bbox is None:
            problems.append(
                SearchProblem(
                    "invalid_bbox",
                    _("L'emprise doit être « ouest,sud,est,nord » en degrés (WGS84), par exemple 1.2,47.1,2.5,47.9."),
                )
            )
    commune = str(params.get("commune", "")).strip()[:MAX_TEXT]
    commune_label = ""
    if commune and bbox is None:
        try:
            commune_label, bbox = commune_extent(commune, user)
        except SearchError as exc:
            problems.append(exc.problem)
    try:
        page = max(1, int(params.get("page", 1) or 1))
    except (TypeError, ValueError):
        page = 1
    return Criteria(
        text=text,
        selected=selected,
        bbox=bbox,
        bbox_text=raw_bbox,
        commune=commune,
        commune_label=commune_label,
        sort=str(params.get("sort", "")),
        page=page,
        problems=tuple(problems),
    )


def _parse_bbox(value: str) -> tuple[float, float, float, float] | None:
    try:
        minx, miny, maxx, maxy = (float(part) for part in value.split(","))
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return None
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return None
    return (minx, miny, maxx, maxy)


def commune_extent(name_or_code: str, user: User | AnonymousUser) -> tuple[str, tuple[float, float, float, float]]:
    """The WGS84 extent of a commune of the reference layer, found by INSEE code, "Name (code)" or name."""
    communes = PlatformSettings.load().communes_dataset
    # The lookup reads the layer's data: only for those who may see it, like the map's communes outline.
    if communes is None or not communes.table_name or not rights.can(user, rights.Action.VIEW_DATA, communes):
        raise SearchError("no_communes", _("La recherche par commune n'est pas disponible sur cette plateforme."))
    match = _COMMUNE_CODE.search(name_or_code)
    code = (match.group(1) or match.group(2)).upper() if match else ""
    name = "" if match and match.group(2) else _COMMUNE_CODE.sub("", name_or_code).strip()
    table = sql.Identifier(settings.LAYERS_SCHEMA, communes.table_name)
    query = sql.SQL(
        "SELECT insee, nom, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
        " SELECT insee, nom, Box2D(ST_Transform(geom, 4326)) AS e FROM {} "
        " WHERE insee = %(code)s OR lower(unaccent(nom)) = lower(unaccent(%(name)s))"
        " ORDER BY insee = %(code)s DESC, insee LIMIT 1) AS c"
    ).format(table)
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), {"code": code, "name": name})
        row = cursor.fetchone()
    if row is None:
        raise SearchError("unknown_commune", _("Commune inconnue : %(commune)s.") % {"commune": name_or_code})
    insee, label, *extent = row
    return f"{label} ({insee})", tuple(float(v) for v in extent)


def _text_query(text: str) -> SearchQuery:
    """The words as typed (web search syntax); a last word still being typed also matches as a prefix."""
    whole = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    last = _PREFIX_WORD.search(text)
    head = text[: last.start(1)].strip() if last else ""
    if not last or head.count('"') % 2 or head.lower().endswith(" or") or last.group(1).lower() == "or":
        return whole
    word = last.group(1)
    tail = SearchQuery(word, config=SEARCH_CONFIG, search_type="websearch") | SearchQuery(
        f"{word}:*", config=SEARCH_CONFIG, search_type="raw"
    )
    return SearchQuery(head, config=SEARCH_CONFIG, search_type="websearch") & tail if head else tail


def _corner(index: int) -> Cast:
    return Cast(KeyTextTransform(index, "bbox_wgs84"), FloatField())


def _matching(user: User | AnonymousUser, criteria: Criteria, skip_facet: str = "") -> QuerySet:
    """The visible records meeting every criterion (but the facet `skip_facet`), unordered."""
    records = rights.visible(user, Dataset.objects.all())
    if criteria.text:
        records = records.filter(search_vector=_text_query(criteria.text))
    for name, values in criteria.selected.items():
        if name != skip_facet:
            prefix = FACETS[name][0]
            records = records.filter(facet_terms__overlap=[f"{prefix}:{value}" for value in values])
    if criteria.bbox:
        minx, miny, maxx, maxy = criteria.bbox
        records = records.alias(x0=_corner(0), y0=_corner(1), x1=_corner(2), y1=_corner(3)).filter(
            x0__lte=maxx, x1__gte=minx, y0__lte=maxy, y1__gte=miny
        )
    return records


def _sort_keys(user: User | AnonymousUser, criteria: Criteria) -> tuple[QuerySet, str]:
    """The matching records with their sort keys (k1, k2), and the ORDER BY that uses them."""
    records = _matching(user, criteria)
    sort = criteria.effective_sort
    if sort == "relevance":
        rank = SearchRank(F("search_vector"), _text_query(criteria.text), cover_density=True)
        return records.annotate(k1=rank, k2=F("updated_at")), "k1 DESC, k2 DESC, id"
    if sort == "title":
        return records.annotate(k1=Collate("title", "fr-x-icu"), k2=F("pk")), "k1, id"
    if sort == "published":
        return records.annotate(k1=F("published_at"), k2=F("updated_at")), "k1 DESC NULLS LAST, k2 DESC, id"
    return records.annotate(k1=F("updated_at"), k2=F("pk")), "k1 DESC, id"


@contextmanager
def _without_jit() -> Iterator[CursorWrapper]:
    """A cursor whose queries PostgreSQL does not JIT-compile: at 100,000 records the planner's cost estimates pass
    `jit_above_cost`, and compiling (50-80 ms) costs more than these queries of tens of milliseconds save."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield cursor


def _term_counts(records: QuerySet) -> Counter:
    """How many of `records` carry each facet term, in one query (plus the total, under `_TOTAL_TERM`)."""
    inner, params = records.order_by().values("facet_terms").query.sql_with_params()
    query = (
        "SELECT t, count(*) FROM (SELECT unnest(array_append(m.facet_terms, %s::varchar)) AS t "
        f"FROM ({inner}) AS m) AS u GROUP BY t"
    )
    with _without_jit() as cursor:
        cursor.execute(query, (_TOTAL_TERM, *params))
        return Counter(dict(cursor.fetchall()))


def _counts_and_page(user: User | AnonymousUser, criteria: Criteria, page_size: int) -> tuple[Counter, list[int]]:
    """Facet term counts (the total under `_TOTAL_TERM`) and the ids of the asked page (the last one if it is past
    the end), reading the matching rows once: at 100,000 records that read is most of a search's time."""
    keyed, order = _sort_keys(user, criteria)
    inner, params = keyed.order_by().values("id", "facet_terms", "k1", "k2").query.sql_with_params()
    query = f"""
        WITH m AS MATERIALIZED ({inner})
        SELECT t, count(*), NULL::bigint[] FROM (
            SELECT unnest(array_append(m.facet_terms, %s::varchar)) AS t FROM m
        ) AS u GROUP BY t
        UNION ALL
        SELECT NULL, NULL, (SELECT array_agg(p.id ORDER BY {order}) FROM (
            SELECT * FROM m ORDER BY {order} LIMIT %s
            OFFSET (LEAST(%s, GREATEST(CEIL((SELECT count(*) FROM m) / %s::numeric), 1)) - 1) * %s
        ) AS p)
    """
    with _without_jit() as cursor:
        cursor.execute(query, (*params, _TOTAL_TERM, page_size, criteria.page, page_size, page_size))
        rows = cursor.fetchall()
    counts = Counter({term: n for term, n, _ids in rows if term is not None})
    ids = next((ids for term, _n, ids in rows if term is None), None) or []
    return counts, ids


def _facets(user: User | AnonymousUser, criteria: Criteria, counts: Counter) -> list[Facet]:
    """Each facet's values with counts. A facet with a selection is counted without its own filter (one more
    query each), so its other values keep the count they would add: OR within a facet."""
    per_facet = {name: _term_counts(_matching(user, criteria, skip_facet=name)) for name in criteria.selected}
    labels = _Labels(counts, *per_facet.values())
    facets = []
    for name, (prefix, label) in FACETS.items():
        source = per_facet.get(name, counts)
        chosen = set(criteria.selected.get(name, ()))
        values = {term.split(":", 1)[1]: n for term, n in source.items() if term.startswith(f"{prefix}:")}
        for value in chosen - values.keys():
            values[value] = 0
        entries = [
            FacetValue(value, labels.of(prefix, value), n, value in chosen)
            for value, n in sorted(values.items(), key=lambda item: (-item[1], labels.of(prefix, item[0]).lower()))
        ]
        shown = [e for i, e in enumerate(entries) if i < MAX_VALUES or e.selected]
        if shown:
            facets.append(Facet(name, str(label), shown))
    return facets


class _Labels:
    """French labels of facet values, fetched once for all the terms a search returned."""

    def __init__(self, *counters: Counter) -> None:
        terms = {term for counter in counters for term in counter if ":" in term}
        by_prefix: dict[str, set[str]] = {}
        for term in terms:
            prefix, value = term.split(":", 1)
            by_prefix.setdefault(prefix, set()).add(value)
        self.labels: dict[tuple[str, str], str] = {}
        self.labels |= {("type", k): str(v) for k, v in Dataset.ResourceType.choices}
        self.labels |= {("licence", k): str(v) for k, v in Dataset.Licence.choices}
        self.labels |= {("access", k): str(v) for k, v in ACCESS_LABELS.items()}
        for slug, name in Organisation.objects.filter(slug__in=by_prefix.get("org", ())).values_list("slug", "name"):
            self.labels[("org", slug)] = name
        for slug, name in Domain.objects.filter(slug__in=by_prefix.get("domain", ())).values_list("slug", "name"):
            self.labels[("domain", slug)] = name
        thesauri = {"theme": ["inspire_theme"], "topic": ["iso_topic"], "kw": ["gemet", "free"]}
        for prefix, names in thesauri.items():
            keywords = Keyword.objects.filter(thesaurus__in=names, code__in=by_prefix.get(prefix, ()))
            for code, label in keywords.values_list("code", "label"):
                self.labels[(prefix, code)] = label

    def of(self, prefix: str, value: str) -> str:
        return self.labels.get((prefix, value), value.upper() if prefix == "format" else value)


def search(
    user: User | AnonymousUser, criteria: Criteria, page_size: int = PAGE_SIZE, leave_out: tuple[str, ...] = _HEAVY
) -> SearchResult:
    """One page of results (without the `leave_out` columns), the total and the facets, all counted over what
    `user` may see."""
    counts, ids = _counts_and_page(user, criteria, page_size)
    total = counts[_TOTAL_TERM]
    number = min(criteria.page, max(1, math.ceil(total / page_size)))
    rows = Dataset.objects.filter(pk__in=ids).select_related("organisation").defer(*leave_out)
    by_id = {dataset.pk: dataset for dataset in rows}
    items = [by_id[pk] for pk in ids if pk in by_id]
    return SearchResult(criteria, ResultPage(items, number, total, page_size), _facets(user, criteria, counts))


def map_settings(user: User | AnonymousUser) -> dict:
    """What the search map draws under the box: the platform's base maps and extent, and the communes layer
    when this user may see its data."""
    platform = PlatformSettings.load()
    communes = platform.communes_dataset
    communes_wms = ""
    if communes is not None and communes.has_data and rights.can(user, rights.Action.VIEW_DATA, communes):
        communes_wms = reverse("wxs:dataset_ows", args=[communes.pk])
    return {
        "extent": ",".join(str(v) for v in platform.default_extent) if len(platform.default_extent) == 4 else "",
        "base_maps_json": json.dumps(platform.base_maps),
        "communes_wms": communes_wms,
        "communes_layer": communes.layer_name if communes_wms else "",
    }
