"""Run the pool of MapServer FastCGI workers in the foreground (Procfile `mapserver:`, compose service)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from wxs.mapserver import ensure_config, pool, runtime


class Command(BaseCommand):
    help = "Runs MapServer as a supervised pool of FastCGI workers on a unix socket."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=0, help="default: settings.MAPSERVER_WORKERS or CPU count")
        parser.add_argument("--socket", default="", help="default: settings.MAPSERVER_SOCKET or one per config file")

    def handle(self, *args, workers: int, socket: str, **options):
        path = socket or str(runtime.socket_path())
        count = workers or runtime.pool_workers()
        pool.serve(path, count, ensure_config(), str(settings.MAPSERVER_BIN))
