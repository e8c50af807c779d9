import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models as gis_models
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Territory(models.Model):
    """An area a user, group, organisation or grant is restricted to: a multipolygon, possibly built from
    communes of the reference layer (their INSEE codes are kept to show and edit it)."""

    name = models.CharField(_("nom"), max_length=200)
    insee_codes = models.JSONField(_("codes INSEE des communes"), default=list, blank=True)
    geometry = gis_models.MultiPolygonField(_("géométrie"), srid=4326)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("territoire")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person with an account. Platform administrators have `is_staff`."""

    territory = models.ForeignKey(
        Territory, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("territoire")
    )

    @property
    def is_platform_admin(self) -> bool:
        return self.is_active and (self.is_staff or self.is_superuser)

    def producer_organisations(self) -> models.QuerySet["Organisation"]:
        return Organisation.objects.filter(memberships__user=self, memberships__role=Membership.Role.PRODUCER)

    def organisations(self) -> models.QuerySet["Organisation"]:
        return Organisation.objects.filter(memberships__user=self)


class Organisation(models.Model):
    """A local authority, State service or association that pools data on the platform."""

    name = models.CharField(_("nom"), max_length=200, unique=True)
    slug = models.SlugField(_("identifiant"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("site web"), blank=True)
    logo = models.FileField(_("logo"), upload_to="logos/", blank=True)
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("adresse du contact"), blank=True)
    is_partner = models.BooleanField(
        _("partenaire de la plateforme"), default=False, help_text=_("Reçoit ce qui est partagé « aux partenaires ».")
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("territoire")
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="+")

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        PRODUCER = "producer", _("producteur")
        MEMBER = "member", _("membre")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")]
        verbose_name = _("appartenance")

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


class UserGroup(models.Model):
    """A group of people across organisations (e.g. "Services de l'État", "EPCI du Cher")."""

    name = models.CharField(_("nom"), max_length=200, unique=True)
    slug = models.SlugField(_("identifiant"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="platform_groups", blank=True)
    territory = models.ForeignKey(
        Territory, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("territoire")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("groupe")

    def __str__(self) -> str:
        return self.name


class Domain(models.Model):
    """A thematic domain (or sub-domain, with a parent) that classifies datasets, with its own administrators."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("domaine")
    )
    administrators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="administered_domains", blank=True)

    class Meta:
        ordering = ["parent__name", "name"]
        verbose_name = _("domaine")

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class PlatformSettings(models.Model):
    """What administrators set for the whole platform; a single row (pk 1), defaults from the environment."""

    name = models.CharField(_("nom de la plateforme"), max_length=100, blank=True)
    tagline = models.CharField(_("accroche"), max_length=200, blank=True)
    logo = models.FileField(_("logo"), upload_to="platform/", blank=True)
    primary_color = models.CharField(_("couleur principale"), max_length=7, blank=True)
    default_extent = models.JSONField(_("emprise par défaut (WGS84)"), default=list, blank=True)
    base_maps = models.JSONField(_("fonds de carte"), default=list, blank=True)
    contact_email = models.EmailField(_("adresse de contact"), blank=True)
    legal_notice = models.TextField(_("mentions légales"), blank=True)
    terms_of_use = models.TextField(_("conditions d'utilisation"), blank=True)
    home_text = models.TextField(_("texte de la page d'accueil"), blank=True)
    communes_dataset = models.ForeignKey(
        "catalogue.Dataset",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("couche de référence des communes"),
        help_text=_("Ses champs « insee » et « nom » servent à définir les territoires par communes."),
    )
    require_admin_mfa = models.BooleanField(
        _("double authentification obligatoire pour les administrateurs"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réglages de la plateforme")

    def __str__(self) -> str:
        return self.name or settings.PLATFORM_NAME

    @classmethod
    def load(cls) -> "PlatformSettings":
        return cls.objects.get_or_create(pk=1)[0]


class AuditEvent(models.Model):
    """Who changed what, when: every rights change and administrative action, with before and after."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, db_index=True)
    target_id = models.CharField(max_length=100, blank=True)
    target_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("événement du journal")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_repr}"


class ApiToken(models.Model):
    """A personal access key for the API and OGC clients; only its hash is stored, it can be revoked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("clé d'accès")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: "User", name: str) -> tuple["ApiToken", str]:
        """Create a token; the clear key is returned once and never stored."""
        key = secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, prefix=key[:8], key_hash=cls.hash(key)), key

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class UsageCount(models.Model):
    """Usage statistics, aggregated per day: page views, downloads and OGC requests."""

    class Kind(models.TextChoices):
        PAGE = "page", _("consultation")
        DOWNLOAD = "download", _("téléchargement")
        OGC = "ogc", _("requête OGC")

    day = models.DateField(db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    service = models.CharField(max_length=20, blank=True)  # WMS, WFS, WMTS… for OGC requests
    dataset = models.ForeignKey("catalogue.Dataset", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "service", "dataset", "user"],
                name="unique_usage_count",
                nulls_distinct=False,
            )
        ]
        verbose_name = _("statistique d'usage")

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.service} {self.dataset_id} {self.count}"


class GazetteerLayer(models.Model):
    """A layer an administrator made searchable in the viewer's place search, by one of its text attributes."""

    dataset = models.OneToOneField(
        "catalogue.Dataset", on_delete=models.CASCADE, related_name="gazetteer", verbose_name=_("jeu de données")
    )
    label_field = models.CharField(
        _("attribut du nom"), max_length=63, help_text=_("L'attribut dont la valeur est le nom cherché.")
    )
    enabled = models.BooleanField(_("active dans la recherche de lieux"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dataset__title"]
        verbose_name = _("couche de recherche de lieux")
        verbose_name_plural = _("couches de recherche de lieux")

    def __str__(self) -> str:
        return f"{self.dataset.title} ({self.label_field})"

    @property
    def name(self) -> str:
        return str(self)
