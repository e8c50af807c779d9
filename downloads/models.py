import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DownloadJob(models.Model):
    """One download: direct (streamed while built) or deferred (a Celery job writing a zip kept a few days).

    Direct downloads are recorded too: they count in quotas and in the user's history like deferred ones.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("en attente")
        RUNNING = "running", _("en cours")
        SUCCEEDED = "succeeded", _("terminé")
        FAILED = "failed", _("échec")
        CANCELLED = "cancelled", _("annulé")

    class Mode(models.TextChoices):
        DIRECT = "direct", _("direct")
        DEFERRED = "deferred", _("différé")

    FINISHED = {Status.SUCCEEDED, Status.FAILED, Status.CANCELLED}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="download_jobs"
    )
    session_key = models.CharField(max_length=40, blank=True)  # anonymous visitors' jobs
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.DEFERRED)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    items = models.JSONField(default=list)  # the normalised request: dataset, format, srid, clip, options
    estimated_size = models.BigIntegerField(default=0)
    size = models.BigIntegerField(null=True, blank=True)
    result = models.CharField(max_length=500, blank=True)  # path of the finished zip (never a partial one)
    attempts = models.PositiveSmallIntegerField(default=0)
    error_code = models.CharField(max_length=50, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("téléchargement")
        verbose_name_plural = _("téléchargements")
        indexes = [
            models.Index(fields=["user", "created_at"], name="download_user_created"),
            models.Index(fields=["status", "expires_at"], name="download_status_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def dataset_ids(self) -> list[int]:
        return [item["dataset"] for item in self.items]


class BasketItem(models.Model):
    """A dataset waiting in someone's basket, with its own format, CRS and clip; ordered as one job."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="basket_items"
    )
    session_key = models.CharField(max_length=40, blank=True)
    dataset = models.ForeignKey("catalogue.Dataset", on_delete=models.CASCADE, related_name="+")
    format = models.CharField(max_length=10)
    srid = models.PositiveIntegerField()
    clip = models.JSONField(null=True, blank=True)
    options = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("élément du panier")
        verbose_name_plural = _("éléments du panier")

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.format} EPSG:{self.srid}"

    def as_item(self) -> dict:
        return {"dataset": self.dataset_id, "format": self.format, "srid": self.srid, "clip": self.clip,
                **({"options": self.options} if self.options else {})}  # fmt: skip
