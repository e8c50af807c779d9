from django.core.management.base import BaseCommand

from wxs import pygeoapi


class Command(BaseCommand):
    help = "Print the pygeoapi configuration served at /ogcapi/ (validated; the database password is hidden)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(pygeoapi.config_text())
