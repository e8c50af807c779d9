"""The viewer's place search: communes of the reference layer and the layers administrators made searchable.

A name matches when the words typed are found in it, accents, case and punctuation aside ("saint cyr", "SAINT-CYR"
and "saint-cyr" all find "Saint-Cyr"; under three letters, only at its start). Results are ranked: the whole name,
then names starting with the words, then a word of the name starting with them, then the words anywhere. A layer is
searched only for callers who may view its data, within their territory (rights choke point), and its features are
clipped to it.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import GEOSGeometry
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _
from psycopg import sql

from catalogue.models import Dataset
from geoplatform import rights
from geoplatform.models import GazetteerLayer, PlatformSettings, User

logger = logging.getLogger(__name__)

LIMIT = 10
MAX_QUERY_LENGTH = 100
COMMUNE = "commune"


class GazetteerError(ValueError):
    """A search that cannot be run; `code` is stable, the message is for people (French)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Source:
    """One searchable layer as the caller may see it."""

    dataset: Dataset
    label_field: str
    kind: str  # "commune" or the layer's title
    code_field: str | None  # the INSEE code of communes
    territory: GEOSGeometry | None  # WGS84: the caller sees only this part of the layer


def _has_fields(dataset: Dataset, *names: str) -> bool:
    present = {attribute["name"] for attribute in dataset.attributes or []}
    return all(name in present for name in names)


# What a search reads of a dataset row: the full row (ISO document, search vector…) was most of a search's time.
DATASET_FIELDS = (
    "title", "kind", "table_name", "version", "srid", "attributes", "public", "territory_restricted",
    "organisation__id", "organisation__is_partner",
)  # fmt: skip


def sources_for(user: User | AnonymousUser) -> list[Source]:
    """The layers searched for `user`: the communes, then the enabled searchable layers, each if its data is visible."""
    communes_id = PlatformSettings.objects.filter(pk=1).values_list("communes_dataset_id", flat=True).first()
    labels = dict(GazetteerLayer.objects.filter(enabled=True).values_list("dataset_id", "label_field"))
    ids = {communes_id, *labels} - {None}
    datasets = Dataset.objects.filter(pk__in=ids, version__gt=0).select_related("organisation").only(*DATASET_FIELDS)
    candidates: list[tuple[Dataset, str, str, str | None]] = []
    for dataset in sorted(datasets, key=lambda d: (d.pk != communes_id, d.title, d.pk)):
        if dataset.pk == communes_id:
            candidates.append((dataset, "nom", COMMUNE, "insee"))
        else:
            candidates.append((dataset, labels[dataset.pk], dataset.title, None))
    found = []
    for dataset, label_field, kind, code_field in candidates:
        if dataset.kind != Dataset.Kind.VECTOR or not dataset.table_name:
            continue
        if not _has_fields(dataset, label_field, *([code_field] if code_field else [])):
            continue
        decision = rights.decide(user, rights.Action.VIEW_DATA, dataset)
        if not decision:
            continue
        territory = decision.territory if decision.restricted else None
        found.append(Source(dataset, label_field, kind, code_field, territory))
    return found


# Names and the query are compared in one normal form (SQL function `gp_place_name`, migration geoplatform 0006):
# unaccented, lower case, words of [a-z0-9] split by one space. Searchable tables get two indexes on it: a trigram
# one for "anywhere in the name" and a byte-ordered one for the whole name and "starts with" (the only matches
# looked for under SHORT_QUERY characters, which trigrams cannot find).
SHORT_QUERY = 3
_prepared: set[tuple[str, str]] = set()  # (table, attribute) this process has made sure are indexed


def _index_name(table: str, label_field: str, kind: str) -> str:
    digest = hashlib.sha256(f"{table}.{label_field}".encode()).hexdigest()[:10]
    return f"gp_place_{digest}_{kind}"


def prepare(dataset: Dataset, label_field: str) -> None:
    """Index the normal form of a searchable layer's names (once per table; each data version is a new table)."""
    key = (dataset.table_name, label_field)
    if key in _prepared or not dataset.table_name:
        return
    table = sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name)
    name = sql.SQL("public.gp_place_name({}::text)").format(sql.Identifier(label_field))
    statements = [
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin ({} gin_trgm_ops)").format(
            sql.Identifier(_index_name(dataset.table_name, label_field, "trgm")), table, name
        ),
        sql.SQL('CREATE INDEX IF NOT EXISTS {} ON {} (({} COLLATE "C"))').format(
            sql.Identifier(_index_name(dataset.table_name, label_field, "prefix")), table, name
        ),
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.as_string(cursor.connection))
    except DatabaseError:
        # Another process creating the same index at the same moment, or a table dropped by a new version: the
        # search itself still works, without the index, and the next search tries again.
        logger.warning("Place search index not created on %s.%s", dataset.table_name, label_field, exc_info=True)
        return
    _prepared.add(key)


# At most this many features matching anywhere in their name are ranked (with every exact and the first prefix
# matches): a word common to a whole layer must not make a search rank the layer.
CANDIDATES = 200


def _source_query(source: Source, short: bool) -> tuple[sql.Composed, dict]:
    table = sql.Identifier(settings.LAYERS_SCHEMA, source.dataset.table_name)
    label = sql.Identifier(source.label_field)
    code = sql.SQL("{}::text").format(sql.Identifier(source.code_field)) if source.code_field else sql.SQL("NULL")
    params: dict = {"srid": int(source.dataset.srid), "candidates": CANDIDATES}
    if source.territory is None:
        geometry, within = sql.SQL("l.geom"), sql.SQL("")
    else:
        # Only the part of a feature inside the caller's territory is shown (extent and centre), as the maps clip.
        params["territory"] = bytes(source.territory.ewkb)
        geometry = sql.SQL("ST_Intersection(l.geom, ST_Transform(ST_GeomFromEWKB(%(territory)s), %(srid)s))")
        within = sql.SQL(
            " AND ST_Intersects(geom, ST_Transform(ST_GeomFromEWKB(%(territory)s), %(srid)s))"
            " AND NOT ST_Touches(geom, ST_Transform(ST_GeomFromEWKB(%(territory)s), %(srid)s))"
        )
    # The expressions are those of the indexes `prepare` creates, and the patterns parameters, so both are used.
    n = sql.SQL("public.gp_place_name({}::text)").format(label)
    ordered = sql.SQL('({} COLLATE "C")').format(n)
    anywhere = sql.SQL(
        " UNION (SELECT fid FROM {table} WHERE {n} LIKE %(anywhere)s AND geom IS NOT NULL{within} LIMIT %(candidates)s)"
    )
    query = sql.SQL(
        "WITH candidates AS ("
        " (SELECT fid FROM {table} WHERE {ordered} = %(exact)s AND geom IS NOT NULL{within} LIMIT %(limit)s)"
        " UNION (SELECT fid FROM {table} WHERE {ordered} LIKE %(prefix)s AND geom IS NOT NULL{within}"
        "  ORDER BY {ordered} LIMIT %(limit)s){anywhere}"
        ") "
        "SELECT label, code, rank, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b), ST_X(c), ST_Y(c) FROM ("
        " SELECT label, code, rank, Box2D(g) AS b, ST_PointOnSurface(g) AS c FROM ("
        "  SELECT label, code, rank, ST_Transform({geometry}, 4326) AS g FROM ("
        "   SELECT l.geom, {label}::text AS label, {code} AS code,"
        "    CASE WHEN {n} = %(exact)s THEN 0 WHEN {n} LIKE %(prefix)s THEN 1"
        "     WHEN ' ' || {n} LIKE %(word)s THEN 2 ELSE 3 END AS rank"
        "   FROM {table} AS l JOIN candidates USING (fid)"
        "   ORDER BY rank, length({label}::text), {label}::text LIMIT %(limit)s"
        "  ) AS l"
        " ) AS found WHERE NOT ST_IsEmpty(g)"
        ") AS shown ORDER BY rank, length(label), label"
    ).format(
        anywhere=sql.SQL("") if short else anywhere.format(table=table, n=n, within=within),
        geometry=geometry,
        label=label,
        code=code,
        n=n,
        ordered=ordered,
        table=table,
        within=within,
    )
    return query, params


def _result(source: Source, row: tuple) -> dict:
    label, code, rank, west, south, east, north, lon, lat = row
    result = {
        "label": label,
        "kind": source.kind,
        "bbox": [round(v, 6) for v in (west, south, east, north)],
        "center": [round(lon, 6), round(lat, 6)],
        "rank": rank,
    }
    if source.code_field:
        result["insee"] = code
    return result


def search(user: User | AnonymousUser, text: str, limit: int = LIMIT) -> list[dict]:
    """The places named like `text` that `user` may see, best first (at most `limit`)."""
    text = (text or "").strip()
    if not text:
        raise GazetteerError("missing_query", _("Indiquez le nom d'un lieu à chercher."))
    if len(text) > MAX_QUERY_LENGTH:
        raise GazetteerError(
            "query_too_long", _("La recherche est trop longue (%(n)s caractères au plus).") % {"n": MAX_QUERY_LENGTH}
        )
    results: list[dict] = []
    sources = sources_for(user)
    for source in sources:
        prepare(source.dataset, source.label_field)
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.gp_place_name(%s)", [text])
        words = cursor.fetchone()[0] or ""  # only [a-z0-9 ]: nothing in it means anything to LIKE
        if not words:
            return []
        patterns = {"exact": words, "prefix": f"{words}%", "word": f"% {words}%", "anywhere": f"%{words}%"}
        for source in sources:
            query, params = _source_query(source, short=len(words) < SHORT_QUERY)
            cursor.execute(query.as_string(cursor.connection), {**params, **patterns, "limit": limit})
            results += [_result(source, row) for row in cursor.fetchall()]
    results.sort(key=lambda r: (r["rank"], r["kind"] != COMMUNE, len(r["label"]), r["label"].lower()))
    for result in results:
        del result["rank"]
    return results[:limit]
