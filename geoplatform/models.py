from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person with an account. Platform administrators have `is_staff`."""

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
