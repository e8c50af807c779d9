"""Every change to a record, its keywords, domains, contacts or grants refreshes what search and CSW read."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from geoplatform.models import Organisation

from . import records
from .models import Contact, Dataset, Grant, ResponsibleParty


@receiver(post_save, sender=Dataset)
def _dataset_saved(sender, instance: Dataset, raw: bool = False, **kwargs) -> None:
    if not raw:
        records.changed([instance.pk])


@receiver(m2m_changed, sender=Dataset.keywords.through)
@receiver(m2m_changed, sender=Dataset.domains.through)
def _dataset_terms_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    records.changed((pk_set or []) if reverse else [instance.pk])


@receiver(post_save, sender=ResponsibleParty)
@receiver(post_delete, sender=ResponsibleParty)
@receiver(post_save, sender=Grant)
@receiver(post_delete, sender=Grant)
def _dataset_part_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw and Dataset.objects.filter(pk=instance.dataset_id).exists():
        records.changed([instance.dataset_id])


@receiver(post_save, sender=Contact)
def _contact_saved(sender, instance: Contact, raw: bool = False, **kwargs) -> None:
    if not raw:
        records.changed(instance.parties.values_list("dataset_id", flat=True).distinct())


@receiver(post_save, sender=Organisation)
def _organisation_saved(sender, instance: Organisation, raw: bool = False, created: bool = False, **kwargs) -> None:
    if not raw and not created:
        records.changed(instance.datasets.values_list("pk", flat=True))
