from celery import shared_task

from catalogue.models import Dataset

from . import mapproxy


@shared_task(bind=True)
def seed_tiles(self, dataset_id: int, grids: list[str] | None = None, levels: str = "0-12") -> int:
    """Fill a dataset's tile cache in the background; returns the number of tiles in the cache."""
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None or not dataset.has_data:
        return 0
    self.update_state(state="PROGRESS", meta={"dataset": dataset_id, "levels": levels})
    cache = mapproxy.seed(dataset, grids or mapproxy.GRIDS, mapproxy.parse_levels(levels))
    return sum(1 for _ in cache.directory.rglob("*.png"))
