"""The rights choke point.

Every page, API endpoint and OGC request that shows or serves a dataset asks here, and nowhere else decides
who sees what: `decide()` answers "may this user do this action on this dataset, and within which territory?",
`can()` is its yes/no, `visible()` filters a queryset the same way.

Who may do what:
- platform administrators: everything;
- producers of the owning organisation and administrators of one of the dataset's domains: everything;
- members of the owning organisation: read (metadata, data, download);
- anyone, for a public dataset: read;
- grants (`catalogue.Grant`): an action for anyone, registered users, an organisation, the platform partners,
  a group or a user, optionally only within a territory. A grant of an action gives the lesser ones.
A dataset "restricted to each user's territory" serves data to people outside its organisation only within
their own territory (theirs, their organisations' and their groups').
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db.models import Exists, OuterRef, Q, QuerySet
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


ORDER = list(Action)
READ_ACTIONS = {Action.VIEW_METADATA, Action.VIEW_DATA, Action.DOWNLOAD}
# Actions whose answer depends on a territory: what is served, not whether the record is seen.
DATA_ACTIONS = {Action.VIEW_DATA, Action.DOWNLOAD}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    territory: GEOSGeometry | None = None  # WGS84 multipolygon the answer is limited to; None: everywhere
    territory_ids: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def restricted(self) -> bool:
        return self.allowed and self.territory is not None


DENIED = Decision(False)
EVERYWHERE = Decision(True)

# Open data (what anonymous visitors may download): public everywhere, under an open licence, without an INSPIRE
# limitation on public access. Values of Dataset.Licence and Dataset.AccessConstraint.
OPEN_LICENCES = ("lo-2.0", "odbl-1.0", "cc-by-4.0", "cc0-1.0")
NO_ACCESS_LIMITATION = "noLimitations"


def _is_admin(user: "User | AnonymousUser") -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def _active(user: "User | AnonymousUser") -> bool:
    return bool(user.is_authenticated and user.is_active)


def _implying(action: Action) -> list[str]:
    """The grant actions that give `action`."""
    return [a.value for a in ORDER[ORDER.index(action) :]]


def _grantee_q(user: "User | AnonymousUser", prefix: str = "") -> Q:
    """The grants (seen from `prefix`) whose grantee includes `user`."""
    q = Q(**{f"{prefix}grantee": "anyone"})
    if not _active(user):
        return q
    q |= Q(**{f"{prefix}grantee": "registered"})
    q |= Q(**{f"{prefix}grantee": "user", f"{prefix}user_id": user.pk})
    q |= Q(**{f"{prefix}grantee": "organisation", f"{prefix}organisation__memberships__user_id": user.pk})
    q |= Q(**{f"{prefix}grantee": "group", f"{prefix}group__members": user.pk})
    if user.memberships.filter(organisation__is_partner=True).exists():
        q |= Q(**{f"{prefix}grantee": "partners"})
    return q


def _matching_grants(user: "User | AnonymousUser", action: Action) -> QuerySet:
    from catalogue.models import Grant

    return Grant.objects.filter(_grantee_q(user), action__in=_implying(action))


def visibility_filter(user: "User | AnonymousUser", action: Action = Action.VIEW_METADATA) -> Q:
    """The Q object selecting the datasets `user` may do `action` on (somewhere).

    Only EXISTS conditions on the dataset row, never joins: filtering with it cannot duplicate rows, so search can
    count and rank on the same rows without a self-join (the public test comes first, it is the cheapest).
    """
    from .models import Domain, Membership

    if _is_admin(user):
        return Q()
    allowed = Q(Exists(_matching_grants(user, action).filter(dataset=OuterRef("pk"))))
    if action in READ_ACTIONS:
        allowed = Q(public=True) | allowed
    if action == Action.DOWNLOAD and not _active(user):
        return allowed & Q(pk__in=_open_data())
    if _active(user):
        memberships = Membership.objects.filter(user_id=user.pk, organisation=OuterRef("organisation"))
        if action in READ_ACTIONS:
            allowed |= Q(Exists(memberships))
        else:
            allowed |= Q(Exists(memberships.filter(role=Membership.Role.PRODUCER)))
        allowed |= Q(Exists(Domain.objects.filter(administrators=user.pk, datasets=OuterRef("pk"))))
    return allowed


def _open_data() -> QuerySet:
    from catalogue.models import Dataset

    return Dataset.objects.filter(
        public=True, territory_restricted=False, licence__in=OPEN_LICENCES, access_constraint=NO_ACCESS_LIMITATION
    ).values("pk")


def visible(user: "User | AnonymousUser", queryset: QuerySet, action: Action = Action.VIEW_METADATA) -> QuerySet:
    return queryset.filter(visibility_filter(user, action))


def own_territory(user: "User | AnonymousUser") -> Decision:
    """The territory a person is attached to: theirs, their organisations' and their groups'."""
    from .models import Territory

    if not _active(user):
        return DENIED
    territories = Territory.objects.filter(
        Q(pk=user.territory_id)
        | Q(pk__in=user.memberships.values("organisation__territory"))
        | Q(pk__in=user.platform_groups.values("territory"))
    )
    return _union(list(territories))


def _union(territories: list) -> Decision:
    if not territories:
        return DENIED
    geometry = territories[0].geometry
    for territory in territories[1:]:
        geometry = geometry.union(territory.geometry)
    if geometry.geom_type == "Polygon":
        geometry = MultiPolygon(geometry, srid=4326)
    return Decision(True, geometry, tuple(sorted(t.pk for t in territories)))


def _owner_roles(user: "User | AnonymousUser", dataset: "Dataset") -> set[str]:
    if not _active(user):
        return set()
    roles = set(dataset.organisation.memberships.filter(user_id=user.pk).values_list("role", flat=True))
    if dataset.domains.filter(administrators=user.pk).exists():
        roles.add("producer")
    return roles


def is_open_data(dataset: "Dataset") -> bool:
    return (
        dataset.public
        and not dataset.territory_restricted
        and dataset.licence in OPEN_LICENCES
        and dataset.access_constraint == NO_ACCESS_LIMITATION
    )


def decide(user: "User | AnonymousUser", action: Action, dataset: "Dataset") -> Decision:
    """May `user` do `action` on `dataset`, and within which territory?"""
    if action == Action.DOWNLOAD and not _active(user) and not is_open_data(dataset):
        return DENIED  # anonymous visitors download open data only
    if dataset.public and not dataset.territory_restricted and action in READ_ACTIONS:
        return EVERYWHERE  # what the rules below give everybody here, without their queries (tiles, maps)
    if _is_admin(user):
        return EVERYWHERE
    roles = _owner_roles(user, dataset)
    if "producer" in roles or (roles and action in READ_ACTIONS):
        return EVERYWHERE
    grants = list(_matching_grants(user, action).filter(dataset=dataset).select_related("territory"))
    public = dataset.public and action in READ_ACTIONS
    if not grants and not public:
        return DENIED
    unrestricted = public or any(g.territory_id is None for g in grants) or action not in DATA_ACTIONS
    granted = EVERYWHERE if unrestricted else _union([g.territory for g in grants])
    if dataset.territory_restricted and action in DATA_ACTIONS:
        return _narrower(granted, own_territory(user))
    return granted


def _narrower(first: Decision, second: Decision) -> Decision:
    """Both limits at once; served only when one territory lies within the other (never beyond either)."""
    if not (first and second):
        return DENIED
    if first.territory is None:
        return second
    if second.territory is None or second.territory.covers(first.territory):
        return first
    if first.territory.covers(second.territory):
        return second
    return DENIED


def can(user: "User | AnonymousUser", action: Action, dataset: "Dataset") -> bool:
    return decide(user, action, dataset).allowed


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


def producing_organisation(user: "User | AnonymousUser", slug: str | None = None):
    """The organisation `slug` names among those `user` produces for; without a slug, their only one (else None)."""
    organisations = producer_organisations(user)
    if slug:
        return organisations.filter(slug=slug).first()
    return organisations.first() if organisations.count() == 1 else None


def may_produce(user: "User | AnonymousUser") -> bool:
    return producer_organisations(user).exists()


def may_administer_platform(user: "User | AnonymousUser") -> bool:
    return _is_admin(user)
