"""What a layer looks like: the styles of a dataset, one of which every service draws with."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalogue.models import Dataset


class Style(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("symbole unique")
        CATEGORISED = "categorised", _("catégorisé")
        GRADUATED = "graduated", _("gradué")
        SLD = "sld", _("SLD importé")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="styles")
    name = models.CharField(_("nom"), max_length=100)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.SINGLE)
    definition = models.JSONField(_("définition"), default=dict, blank=True)
    # Kind `sld`: the imported document and the CLASS blocks MapServer read from it.
    sld = models.TextField(blank=True)
    engine_classes = models.TextField(blank=True)
    is_default = models.BooleanField(_("style par défaut"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("style")
        verbose_name_plural = _("styles")
        constraints = [
            models.UniqueConstraint(
                fields=["dataset"], condition=models.Q(is_default=True), name="one_default_style_per_dataset"
            ),
            models.UniqueConstraint(fields=["dataset", "name"], name="style_name_unique_per_dataset"),
        ]

    def __str__(self) -> str:
        return self.name
