from celery import shared_task

from .services import cleanup_expired, run_job


@shared_task(acks_late=True, reject_on_worker_lost=True, max_retries=2)
def run_download_task(job_id: str) -> str | None:
    """Celery entry point of a deferred download; a retried job (killed worker) starts again from scratch."""
    job = run_job(job_id)
    return job.status if job is not None else None


@shared_task
def cleanup_expired_downloads() -> int:
    """Remove the zips whose link has expired (Celery beat, every hour)."""
    return cleanup_expired()
