"""Demo mode: create the demo organisations and accounts and import the demo region (idempotent)."""

import subprocess
import sys
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalogue import thesauri
from catalogue.models import Contact, Dataset, Keyword, ResponsibleParty
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
DEMO_MAP = "Arbres et communes (démonstration)"
DATASETS = [
    # file, title, organisation slug, public
    ("communes.gpkg", "Communes de la région", "departement-b", True),
    ("arbres.gpkg", "Inventaire des arbres", "commune-a", True),
    ("zae.gpkg", "Zones d'activités économiques", "departement-b", False),
    ("temperature_surface.tif", "Température de surface (été)", "commune-a", False),
]

# What the producers wrote about each demo dataset: abstract, lineage, scale, frequency, INSPIRE theme, ISO topic,
# GEMET concepts and free keywords.
DESCRIPTIONS = {
    "Communes de la région": {
        "abstract": "Limites des communes de la région, avec leur code INSEE, leur nom et leur population.",
        "lineage": "Extrait du référentiel administratif, généralisé au 1/25 000, mis à jour au 1er janvier.",
        "scale_denominator": 25000,
        "update_frequency": Dataset.Frequency.ANNUALLY,
        "keywords": {"inspire_theme": ["au"], "iso_topic": ["boundaries"], "gemet": ["population"]},
        "free": ["limites administratives", "INSEE"],
    },
    "Inventaire des arbres": {
        "abstract": "Arbres d'alignement et arbres remarquables gérés par la commune : essence, hauteur, "
        "date de plantation.",
        "lineage": "Relevés de terrain du service des espaces verts au GPS, saisis dans le SIG communal.",
        "scale_denominator": 2000,
        "update_frequency": Dataset.Frequency.CONTINUAL,
        "keywords": {"inspire_theme": ["sd"], "iso_topic": ["biota"], "gemet": ["tree", "urban-area"]},
        "free": ["patrimoine arboré", "espaces verts"],
    },
    "Zones d'activités économiques": {
        "abstract": "Périmètres des zones d'activités économiques du département et leur vocation.",
        "lineage": "Numérisation des périmètres des documents d'urbanisme sur l'orthophotographie.",
        "scale_denominator": 5000,
        "update_frequency": Dataset.Frequency.AS_NEEDED,
        "keywords": {"inspire_theme": ["lu"], "iso_topic": ["economy"], "gemet": ["industrial-zone"]},
        "free": ["foncier économique"],
    },
    "Température de surface (été)": {
        "abstract": "Température de surface estivale dérivée d'images satellitaires, pour repérer les îlots "
        "de chaleur.",
        "lineage": "Bande thermique d'images Landsat d'été, corrigée de l'émissivité, rééchantillonnée à 30 m.",
        "resolution_m": 30.0,
        "update_frequency": Dataset.Frequency.ANNUALLY,
        "keywords": {
            "inspire_theme": ["ac"],
            "iso_topic": ["climatologyMeteorologyAtmosphere"],
            "gemet": ["climate"],
        },
        "free": ["îlots de chaleur"],
    },
}


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
        thesauri.load()  # reference data; a flushed database (tests) no longer has what the migration loaded
        for _filename, title, org_slug, _public in DATASETS:
            self._describe(Dataset.objects.get(title=title, organisation=organisations[org_slug]))
        communes = Dataset.objects.get(title=DATASETS[0][1], organisation=organisations[DATASETS[0][2]])
        PlatformSettings.objects.update_or_create(pk=1, defaults={"communes_dataset": communes})
        self._map(organisations)

    def _map(self, organisations: dict[str, Organisation]) -> None:
        """A public map of Commune A over the demo layers (the private one shows only to those entitled)."""
        from viewer import owscontext, services
        from viewer.models import Map

        if Map.objects.filter(record__title=DEMO_MAP).exists():
            return
        layers = [
            ("Inventaire des arbres", "commune-a", "/Nature"),
            ("Zones d'activités économiques", "departement-b", "/Économie"),
            ("Communes de la région", "departement-b", "/Limites administratives"),
        ]
        resources = [
            owscontext.dataset_resource(
                Dataset.objects.get(title=title, organisation=organisations[slug]), folder=folder, opacity=0.9
            )
            for title, slug, folder in layers
        ]
        context = owscontext.new_context(
            DEMO_MAP, resources, subtitle="Les arbres de la commune A sur les limites communales de la région."
        )
        producer = User.objects.get(username="producteur-a")
        services.create_map(producer, context, organisations["commune-a"], public=True)
        self.stdout.write(f"map {DEMO_MAP!r} created")

    @transaction.atomic
    def _describe(self, dataset: Dataset) -> None:
        """Give a demo dataset the record its producer would have written (once: later edits are kept)."""
        if dataset.keywords.exists():
            return
        spec = dict(DESCRIPTIONS[dataset.title])
        keywords = spec.pop("keywords")
        free = spec.pop("free")
        for field, value in spec.items():
            setattr(dataset, field, value)
        dataset.save()
        chosen = [Keyword.objects.get(thesaurus=thesaurus, code=code) for thesaurus, codes in keywords.items()
                  for code in codes]  # fmt: skip
        chosen += [
            Keyword.objects.get_or_create(thesaurus="free", code=label.lower(), defaults={"label": label})[0]
            for label in free
        ]
        dataset.keywords.set(chosen)
        organisation = dataset.organisation
        contact, _ = Contact.objects.get_or_create(
            organisation=organisation,
            email=f"sig@{organisation.slug}.demo.geoplateforme.local",
            defaults={"organisation_name": organisation.name, "name": "Service SIG", "city": "Orléans"},
        )
        roles = [(ResponsibleParty.Role.CUSTODIAN, False), (ResponsibleParty.Role.POINT_OF_CONTACT, True)]
        for role, for_metadata in roles:
            ResponsibleParty.objects.get_or_create(
                dataset=dataset, contact=contact, role=role, for_metadata=for_metadata
            )
