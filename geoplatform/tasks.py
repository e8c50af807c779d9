from celery import shared_task

from . import statistics


@shared_task(ignore_result=True)
def flush_usage() -> int:
    """Move the usage counters from Redis into the database (beat: every minute)."""
    return statistics.flush()
