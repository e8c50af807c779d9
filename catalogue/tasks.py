"""Catalogue background jobs."""

from celery import shared_task

from . import editor
from .models import Dataset


@shared_task
def generate_thumbnail(dataset_id: int) -> bool:
    """Draw the record's thumbnail from its map (MapServer) once the data are there."""
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    return dataset is not None and editor.generate_thumbnail(dataset)
