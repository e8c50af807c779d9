"""What the services do when a dataset's data, style or rights change."""

from catalogue.models import Dataset
from wxs import mapproxy, mapserver


def layer_changed(dataset: Dataset) -> None:
    """Regenerate the dataset's mapfile and drop its cached tiles."""
    if dataset.has_data:
        mapserver.write_mapfile(dataset)
    mapproxy.invalidate(dataset)
