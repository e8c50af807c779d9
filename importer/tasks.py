import shutil
import time
from datetime import timedelta
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import ImportJob, Upload
from .services.pipeline import run_import


@shared_task(acks_late=True, reject_on_worker_lost=True, max_retries=2)
def run_import_task(job_id: str) -> str:
    """Celery entry point of an import; a retried job (killed worker) starts again from scratch."""
    return run_import(job_id).status


@shared_task
def cleanup_stale_uploads(days: int = 7) -> int:
    """Forget uploads nobody finished or used within `days`."""
    limit = timezone.now() - timedelta(days=days)
    stale = Upload.objects.filter(updated_at__lt=limit)
    count = 0
    for upload in stale:
        if not ImportJob.objects.filter(source_path=str(upload.path), status__in=["queued", "running"]).exists():
            shutil.rmtree(upload.directory, ignore_errors=True)
            upload.delete()
            count += 1
    work = Path(settings.DATA_DIR) / "work"
    if work.exists():
        for folder in work.iterdir():
            if folder.stat().st_mtime < time.time() - days * 86400:
                shutil.rmtree(folder, ignore_errors=True)
    return count
