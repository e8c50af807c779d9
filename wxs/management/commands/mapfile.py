from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Dataset
from geoplatform.models import Organisation
from wxs import mapserver


class Command(BaseCommand):
    help = (
        "Print a generated mapfile: a dataset's (mapfile <id>), an organisation's (--org <slug>), the global service"
        " (--global), or the MapServer config file (--config). Services are shown as anonymous visitors see them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("dataset_id", nargs="?", type=int)
        parser.add_argument("--org", metavar="SLUG", help="the organisation service /ows/org/<slug>")
        parser.add_argument("--global", dest="global_", action="store_true", help="the global service /ows")
        parser.add_argument("--config", action="store_true", help="print mapserver.conf instead")
        parser.add_argument("--write", action="store_true", help="also (re)write the file on disk")

    def handle(self, *args, dataset_id=None, org=None, global_=False, config=False, write=False, **opts):
        from django.contrib.auth.models import AnonymousUser

        if config:
            self.stdout.write(mapserver.config_text())
            return
        if org or global_:
            organisation = None
            if org:
                organisation = Organisation.objects.filter(slug=org).first()
                if organisation is None:
                    raise CommandError(f"No organisation {org}.")
            entries = mapserver.caller_layers(AnonymousUser(), organisation)
            if write:
                mapserver.service_mapfile_for(organisation, entries)
            self.stdout.write(mapserver.service_mapfile_text(organisation, entries))
            return
        if dataset_id is None:
            raise CommandError("Give a dataset id, --org <slug>, --global or --config.")
        dataset = Dataset.objects.filter(pk=dataset_id).first()
        if dataset is None or not dataset.has_data:
            raise CommandError(f"No dataset {dataset_id} with data.")
        if write:
            mapserver.write_mapfile(dataset)
        self.stdout.write(mapserver.mapfile_text(dataset))
