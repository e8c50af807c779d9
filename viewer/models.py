"""Maps composed by producers: an OWS Context (OGC 14-055r2, GeoJSON) behind a catalogue record of type map."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalogue.models import Dataset


class Map(models.Model):
    """A saved map. Its record (resource type `map`) carries title, abstract, organisation and rights:
    who may see or edit the map is what `rights.decide()` answers for the record."""

    # The map's id is its record's id: /cartes/<id>/ and /donnees/<id>/ name the same thing.
    record = models.OneToOneField(Dataset, on_delete=models.CASCADE, primary_key=True, related_name="map")
    context = models.JSONField(_("contexte OWS"), default=dict)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("carte")
        verbose_name_plural = _("cartes")

    def __str__(self) -> str:
        return self.record.title

    def get_absolute_url(self) -> str:
        return reverse("viewer:map", args=[self.pk])


class MapVersion(models.Model):
    """Each saved state of a map, so that an earlier composition can be read back."""

    map = models.ForeignKey(Map, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    context = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["map", "version"], name="one_row_per_map_version")]

    def __str__(self) -> str:
        return f"{self.map} v{self.version}"
