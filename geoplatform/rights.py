"""The rights choke point.

Every page, API endpoint and OGC request that shows or serves a dataset asks `can()` (one object)
or `visible()` (a queryset) here, and nowhere else decides who sees what.
"""

from enum import StrEnum
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

if TYPE_CHECKING:
    from catalogue.models import Dataset

    from .models import User


class Action(StrEnum):
    VIEW_METADATA = "view_metadata"
    VIEW_DATA = "view_data"
    DOWNLOAD = "download"
    EDIT = "edit"
    ADMINISTER = "administer"


READ_ACTIONS = {Action.VIEW_METADATA, Action.VIEW_DATA, Action.DOWNLOAD}


def _is_admin(user: "User | AnonymousUser") -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def visibility_filter(user: "User | AnonymousUser", action: Action = Action.VIEW_METADATA) -> Q:
    """The Q object selecting the datasets `user` may do `action` on."""
    if _is_admin(user):
        return Q()
    producer_orgs = Q(organisation__memberships__user_id=user.pk, organisation__memberships__role="producer")
    if action not in READ_ACTIONS:
        return producer_orgs if user.is_authenticated else Q(pk__in=[])
    allowed = Q(public=True)
    if user.is_authenticated and user.is_active:
        allowed |= Q(organisation__memberships__user_id=user.pk)
    return allowed


def visible(
    user: "User | AnonymousUser", queryset: QuerySet, action: Action = Action.VIEW_METADATA
) -> QuerySet:
    return queryset.filter(visibility_filter(user, action)).distinct()


def can(user: "User | AnonymousUser", action: Action, dataset: "Dataset") -> bool:
    if _is_admin(user):
        return True
    if action in READ_ACTIONS and dataset.public:
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    roles = set(dataset.organisation.memberships.filter(user_id=user.pk).values_list("role", flat=True))
    if action in READ_ACTIONS:
        return bool(roles)
    return "producer" in roles


def get_or_404(user: "User | AnonymousUser", queryset: QuerySet, action: Action, **lookup) -> "Dataset":
    """Fetch one dataset the user may act on; anything else is indistinguishable from absent."""
    obj = queryset.filter(**lookup).select_related("organisation").first()
    if obj is None or not can(user, action, obj):
        raise Http404
    return obj


def producer_organisations(user: "User | AnonymousUser") -> QuerySet:
    from .models import Organisation

    if not user.is_authenticated:
        return Organisation.objects.none()
    if _is_admin(user):
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user, memberships__role="producer")


def may_produce(user: "User | AnonymousUser") -> bool:
    return producer_organisations(user).exists()
