"""Who a dataset is shared with: presets, grants one by one, the territory flag.

The UI ("Partage" page) and the API both go through here; every change is audited with the grants before and
after. Whether a person may then do something is still decided by `geoplatform.rights.decide()` alone.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geoplatform import audit, territories
from geoplatform.models import Organisation, Territory, User, UserGroup

from . import services
from .models import Dataset, Grant

PUBLIC = "public"
REGISTERED = "registered"
ORGANISATION = "organisation"
PARTNERS = "partners"
CUSTOM = "custom"

PRESETS = [
    (PUBLIC, gettext_lazy("Public")),
    (REGISTERED, gettext_lazy("Utilisateurs inscrits")),
    (ORGANISATION, gettext_lazy("Mon organisation seulement")),
    (PARTNERS, gettext_lazy("Partenaires de la plateforme")),
    (CUSTOM, gettext_lazy("Personnalisé")),
]
PRESET_HELP = {
    PUBLIC: gettext_lazy("Tout le monde, même sans compte, peut voir et télécharger les données."),
    REGISTERED: gettext_lazy("Toute personne connectée avec un compte peut voir et télécharger les données."),
    ORGANISATION: gettext_lazy("Seuls les membres de l'organisation propriétaire y ont accès."),
    PARTNERS: gettext_lazy("Les membres des organisations partenaires de la plateforme peuvent les télécharger."),
    CUSTOM: gettext_lazy(
        "Vous choisissez les organisations, groupes ou personnes, ce que chacun peut faire et, au besoin, "
        "sur quel territoire."
    ),
}
# The grants each preset stands for (a grant of an action gives the lesser ones: download ⊃ view data).
PRESET_GRANTS = {
    PUBLIC: [],
    REGISTERED: [(Grant.Action.DOWNLOAD, Grant.Grantee.REGISTERED)],
    ORGANISATION: [],
    PARTNERS: [(Grant.Action.DOWNLOAD, Grant.Grantee.PARTNERS)],
}

WHAT = {
    Grant.Action.VIEW_METADATA: gettext_lazy("voir la fiche"),
    Grant.Action.VIEW_DATA: gettext_lazy("voir la fiche et les données"),
    Grant.Action.DOWNLOAD: gettext_lazy("voir et télécharger les données"),
    Grant.Action.EDIT: gettext_lazy("voir, télécharger et modifier les données"),
    Grant.Action.ADMINISTER: gettext_lazy("tout faire, y compris gérer le partage"),
}


class SharingError(ValueError):
    """A sharing change that cannot be made; `message` is for people (French)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class GrantSpec:
    """A grant to create: an action, to whom, and optionally within a territory."""

    action: str
    grantee: str
    organisation: Organisation | None = None
    group: UserGroup | None = None
    user: User | None = None
    territory: Territory | None = None

    def key(self) -> tuple:
        return (
            self.action,
            self.grantee,
            _pk(self.organisation),
            _pk(self.group),
            _pk(self.user),
            _pk(self.territory),
        )


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


def _grant_key(grant: Grant) -> tuple:
    return (grant.action, grant.grantee, grant.organisation_id, grant.group_id, grant.user_id, grant.territory_id)


def make_spec(
    action: str,
    grantee: str,
    *,
    organisation: Organisation | None = None,
    group: UserGroup | None = None,
    user: User | None = None,
    territory: Territory | None = None,
) -> GrantSpec:
    """A checked grant: the grantee kind names exactly the organisation, group or user it needs."""
    if action not in Grant.Action.values:
        raise SharingError("invalid_action", _("Action inconnue : %(action)s.") % {"action": action})
    if grantee not in Grant.Grantee.values:
        raise SharingError("invalid_grantee", _("Bénéficiaire inconnu : %(grantee)s.") % {"grantee": grantee})
    needed = {"organisation": organisation, "group": group, "user": user}
    if grantee in needed and needed[grantee] is None:
        messages = {
            "organisation": _("Choisissez l'organisation."),
            "group": _("Choisissez le groupe."),
            "user": _("Indiquez l'utilisateur."),
        }
        raise SharingError(f"{grantee}_required", messages[grantee])
    return GrantSpec(
        action=action,
        grantee=grantee,
        organisation=organisation if grantee == "organisation" else None,
        group=group if grantee == "group" else None,
        user=user if grantee == "user" else None,
        territory=territory,
    )


def territory_for(territory_id: int | None = None, insee_codes: list[str] | None = None) -> Territory | None:
    """An existing territory, or one built from communes (reused when the same communes were chosen before)."""
    if territory_id is not None:
        territory = Territory.objects.filter(pk=territory_id).first()
        if territory is None:
            raise SharingError("territory_not_found", _("Territoire introuvable."))
        return territory
    codes = sorted({code.strip() for code in insee_codes or [] if code.strip()})
    if not codes:
        return None
    existing = Territory.objects.filter(insee_codes=codes).first()
    if existing is not None:
        return existing
    name = _("Communes %(codes)s") % {"codes": ", ".join(codes)}
    try:
        return territories.territory_from_insee(name[:200], codes)
    except territories.TerritoryError as exc:
        raise SharingError("territory_invalid", str(exc)) from exc


def grants_of(dataset: Dataset):
    return dataset.grants.select_related("organisation", "group", "user", "territory").order_by("pk")


def current_preset(dataset: Dataset) -> str:
    """Which preset the dataset's sharing matches; anything else is "custom"."""
    keys = sorted(_grant_key(g) for g in dataset.grants.all())
    if dataset.public:
        return PUBLIC if not keys else CUSTOM
    for preset, grants in PRESET_GRANTS.items():
        if preset != PUBLIC and keys == sorted((a, g, None, None, None, None) for a, g in grants):
            return preset
    return CUSTOM


def grant_document(grant: Grant) -> dict:
    territory = grant.territory
    return {
        "id": grant.pk,
        "action": grant.action,
        "grantee": grant.grantee,
        "organisation": grant.organisation.slug if grant.organisation_id else None,
        "group": grant.group.slug if grant.group_id else None,
        "user": grant.user.get_username() if grant.user_id else None,
        "territory": (
            {"id": territory.pk, "name": territory.name, "insee_codes": territory.insee_codes} if territory else None
        ),
    }


def state(dataset: Dataset) -> dict:
    """The dataset's sharing as the API shows it and the audit log keeps it."""
    return {
        "preset": current_preset(dataset),
        "public": dataset.public,
        "territory_restricted": dataset.territory_restricted,
        "grants": [grant_document(g) for g in grants_of(dataset)],
    }


def _audit(request: HttpRequest | None, dataset: Dataset, before: dict) -> None:
    after = state(dataset)
    if after != before:
        audit.record(request, "dataset.sharing", dataset, before=before, after=after)


def publish(request: HttpRequest | None, dataset: Dataset) -> Dataset:
    """The "Publier" button: open the dataset to everyone, keeping the grants it has; audited."""
    before = state(dataset)
    services.publish(dataset)
    _audit(request, dataset, before)
    return dataset


def _set_public(dataset: Dataset, public: bool) -> None:
    if public:
        services.publish(dataset)
    elif dataset.public:
        dataset.public = False
        dataset.save(update_fields=["public", "updated_at"])


def _replace_grants(dataset: Dataset, specs: list[GrantSpec]) -> None:
    """Make the dataset's grants exactly `specs`, keeping the grants that are already there."""
    wanted = {spec.key(): spec for spec in specs}
    for grant in list(dataset.grants.all()):
        if _grant_key(grant) in wanted:
            wanted.pop(_grant_key(grant))
        else:
            grant.delete()
    for spec in wanted.values():
        _create(dataset, spec)


def _create(dataset: Dataset, spec: GrantSpec) -> Grant:
    return Grant.objects.create(
        dataset=dataset,
        action=spec.action,
        grantee=spec.grantee,
        organisation=spec.organisation,
        group=spec.group,
        user=spec.user,
        territory=spec.territory,
    )


def _preset_specs(preset: str) -> list[GrantSpec]:
    return [GrantSpec(action=a, grantee=g) for a, g in PRESET_GRANTS[preset]]


@transaction.atomic
def apply_preset(
    request: HttpRequest | None, dataset: Dataset, preset: str, territory_restricted: bool | None = None
) -> Dataset:
    """Switch to a preset: its grants replace the previous ones. Choosing "custom" keeps today's access as
    editable grants (a public dataset becomes a grant to anyone), to be added or removed one by one."""
    if preset not in dict(PRESETS):
        raise SharingError("invalid_preset", _("Mode de partage inconnu : %(preset)s.") % {"preset": preset})
    before = state(dataset)
    if preset == CUSTOM:
        if dataset.public:
            dataset.grants.get_or_create(action=Grant.Action.DOWNLOAD, grantee=Grant.Grantee.ANYONE, territory=None)
            _set_public(dataset, False)
    elif preset != before["preset"]:
        _replace_grants(dataset, _preset_specs(preset))
        _set_public(dataset, preset == PUBLIC)
    if territory_restricted is not None:
        _set_territory_restricted(dataset, territory_restricted)
    _audit(request, dataset, before)
    return dataset


@transaction.atomic
def replace_sharing(
    request: HttpRequest | None,
    dataset: Dataset,
    preset: str,
    grants: list[GrantSpec],
    territory_restricted: bool,
    public: bool = False,
) -> Dataset:
    """Replace the whole sharing (API `PUT`). A preset other than "custom" fixes the grants; `public` only
    counts for "custom"."""
    if preset not in dict(PRESETS):
        raise SharingError("invalid_preset", _("Mode de partage inconnu : %(preset)s.") % {"preset": preset})
    before = state(dataset)
    if preset == CUSTOM:
        _replace_grants(dataset, grants)
        _set_public(dataset, public)
    else:
        fixed = {spec.key() for spec in _preset_specs(preset)}
        if any(spec.key() not in fixed for spec in grants):
            raise SharingError(
                "preset_grants_fixed",
                _("Ce mode de partage fixe les droits : choisissez « custom » pour donner des droits un par un."),
            )
        _replace_grants(dataset, _preset_specs(preset))
        _set_public(dataset, preset == PUBLIC)
    _set_territory_restricted(dataset, territory_restricted)
    _audit(request, dataset, before)
    return dataset


@transaction.atomic
def add_grant(request: HttpRequest | None, dataset: Dataset, spec: GrantSpec) -> Grant:
    if any(_grant_key(g) == spec.key() for g in dataset.grants.all()):
        raise SharingError("grant_exists", _("Ce droit existe déjà."))
    before = state(dataset)
    grant = _create(dataset, spec)
    _audit(request, dataset, before)
    return grant


@transaction.atomic
def remove_grant(request: HttpRequest | None, dataset: Dataset, grant_id: int) -> None:
    grant = dataset.grants.filter(pk=grant_id).first()
    if grant is None:
        raise SharingError("grant_not_found", _("Ce droit n'existe pas ou plus."))
    before = state(dataset)
    grant.delete()
    _audit(request, dataset, before)


def _set_territory_restricted(dataset: Dataset, value: bool) -> None:
    if dataset.territory_restricted != value:
        dataset.territory_restricted = value
        dataset.save(update_fields=["territory_restricted", "updated_at"])


@transaction.atomic
def set_territory_restricted(request: HttpRequest | None, dataset: Dataset, value: bool) -> Dataset:
    before = state(dataset)
    _set_territory_restricted(dataset, value)
    _audit(request, dataset, before)
    return dataset


@dataclass
class Summary:
    """Who has access, in plain French, for the dataset page and the "Partage" page."""

    lines: list[str] = field(default_factory=list)
    grants: list[tuple[Grant, str]] = field(default_factory=list)


def grantee_label(grant: Grant) -> str:
    labels = {
        "anyone": _("Tout le monde"),
        "registered": _("Les utilisateurs inscrits"),
        "partners": _("Les membres des organisations partenaires"),
        "organisation": _("Les membres de %(name)s") % {"name": grant.organisation} if grant.organisation_id else "",
        "group": _("Les membres du groupe %(name)s") % {"name": grant.group} if grant.group_id else "",
        "user": (grant.user.get_full_name() or grant.user.get_username()) if grant.user_id else "",
    }
    return labels[grant.grantee]


def describe_grant(grant: Grant) -> str:
    values = {"who": grantee_label(grant), "what": WHAT[grant.action]}
    if grant.grantee in {"anyone", "user"}:
        sentence = _("%(who)s peut %(what)s") % values
    else:
        sentence = _("%(who)s peuvent %(what)s") % values
    if grant.territory_id:
        sentence += " " + _("(territoire : %(name)s)") % {"name": grant.territory.name}
    return sentence + "."


def summary(dataset: Dataset) -> Summary:
    result = Summary()
    if dataset.public:
        result.lines.append(_("Tout le monde peut voir et télécharger ce jeu de données."))
    result.lines.append(
        _("Les membres de %(organisation)s peuvent le voir et le télécharger ; ses producteurs le modifient.")
        % {"organisation": dataset.organisation.name}
    )
    result.grants = [(grant, describe_grant(grant)) for grant in grants_of(dataset)]
    if dataset.territory_restricted:
        result.lines.append(
            _("Hors de %(organisation)s, chacun ne voit et ne télécharge que les objets de son territoire.")
            % {"organisation": dataset.organisation.name}
        )
    return result
