"""The viewer's place search: communes of the reference layer and the layers administrators made searchable.

A name matches when the words typed are found in it, accents, case and punctuation aside ("saint cyr", "SAINT-CYR"
and "saint-cyr" all find "Saint-Cyr"). Results are ranked: the whole name, then names starting
with the words, then a word of the name starting with them, then the words anywhere. A layer is searched only for
callers who may view its data, within their territory (rights choke point), and its features are clipped to it.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.utils.translation import gettext as _
from psycopg import sql

from catalogue.models import Dataset
from geoplatform import rights
from geoplatform.models import GazetteerLayer, PlatformSettings, User

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


def sources_for(user: User | AnonymousUser) -> list[Source]:
    """The layers searched for `user`: the communes, then the enabled searchable layers, each if its data is visible."""
    communes = PlatformSettings.load().communes_dataset
    candidates: list[tuple[Dataset, str, str, str | None]] = []
    if communes is not None:
        candidates.append((communes, "nom", COMMUNE, "insee"))
    layers = GazetteerLayer.objects.filter(enabled=True).select_related("dataset", "dataset__organisation")
    for layer in layers.exclude(dataset_id=getattr(communes, "pk", None)).order_by("dataset__title", "pk"):
        candidates.append((layer.dataset, layer.label_field, layer.dataset.title, None))
    found = []
    for dataset, label_field, kind, code_field in candidates:
        if dataset.kind != Dataset.Kind.VECTOR or not dataset.table_name or not dataset.version:
            continue
        if not _has_fields(dataset, label_field, *([code_field] if code_field else [])):
            continue
        decision = rights.decide(user, rights.Action.VIEW_DATA, dataset)
        if not decision:
            continue
        territory = decision.territory if decision.restricted else None
        found.append(Source(dataset, label_field, kind, code_field, territory))
    return found


# Names and the query are compared in one normal form: unaccented, lower case, words of [a-z0-9] split by one space.
NORMALISE = "btrim(regexp_replace(lower(unaccent({})), '[^a-z0-9]+', ' ', 'g'))"


def _source_query(source: Source) -> tuple[sql.Composed, dict]:
    table = sql.Identifier(settings.LAYERS_SCHEMA, source.dataset.table_name)
    label = sql.Identifier(source.label_field)
    code = sql.SQL("{}::text").format(sql.Identifier(source.code_field)) if source.code_field else sql.SQL("NULL")
    params: dict = {"srid": int(source.dataset.srid)}
    if source.territory is None:
        geometry, within = sql.SQL("l.geom"), sql.SQL("")
    else:
        # Only the part of a feature inside the caller's territory is shown (extent and centre), as the maps clip.
        params["territory"] = bytes(source.territory.ewkb)
        geometry = sql.SQL("ST_Intersection(l.geom, ST_Transform(ST_GeomFromEWKB(%(territory)s), %(srid)s))")
        within = sql.SQL(
            " AND ST_Intersects(l.geom, ST_Transform(ST_GeomFromEWKB(%(territory)s), %(srid)s))"
            " AND NOT ST_Touches(l.geom, ST_Transform(ST_GeomFromEWKB(%(territory)s), %(srid)s))"
        )
    normalised = sql.SQL(NORMALISE).format(sql.SQL("{}::text").format(label))
    query = sql.SQL(
        "WITH q AS (SELECT " + NORMALISE.format("%(q)s::text") + " AS q) "
        "SELECT label, code, rank, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b), ST_X(c), ST_Y(c) FROM ("
        " SELECT label, code, rank, Box2D(g) AS b, ST_PointOnSurface(g) AS c FROM ("
        "  SELECT label, code, rank, ST_Transform({geometry}, 4326) AS g FROM ("
        "   SELECT l.geom, {label}::text AS label, {code} AS code,"
        "    CASE WHEN n = q.q THEN 0 WHEN n LIKE q.q || '%%' THEN 1"
        "     WHEN ' ' || n LIKE '%% ' || q.q || '%%' THEN 2 ELSE 3 END AS rank"
        "   FROM (SELECT *, {normalised} AS n FROM {table}) AS l, q"
        "   WHERE q.q <> '' AND n LIKE '%%' || q.q || '%%' AND l.geom IS NOT NULL{within}"
        "   ORDER BY rank, length({label}::text), {label}::text LIMIT %(limit)s"
        "  ) AS l"
        " ) AS found WHERE NOT ST_IsEmpty(g)"
        ") AS shown ORDER BY rank, length(label), label"
    ).format(geometry=geometry, label=label, code=code, normalised=normalised, table=table, within=within)
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
    with connection.cursor() as cursor:
        for source in sources_for(user):
            query, params = _source_query(source)
            cursor.execute(query.as_string(cursor.connection), {**params, "q": text, "limit": limit})
            results += [_result(source, row) for row in cursor.fetchall()]
    results.sort(key=lambda r: (r["rank"], r["kind"] != COMMUNE, len(r["label"]), r["label"].lower()))
    for result in results:
        del result["rank"]
    return results[:limit]
