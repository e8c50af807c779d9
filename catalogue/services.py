"""Catalogue domain logic: listing, publishing and reading a dataset's attribute table."""

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from psycopg import sql

from geoplatform import rights

from .models import Dataset


def datasets_for(user, query: str = "") -> QuerySet[Dataset]:
    datasets = rights.visible(user, Dataset.objects.select_related("organisation"))
    if query:
        datasets = datasets.filter(title__icontains=query)
    return datasets


def recently_published(user, limit: int = 6) -> QuerySet[Dataset]:
    return datasets_for(user).filter(public=True, version__gt=0).order_by("-published_at")[:limit]


def publish(dataset: Dataset) -> Dataset:
    if not dataset.public:
        dataset.public = True
        dataset.published_at = timezone.now()
        dataset.save(update_fields=["public", "published_at", "updated_at"])
    return dataset


class _RowCount:
    """Lets Django's Paginator page a layer table without loading it."""

    def __init__(self, dataset: Dataset, decision: rights.Decision) -> None:
        self.dataset = dataset
        self.decision = decision

    def count(self) -> int:
        if not self.decision.restricted:
            return self.dataset.feature_count or 0
        return attribute_count(self.dataset, self.decision)

    def __getitem__(self, window: slice) -> list[tuple]:
        start, stop = window.start or 0, window.stop or 0
        return attribute_rows(self.dataset, start, stop - start, self.decision)


def _territory_filter(dataset: Dataset, decision: rights.Decision) -> sql.Composable:
    """The WHERE clause keeping the features inside the decision's territory (all of them when unrestricted)."""
    if not decision.restricted:
        return sql.SQL("TRUE")
    if decision.territory_ids:  # the same union MapServer clips with
        territory = sql.SQL(
            "(SELECT ST_Transform(ST_Union(geometry), {srid}) FROM geoplatform_territory WHERE id = ANY({ids}))"
        ).format(srid=sql.Literal(dataset.srid), ids=sql.Literal(list(decision.territory_ids)))
    else:
        territory = sql.SQL("ST_Transform(ST_GeomFromEWKB({ewkb}), {srid})").format(
            ewkb=sql.Literal(bytes(decision.territory.ewkb)), srid=sql.Literal(dataset.srid)
        )
    # Features that only touch the territory's border are outside it, as on the map.
    return sql.SQL("ST_Intersects(geom, {t}) AND NOT ST_Touches(geom, {t})").format(t=territory)


def attribute_count(dataset: Dataset, decision: rights.Decision = rights.EVERYWHERE) -> int:
    if not dataset.table_name:
        return 0
    query = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
        sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name), _territory_filter(dataset, decision)
    )
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection))
        return cursor.fetchone()[0]


def attribute_rows(
    dataset: Dataset, offset: int, limit: int, decision: rights.Decision = rights.EVERYWHERE
) -> list[tuple]:
    """One window of the attribute table, limited to the features inside the decision's territory."""
    columns = [a["name"] for a in dataset.attributes]
    if not dataset.table_name or limit <= 0:
        return []
    query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY fid LIMIT {} OFFSET {}").format(
        sql.SQL(", ").join([sql.Identifier("fid"), *(sql.Identifier(c) for c in columns)]),
        sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name),
        _territory_filter(dataset, decision),
        sql.Literal(limit),
        sql.Literal(offset),
    )
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection))
        return cursor.fetchall()


def attribute_page(
    dataset: Dataset, number: int | str | None, decision: rights.Decision = rights.EVERYWHERE, per_page: int = 25
) -> Page:
    """A page of the attribute table as `decision` (VIEW_DATA) allows: counted and listed within its territory."""
    return Paginator(_RowCount(dataset, decision), per_page).get_page(number)


def territory_notice(dataset: Dataset, decision: rights.Decision) -> str:
    """What to tell someone whose view of the data depends on a territory (empty when it does not)."""
    if not dataset.has_data:
        return ""
    if decision.restricted:
        return gettext("La carte et la table attributaire sont limitées aux objets de votre territoire.")
    if not decision and dataset.territory_restricted:
        return gettext(
            "Les données de ce jeu ne sont consultables que sur le territoire de chacun : "
            "aucun territoire ne vous est attribué."
        )
    return ""
