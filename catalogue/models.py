from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from geoplatform.models import Domain, Organisation, Territory, UserGroup


class Dataset(models.Model):
    """A described layer: its record, and where its current data version lives."""

    class Kind(models.TextChoices):
        VECTOR = "vector", _("vecteur")
        RASTER = "raster", _("raster")

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
