import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from geoplatform.models import Domain, Organisation, Territory, UserGroup


class Keyword(models.Model):
    """A keyword of a thesaurus (INSPIRE themes, ISO topic categories, GEMET) or a free keyword."""

    class Thesaurus(models.TextChoices):
        INSPIRE_THEME = "inspire_theme", _("thèmes INSPIRE")
        ISO_TOPIC = "iso_topic", _("catégories thématiques ISO")
        GEMET = "gemet", _("GEMET")
        FREE = "free", _("mots-clés libres")

    thesaurus = models.CharField(_("thésaurus"), max_length=20, choices=Thesaurus.choices)
    code = models.CharField(_("code"), max_length=100, help_text=_("Code INSPIRE (hy), code ISO (inlandWaters)…"))
    label = models.CharField(_("libellé"), max_length=200)
    label_en = models.CharField(_("libellé anglais"), max_length=200, blank=True)
    uri = models.URLField(_("URI"), max_length=300, blank=True)

    class Meta:
        ordering = ["thesaurus", "label"]
        verbose_name = _("mot-clé")
        constraints = [models.UniqueConstraint(fields=["thesaurus", "code"], name="unique_keyword_code")]

    def __str__(self) -> str:
        return self.label


class Contact(models.Model):
    """A responsible party (person or service), kept once and reused across records."""

    name = models.CharField(_("nom de la personne"), max_length=200, blank=True)
    organisation_name = models.CharField(_("organisme"), max_length=200)
    position = models.CharField(_("fonction"), max_length=200, blank=True)
    email = models.EmailField(_("courriel"))
    phone = models.CharField(_("téléphone"), max_length=50, blank=True)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=20, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    country = models.CharField(_("pays"), max_length=100, blank=True, default="France")
    url = models.URLField(_("site web"), blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("organisation de la plateforme"),
    )

    class Meta:
        ordering = ["organisation_name", "name"]
        verbose_name = _("contact")

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation_name})" if self.name else self.organisation_name


class Dataset(models.Model):
    """A catalogue record (ISO 19115 / INSPIRE, mapped to DCAT-AP) and, for data, where its current version lives."""

    class Kind(models.TextChoices):
        VECTOR = "vector", _("vecteur")
        RASTER = "raster", _("raster")

    class ResourceType(models.TextChoices):  # ISO MD_ScopeCode values
        DATASET = "dataset", _("jeu de données")
        SERIES = "series", _("série de données")
        SERVICE = "service", _("service")
        MAP = "map", _("carte")
        TABLE = "nonGeographicDataset", _("table non géographique")

    class Frequency(models.TextChoices):  # ISO MD_MaintenanceFrequencyCode
        CONTINUAL = "continual", _("en continu")
        DAILY = "daily", _("quotidienne")
        WEEKLY = "weekly", _("hebdomadaire")
        FORTNIGHTLY = "fortnightly", _("bimensuelle")
        MONTHLY = "monthly", _("mensuelle")
        QUARTERLY = "quarterly", _("trimestrielle")
        BIANNUALLY = "biannually", _("semestrielle")
        ANNUALLY = "annually", _("annuelle")
        AS_NEEDED = "asNeeded", _("quand nécessaire")
        IRREGULAR = "irregular", _("irrégulière")
        NOT_PLANNED = "notPlanned", _("non planifiée")
        UNKNOWN = "unknown", _("inconnue")

    class Licence(models.TextChoices):
        LO_2 = "lo-2.0", _("Licence Ouverte 2.0 (Etalab)")
        ODBL = "odbl-1.0", _("ODbL 1.0")
        CC_BY = "cc-by-4.0", _("CC BY 4.0")
        CC0 = "cc0-1.0", _("CC0 1.0")
        OTHER = "other", _("autre licence")

    class AccessConstraint(models.TextChoices):  # INSPIRE LimitationsOnPublicAccess
        NONE = "noLimitations", _("pas de restriction d'accès public")
        ARTICLE_13_1_A = "INSPIRE_Directive_Article13_1a", _("confidentialité des travaux des autorités (13.1.a)")
        ARTICLE_13_1_B = "INSPIRE_Directive_Article13_1b", _("relations internationales, sécurité publique (13.1.b)")
        ARTICLE_13_1_C = "INSPIRE_Directive_Article13_1c", _("bonne marche de la justice (13.1.c)")
        ARTICLE_13_1_D = "INSPIRE_Directive_Article13_1d", _("confidentialité commerciale ou industrielle (13.1.d)")
        ARTICLE_13_1_E = "INSPIRE_Directive_Article13_1e", _("droits de propriété intellectuelle (13.1.e)")
        ARTICLE_13_1_F = "INSPIRE_Directive_Article13_1f", _("confidentialité des données personnelles (13.1.f)")
        ARTICLE_13_1_G = (
            "INSPIRE_Directive_Article13_1g",
            _("protection des personnes ayant fourni l'information (13.1.g)"),
        )
        ARTICLE_13_1_H = "INSPIRE_Directive_Article13_1h", _("protection de l'environnement (13.1.h)")

    class Conformity(models.TextChoices):  # INSPIRE degree of conformity
        CONFORMANT = "conformant", _("conforme")
        NOT_CONFORMANT = "notConformant", _("non conforme")
        NOT_EVALUATED = "notEvaluated", _("non évalué")

    title = models.CharField(_("titre"), max_length=255)
    abstract = models.TextField(_("résumé"), blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="datasets")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    public = models.BooleanField(_("public"), default=False)
    domains = models.ManyToManyField(Domain, blank=True, related_name="datasets", verbose_name=_("domaines"))
    territory_restricted = models.BooleanField(
        _("restreint au territoire de chacun"),
        default=False,
        help_text=_("Chaque utilisateur ne voit et ne télécharge que les objets de son territoire."),
    )
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Description (ISO 19115 / INSPIRE).
    uuid = models.UUIDField(_("identifiant de la fiche"), default=uuid.uuid4, unique=True, editable=False)
    resource_type = models.CharField(
        _("type de ressource"), max_length=30, choices=ResourceType.choices, default=ResourceType.DATASET
    )
    language = models.CharField(_("langue de la ressource"), max_length=3, default="fre")
    keywords = models.ManyToManyField(Keyword, blank=True, related_name="datasets", verbose_name=_("mots-clés"))
    lineage = models.TextField(_("généalogie"), blank=True)
    scale_denominator = models.PositiveIntegerField(_("échelle (1/…)"), null=True, blank=True)
    resolution_m = models.FloatField(_("résolution (mètres)"), null=True, blank=True)
    temporal_start = models.DateField(_("début de l'étendue temporelle"), null=True, blank=True)
    temporal_end = models.DateField(_("fin de l'étendue temporelle"), null=True, blank=True)
    data_created = models.DateField(_("date de création des données"), null=True, blank=True)
    data_revised = models.DateField(_("date de dernière révision des données"), null=True, blank=True)
    update_frequency = models.CharField(
        _("fréquence de mise à jour"), max_length=20, choices=Frequency.choices, default=Frequency.UNKNOWN
    )
    licence = models.CharField(_("licence"), max_length=20, choices=Licence.choices, default=Licence.LO_2)
    licence_other = models.CharField(
        _("autre licence"), max_length=300, blank=True, help_text=_("Nom ou adresse de la licence, si « autre ».")
    )
    access_constraint = models.CharField(
        _("restriction d'accès public"),
        max_length=40,
        choices=AccessConstraint.choices,
        default=AccessConstraint.NONE,
    )
    use_constraints = models.TextField(_("conditions d'utilisation"), blank=True)
    conformity_specification = models.CharField(
        _("spécification de conformité"),
        max_length=300,
        default="Règlement (UE) n° 1089/2010 de la Commission du 23 novembre 2010 portant modalités d'application "
        "de la directive 2007/2/CE en ce qui concerne l'interopérabilité des séries et des services de données "
        "géographiques",
    )
    conformity_date = models.DateField(_("date de la spécification"), null=True, blank=True, default="2010-12-08")
    conformity_degree = models.CharField(
        _("degré de conformité"), max_length=20, choices=Conformity.choices, default=Conformity.NOT_EVALUATED
    )
    data_format = models.CharField(_("format des données"), max_length=50, blank=True)
    thumbnail = models.ImageField(_("vignette"), upload_to="thumbnails/", blank=True)

    # Kept up to date by catalogue.records.refresh(): what search, facets and pycsw read.
    search_vector = SearchVectorField(null=True, editable=False)
    facet_terms = ArrayField(models.CharField(max_length=120), default=list, blank=True, editable=False)
    anonymous_visible = models.BooleanField(default=False, editable=False)
    iso_xml = models.TextField(blank=True, editable=False)

    # Current data version (empty until a first import succeeds).
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.VECTOR)
    version = models.PositiveIntegerField(_("version"), default=0)
    table_name = models.CharField(max_length=63, blank=True)
    raster_path = models.CharField(max_length=500, blank=True)
    source_filename = models.CharField(_("fichier source"), max_length=255, blank=True)
    srid = models.PositiveIntegerField(_("système de coordonnées (EPSG)"), null=True, blank=True)
    geometry_type = models.CharField(_("type de géométrie"), max_length=30, blank=True)
    feature_count = models.BigIntegerField(_("nombre d'objets"), null=True, blank=True)
    bbox = models.JSONField(_("emprise (SRS source)"), null=True, blank=True)
    bbox_wgs84 = models.JSONField(_("emprise (WGS84)"), null=True, blank=True)
    attributes = models.JSONField(_("attributs"), default=list, blank=True)
    raster_info = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-published_at", "-updated_at"]
        verbose_name = _("jeu de données")
        verbose_name_plural = _("jeux de données")
        indexes = [
            GinIndex(fields=["search_vector"], name="dataset_search_vector"),
            GinIndex(fields=["facet_terms"], name="dataset_facet_terms"),
            models.Index(fields=["anonymous_visible", "updated_at"], name="dataset_anonymous_updated"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalogue:dataset", args=[self.pk])

    @property
    def has_data(self) -> bool:
        return self.version > 0

    @property
    def layer_name(self) -> str:
        """Name of the layer in OGC services."""
        return f"ds{self.pk}"

    @property
    def qualified_table(self) -> tuple[str, str]:
        return (settings.LAYERS_SCHEMA, self.table_name)


class Grant(models.Model):
    """One permission on one dataset: an action, to whom, and optionally only within a territory.

    A grant of an action also gives the lesser ones (download ⊃ view data ⊃ view metadata).
    """

    class Action(models.TextChoices):
        VIEW_METADATA = "view_metadata", _("voir la fiche")
        VIEW_DATA = "view_data", _("voir les données")
        DOWNLOAD = "download", _("télécharger")
        EDIT = "edit", _("modifier les données")
        ADMINISTER = "administer", _("administrer")

    class Grantee(models.TextChoices):
        ANYONE = "anyone", _("tout le monde")
        REGISTERED = "registered", _("utilisateurs inscrits")
        ORGANISATION = "organisation", _("une organisation")
        PARTNERS = "partners", _("partenaires de la plateforme")
        GROUP = "group", _("un groupe")
        USER = "user", _("un utilisateur")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="grants")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    grantee = models.CharField(_("bénéficiaire"), max_length=20, choices=Grantee.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    group = models.ForeignKey(UserGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("droit")
        constraints = [
            models.CheckConstraint(
                name="grant_names_its_grantee",
                condition=(
                    models.Q(grantee__in=["anyone", "registered", "partners"], organisation=None, group=None, user=None)
                    | models.Q(grantee="organisation", organisation__isnull=False, group=None, user=None)
                    | models.Q(grantee="group", group__isnull=False, organisation=None, user=None)
                    | models.Q(grantee="user", user__isnull=False, organisation=None, group=None)
                ),
            )
        ]

    def __str__(self) -> str:
        who = self.organisation or self.group or self.user or self.get_grantee_display()
        return f"{self.get_action_display()} → {who}"


class ResponsibleParty(models.Model):
    """A contact's role for one record (ISO CI_ResponsibleParty): for the resource, or for the record itself."""

    class Role(models.TextChoices):  # ISO CI_RoleCode
        RESOURCE_PROVIDER = "resourceProvider", _("fournisseur")
        CUSTODIAN = "custodian", _("gestionnaire")
        OWNER = "owner", _("propriétaire")
        USER = "user", _("utilisateur")
        DISTRIBUTOR = "distributor", _("distributeur")
        ORIGINATOR = "originator", _("commanditaire")
        POINT_OF_CONTACT = "pointOfContact", _("point de contact")
        PRINCIPAL_INVESTIGATOR = "principalInvestigator", _("maître d'œuvre principal")
        PROCESSOR = "processor", _("producteur (traitement)")
        PUBLISHER = "publisher", _("éditeur")
        AUTHOR = "author", _("auteur")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="parties")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(_("rôle"), max_length=30, choices=Role.choices, default=Role.POINT_OF_CONTACT)
    for_metadata = models.BooleanField(
        _("contact de la fiche"), default=False, help_text=_("Responsable de la fiche de métadonnées elle-même.")
    )

    class Meta:
        ordering = ["for_metadata", "id"]
        verbose_name = _("responsable")

    def __str__(self) -> str:
        return f"{self.contact} – {self.get_role_display()}"


class DatasetLink(models.Model):
    """A distribution or related resource given by hand (the platform's own services are added automatically)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="extra_links")
    url = models.URLField(_("adresse"), max_length=1000)
    name = models.CharField(_("nom"), max_length=255)
    protocol = models.CharField(
        _("protocole"), max_length=100, blank=True, help_text=_("OGC:WMS, OGC:WFS, WWW:DOWNLOAD-1.0-http--download…")
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("lien")

    def __str__(self) -> str:
        return self.name


class Attachment(models.Model):
    """A document attached to a record (specification, data dictionary…)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("fichier"), upload_to="attachments/")
    title = models.CharField(_("titre"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("pièce jointe")

    def __str__(self) -> str:
        return self.title


class RecordRevision(models.Model):
    """One saved change of a record: who, when, and the fields before and after."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="revisions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(_("origine"), max_length=30, default="editor")  # editor, api, iso_import, import
    changes = models.JSONField(_("changements"), default=dict)  # field -> [before, after]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("révision de fiche")

    def __str__(self) -> str:
        return f"{self.dataset} @ {self.created_at:%Y-%m-%d %H:%M}"
