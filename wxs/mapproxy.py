"""MapProxy, the engine behind WMTS and TMS: the only module that knows it."""

from catalogue.models import Dataset


def invalidate(dataset: Dataset) -> None:
    """Forget the cached tiles of `dataset` (its data, style or rights changed)."""
