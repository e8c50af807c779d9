"""The sitemap: the home page, the search page and every record page anonymous visitors may open.

`/sitemap.xml` is an index of the sections, since a sitemap file holds at most 50,000 addresses.
"""

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from . import records
from .models import Dataset


class PagesSitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["catalogue:home", "catalogue:datasets"]

    def location(self, item: str) -> str:
        return reverse(item)


class RecordsSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Dataset]:
        return records.public_records().only("pk", "updated_at").order_by("pk")

    def lastmod(self, item: Dataset) -> datetime:
        return item.updated_at


SITEMAPS = {"pages": PagesSitemap, "records": RecordsSitemap}
