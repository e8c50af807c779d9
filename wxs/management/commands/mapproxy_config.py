from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Dataset
from wxs import mapproxy


class Command(BaseCommand):
    help = "Print the MapProxy configuration (mapproxy.yaml) generated for a dataset's WMTS/TMS."

    def add_arguments(self, parser) -> None:
        parser.add_argument("dataset_id", type=int)
        parser.add_argument(
            "--territories", default="", help="comma-separated territory ids: the variant a restricted caller gets"
        )

    def handle(self, *args, dataset_id: int, territories: str = "", **opts):
        dataset = Dataset.objects.filter(pk=dataset_id).first()
        if dataset is None or not dataset.has_data:
            raise CommandError(f"No dataset {dataset_id} with data.")
        ids = tuple(sorted(int(i) for i in territories.split(",") if i.strip()))
        self.stdout.write(mapproxy.config_text(dataset, mapproxy.cache_for(dataset, ids)))
