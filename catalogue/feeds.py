"""RSS 2.0 and Atom feeds of the newest and latest updated records, as anonymous visitors see the catalogue."""

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from geoplatform.models import PlatformSettings

from . import records
from .models import Dataset

FEED_SIZE = 50


class RecordsFeed(Feed):
    link = reverse_lazy("catalogue:datasets")
    description = _("Les jeux de données publiés ou mis à jour récemment dans le catalogue.")

    def title(self) -> str:
        return _("Nouveaux jeux de données · %(platform)s") % {"platform": PlatformSettings.load()}

    def items(self) -> QuerySet[Dataset]:
        return records.public_records().select_related("organisation").order_by("-updated_at", "-pk")[:FEED_SIZE]

    def item_title(self, item: Dataset) -> str:
        return item.title

    def item_description(self, item: Dataset) -> str:
        return item.abstract

    def item_link(self, item: Dataset) -> str:
        return reverse("catalogue:dataset", args=[item.pk])

    def item_guid(self, item: Dataset) -> str:
        return f"urn:uuid:{item.uuid}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Dataset) -> datetime:
        return item.published_at or item.created_at

    def item_updateddate(self, item: Dataset) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Dataset) -> str:
        return item.organisation.name


class AtomRecordsFeed(RecordsFeed):
    feed_type = Atom1Feed
    subtitle = RecordsFeed.description
