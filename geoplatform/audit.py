"""The audit log: every rights change and administrative action, with who, when, before and after."""

from django.db.models import Model
from django.forms.models import model_to_dict
from django.http import HttpRequest

from .models import AuditEvent


def snapshot(obj: Model | None, fields: list[str] | None = None) -> dict | None:
    """A JSON-able picture of a model instance, for `before` and `after`."""
    if obj is None:
        return None
    data = model_to_dict(obj, fields=fields)
    return {key: _jsonable(value) for key, value in data.items()}


def _jsonable(value: object) -> object:
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def record(
    request: HttpRequest | None,
    action: str,
    target: Model,
    *,
    before: dict | list | None = None,
    after: dict | list | None = None,
) -> AuditEvent:
    actor = getattr(request, "user", None)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        before=before,
        after=after,
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )
