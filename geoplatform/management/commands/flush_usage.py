from django.core.management.base import BaseCommand

from geoplatform import statistics


class Command(BaseCommand):
    help = "Move the usage counters from Redis into the database (what the flush_usage Celery task does)."

    def handle(self, *args, **options) -> None:
        moved = statistics.flush()
        self.stdout.write(f"{moved} usage(s) moved to the database.")
