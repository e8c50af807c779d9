"""What the services do when a dataset's data, style or rights change.

Every mapfile that shows a layer is compared, on use, with the layer's own mapfile (`dataset_<id>.map`):
rewriting that file here makes the dataset service, its territory variants and every global or organisation
service variant holding the layer stale, so none of them is served older than its content.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalogue.models import Dataset, Grant
from wxs import mapproxy, mapserver

logger = logging.getLogger(__name__)


def layer_changed(dataset: Dataset) -> None:
    """Regenerate the dataset's mapfile (so every service showing it is regenerated) and drop its cached tiles."""
    if dataset.has_data:
        mapserver.write_mapfile(dataset)
    mapproxy.invalidate(dataset)


def _rewrite_later(dataset_id: int, tiles: bool) -> None:
    def rewrite() -> None:
        dataset = Dataset.objects.select_related("organisation").filter(pk=dataset_id).first()
        if dataset is None:
            return
        try:  # a service file failing to regenerate must not undo the save; the next request retries
            if tiles:
                layer_changed(dataset)
            elif dataset.has_data:
                mapserver.write_mapfile(dataset)
        except Exception:
            logger.exception("Mapfile of dataset %s not regenerated", dataset_id)

    transaction.on_commit(rewrite)


@receiver(post_save, sender=Dataset)
def _dataset_saved(sender, instance: Dataset, raw: bool = False, **kwargs) -> None:
    """Title, abstract, publication, new data version: the mapfiles follow (tiles are H4's signature's business)."""
    if not raw:
        _rewrite_later(instance.pk, tiles=False)


@receiver(post_save, sender=Grant)
@receiver(post_delete, sender=Grant)
def _grant_changed(sender, instance: Grant, raw: bool = False, **kwargs) -> None:
    if not raw:
        _rewrite_later(instance.dataset_id, tiles=True)


@receiver(post_save, sender="wxs.Style")
@receiver(post_delete, sender="wxs.Style")
def _style_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """Every style is a WMS style of the layer: its mapfiles follow; tiles only draw the default one."""
    if raw:
        return
    from wxs.styles import drop_territory_variants

    dataset_id, default = instance.dataset_id, instance.is_default
    transaction.on_commit(lambda: drop_territory_variants(Dataset(pk=dataset_id)))
    _rewrite_later(dataset_id, tiles=default)
