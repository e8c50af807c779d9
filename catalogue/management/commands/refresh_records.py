from django.core.management.base import BaseCommand

from catalogue import records
from catalogue.models import Dataset


class Command(BaseCommand):
    help = "Recompute the search index, facets, anonymous visibility and ISO 19139 document of catalogue records."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="Every record, not only those never indexed.")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args, all: bool = False, batch: int = 500, **options) -> None:
        ids = Dataset.objects.all() if all else Dataset.objects.filter(search_vector=None)
        ids = list(ids.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), batch):
            records.refresh(ids[start : start + batch])
        self.stdout.write(f"{len(ids)} fiche(s) mises à jour.")
