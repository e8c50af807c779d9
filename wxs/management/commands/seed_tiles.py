from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Dataset
from wxs import mapproxy


class Command(BaseCommand):
    help = "Fill a dataset's tile cache (WMTS/TMS) on its extent with MapProxy's seeder."

    def add_arguments(self, parser) -> None:
        parser.add_argument("dataset_id", type=int)
        parser.add_argument(
            "--grid", action="append", choices=mapproxy.GRIDS, help="tile grid to seed (repeatable; default: all)"
        )
        parser.add_argument("--levels", default="0-12", help="levels, e.g. 0-12 or 14 (default 0-12)")

    def handle(self, *args, dataset_id: int, grid: list[str] | None = None, levels: str = "0-12", **opts):
        dataset = Dataset.objects.filter(pk=dataset_id).first()
        if dataset is None or not dataset.has_data:
            raise CommandError(f"No dataset {dataset_id} with data.")
        try:
            first, last = mapproxy.parse_levels(levels)
        except ValueError as error:
            raise CommandError(f"--levels: {levels!r} is not a level or a range such as 0-12.") from error
        cache = mapproxy.seed(dataset, grid or mapproxy.GRIDS, (first, last), progress=self.stdout)
        tiles = sum(1 for _ in cache.directory.rglob("*.png"))
        self.stdout.write(f"{tiles} tiles in {cache.directory}")
