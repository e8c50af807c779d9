from django.core.management.base import BaseCommand

from downloads.services import cleanup_expired


class Command(BaseCommand):
    help = "Remove the zips of downloads whose link has expired (what Celery beat runs every hour)."

    def handle(self, *args, **options) -> None:
        count = cleanup_expired()
        self.stdout.write(f"{count} expired download(s) removed")
