"""Demo mode: create the demo organisations and accounts and import the demo region (idempotent)."""

import subprocess
import sys
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalogue.models import Dataset
from catalogue.services import publish
from geoplatform.models import Membership, Organisation, PlatformSettings, User
from importer.services.pipeline import create_import

ORGANISATIONS = {"commune-a": "Commune A", "departement-b": "Département B"}
ACCOUNTS = [
    # username, organisation slug, role, platform administrator
    ("admin", None, None, True),
    ("producteur-a", "commune-a", Membership.Role.PRODUCER, False),
    ("producteur-b", "departement-b", Membership.Role.PRODUCER, False),
    ("lecteur", None, None, False),
]
DATASETS = [
    # file, title, organisation slug, public
    ("communes.gpkg", "Communes de la région", "departement-b", True),
    ("arbres.gpkg", "Inventaire des arbres", "commune-a", True),
    ("zae.gpkg", "Zones d'activités économiques", "departement-b", False),
    ("temperature_surface.tif", "Température de surface (été)", "commune-a", False),
]


class Command(BaseCommand):
    help = "Create the demo organisations, the demo accounts (password: username + '-demo') and the demo region."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="run even when GP_DEMO is not set")
        parser.add_argument("--accounts-only", action="store_true")

    def handle(self, *args, force: bool = False, accounts_only: bool = False, **options) -> None:
        if not (settings.DEMO_MODE or force):
            raise CommandError("Demo accounts are only created in demo mode (GP_DEMO=1), or with --force.")
        Site.objects.update_or_create(
            pk=settings.SITE_ID,
            defaults={"domain": settings.SITE_URL.split("://", 1)[-1], "name": settings.PLATFORM_NAME},
        )
        organisations = self._accounts()
        if not accounts_only:
            self._region(organisations)

    @transaction.atomic
    def _accounts(self) -> dict[str, Organisation]:
        organisations = {
            slug: Organisation.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in ORGANISATIONS.items()
        }
        for username, org_slug, role, is_admin in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@demo.geoplateforme.local"}
            )
            if created:
                user.set_password(f"{username}-demo")
            user.is_staff = user.is_superuser = is_admin
            user.save()
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            if org_slug:
                Membership.objects.update_or_create(
                    user=user, organisation=organisations[org_slug], defaults={"role": role}
                )
            self.stdout.write(f"account {username} ({'created' if created else 'kept'})")
        return organisations

    def _region(self, organisations: dict[str, Organisation]) -> None:
        folder = Path(settings.DATA_DIR) / "demo-region"
        script = Path(settings.BASE_DIR) / "scripts" / "make_demo_region.py"
        missing = [name for name, *_ in DATASETS if not (folder / name).exists()]
        if missing:
            subprocess.run([sys.executable, str(script), str(folder)], check=True)
        admin = User.objects.get(username="admin")
        for filename, title, org_slug, public in DATASETS:
            organisation = organisations[org_slug]
            existing = Dataset.objects.filter(title=title, organisation=organisation, version__gt=0).first()
            if existing:
                self.stdout.write(f"dataset {title!r} already loaded")
                continue
            Dataset.objects.filter(title=title, organisation=organisation).delete()
            copy = folder / "imports" / filename
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes((folder / filename).read_bytes())
            job = create_import(
                user=admin, path=copy, filename=filename, organisation=organisation, title=title, run_now=True
            )
            if job.status != "succeeded":
                raise CommandError(f"demo import of {filename} failed: {job.error_code} {job.error_message}")
            if public:
                publish(job.dataset)
            self.stdout.write(f"dataset {title!r} loaded ({job.report.get('features', 'raster')})")
        communes = Dataset.objects.get(title=DATASETS[0][1], organisation=organisations[DATASETS[0][2]])
        PlatformSettings.objects.update_or_create(pk=1, defaults={"communes_dataset": communes})
