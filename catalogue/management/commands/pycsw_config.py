from pathlib import Path

from django.core.management.base import BaseCommand

from catalogue import csw


class Command(BaseCommand):
    help = "Print pycsw's configuration (repository, provider, INSPIRE capabilities), or write it to a file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--write", metavar="PATH", help="Write the configuration to PATH instead of printing it.")

    def handle(self, *args, write: str | None = None, **options) -> None:
        if write:
            path = csw.write_config(Path(write))
            self.stderr.write(f"pycsw configuration written to {path}")
        else:
            self.stdout.write(csw.config_text(), ending="")
