"""Catalogue domain logic: listing, publishing and reading a dataset's attribute table."""

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
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

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def count(self) -> int:
        return self.dataset.feature_count or 0

    def __getitem__(self, window: slice) -> list[tuple]:
        return attribute_rows(self.dataset, window.start or 0, (window.stop or 0) - (window.start or 0))


def attribute_rows(dataset: Dataset, offset: int, limit: int) -> list[tuple]:
    columns = [a["name"] for a in dataset.attributes]
    if not dataset.table_name or limit <= 0:
        return []
    query = sql.SQL("SELECT {} FROM {} ORDER BY fid LIMIT {} OFFSET {}").format(
        sql.SQL(", ").join([sql.Identifier("fid"), *(sql.Identifier(c) for c in columns)]),
        sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name),
        sql.Literal(limit),
        sql.Literal(offset),
    )
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection))
        return cursor.fetchall()


def attribute_page(dataset: Dataset, number: int | str | None, per_page: int = 25) -> Page:
    return Paginator(_RowCount(dataset), per_page).get_page(number)
