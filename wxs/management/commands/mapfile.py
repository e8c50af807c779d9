from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Dataset
from wxs import mapserver


class Command(BaseCommand):
    help = "Print the mapfile generated for a dataset (or the MapServer config file with --config)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("dataset_id", nargs="?", type=int)
        parser.add_argument("--config", action="store_true", help="print mapserver.conf instead")
        parser.add_argument("--write", action="store_true", help="also (re)write the file on disk")

    def handle(self, *args, dataset_id: int | None = None, config: bool = False, write: bool = False, **opts):
        if config:
            self.stdout.write(mapserver.config_text())
            return
        if dataset_id is None:
            raise CommandError("Give a dataset id, or --config.")
        dataset = Dataset.objects.filter(pk=dataset_id).first()
        if dataset is None or not dataset.has_data:
            raise CommandError(f"No dataset {dataset_id} with data.")
        if write:
            mapserver.write_mapfile(dataset)
        self.stdout.write(mapserver.mapfile_text(dataset))
