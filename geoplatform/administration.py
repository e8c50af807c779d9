"""Administration services: what platform administrators change, each change written to the audit log.

Views call these functions; they never save an administered object themselves.
"""

import re
from dataclasses import dataclass
from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import audit
from .models import AuditEvent, Domain, Membership, Organisation, PlatformSettings, Territory, User
from .territories import territory_from_insee

SETTINGS_CACHE_KEY = "gp:settings"
SETTINGS_CACHE_SECONDS = 300  # a save elsewhere (another process without our receivers) shows within minutes
HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
USER_FIELDS = ["username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser", "territory"]


class AdministrationError(Exception):
    """An administrative change that is refused; the message is for people (French)."""


# --- Platform settings: cached for every page, invalidated on save ---


def display_settings() -> dict[str, str]:
    """What every page shows from the platform settings (one cache read, no query once cached)."""
    values = cache.get(SETTINGS_CACHE_KEY)
    if values is None:
        current = PlatformSettings.load()
        values = {
            "name": current.name,
            "tagline": current.tagline,
            "logo_url": current.logo.url if current.logo else "",
            "primary_color": current.primary_color if HEX_COLOUR.fullmatch(current.primary_color or "") else "",
            "home_text": current.home_text,
            "contact_email": current.contact_email,
        }
        cache.set(SETTINGS_CACHE_KEY, values, SETTINGS_CACHE_SECONDS)
    return values


def forget_settings() -> None:
    cache.delete(SETTINGS_CACHE_KEY)


@receiver(post_save, sender=PlatformSettings, dispatch_uid="gp-forget-settings-on-save")
@receiver(post_delete, sender=PlatformSettings, dispatch_uid="gp-forget-settings-on-delete")
def _settings_changed(**kwargs: Any) -> None:
    forget_settings()


# --- Snapshots for the audit log ---


def snapshot(obj: Model) -> dict:
    """`audit.snapshot` made readable: related objects by name, a territory by its INSEE codes, no password hash."""
    data = audit.snapshot(obj, fields=USER_FIELDS if isinstance(obj, User) else None) or {}
    for field in obj._meta.get_fields():
        if field.name not in data or not field.is_relation:
            continue
        if field.many_to_many:
            data[field.name] = sorted(str(item) for item in getattr(obj, field.name).all()) if obj.pk else []
        elif field.name == "territory":
            territory = obj.territory
            data["territory"] = ", ".join(territory.insee_codes) if isinstance(territory, Territory) else None
        else:
            related = getattr(obj, field.name)
            data[field.name] = str(related) if related is not None else None
    return data


@dataclass
class Change:
    key: str
    before: object
    after: object


def changes(event: AuditEvent) -> list[Change]:
    """The keys whose value differs between `before` and `after` (all keys for a creation or a removal)."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    return [
        Change(key, before.get(key), after.get(key))
        for key in keys
        if before.get(key) != after.get(key) or not (event.before and event.after)
    ]


@transaction.atomic
def save_audited(request: HttpRequest, form, action: str) -> Model:
    """Save a model form, set its territory from the INSEE codes the form cleaned, and record the change."""
    instance = form.instance
    before = snapshot(type(instance).objects.get(pk=instance.pk)) if instance.pk else None
    obj = form.save()
    codes = form.cleaned_data.get("insee_codes")
    if codes is not None:
        _set_territory(obj, codes, str(obj))
    audit.record(request, action, obj, before=before, after=snapshot(obj))
    return obj


def _set_territory(obj: Model, codes: list[str], name: str) -> None:
    """A new Territory row when the communes change (grants may share the old one, so it is left alone)."""
    current = obj.territory
    if sorted(codes) == sorted(current.insee_codes if current else []):
        return
    obj.territory = territory_from_insee(_("Territoire de %(name)s") % {"name": name}, codes) if codes else None
    obj.save(update_fields=["territory"])


def settings_saved(request: HttpRequest, form) -> PlatformSettings:
    with transaction.atomic():
        before = snapshot(PlatformSettings.load())
        obj = form.save()
        audit.record(request, "settings.update", obj, before=before, after=snapshot(obj))
    forget_settings()
    return obj


# --- Organisation members ---


def add_member(request: HttpRequest, organisation: Organisation, user: User, role: str) -> Membership:
    if Membership.objects.filter(organisation=organisation, user=user).exists():
        raise AdministrationError(_("%(user)s est déjà membre de cette organisation.") % {"user": user})
    membership = Membership.objects.create(organisation=organisation, user=user, role=role)
    audit.record(request, "membership.add", membership, after=snapshot(membership))
    return membership


def change_role(request: HttpRequest, membership: Membership, role: str) -> None:
    before = snapshot(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(request, "membership.update", membership, before=before, after=snapshot(membership))


def remove_member(request: HttpRequest, membership: Membership) -> None:
    audit.record(request, "membership.remove", membership, before=snapshot(membership))
    membership.delete()


# --- Users ---


def unique_username(email: str) -> str:
    local = email.split("@", 1)[0]
    base = ".".join(part for part in (slugify(piece) for piece in local.split(".")) if part)[:120] or "utilisateur"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def set_password_url(request: HttpRequest, user: User) -> str:
    """A link to choose a password, made by allauth's password-reset machinery (valid PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    return request.build_absolute_uri(path)


def invite_user(
    request: HttpRequest,
    *,
    email: str,
    username: str = "",
    first_name: str = "",
    last_name: str = "",
    organisation: Organisation | None = None,
    role: str = Membership.Role.MEMBER,
) -> User:
    """Create an account without a usable password, its e-mail address verified, and e-mail a link to set one."""
    with transaction.atomic():
        user = User(
            username=username or unique_username(email), email=email, first_name=first_name, last_name=last_name
        )
        user.set_unusable_password()
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        after = snapshot(user)
        if organisation is not None:
            Membership.objects.create(user=user, organisation=organisation, role=role)
            after["organisation"] = f"{organisation} ({Membership.Role(role).label})"
        audit.record(request, "user.invite", user, after=after)
    _send_invitation(user, set_password_url(request, user), request.user)
    return user


def _send_invitation(user: User, link: str, inviter: User) -> None:
    platform_name = display_settings()["name"] or settings.PLATFORM_NAME
    subject = _("Invitation sur %(platform)s") % {"platform": platform_name}
    body = _(
        "Bonjour,\n\n"
        "%(inviter)s vous a créé un compte sur %(platform)s.\n"
        "Votre identifiant : %(username)s\n\n"
        "Pour choisir votre mot de passe, ouvrez ce lien :\n%(link)s\n\n"
        "Ce lien ne sert qu'une fois et expire dans %(days)s jours.\n"
    ) % {
        "inviter": inviter.get_full_name() or inviter.get_username(),
        "platform": platform_name,
        "username": user.get_username(),
        "link": link,
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    send_mail(subject, body, None, [user.email])


def set_active(request: HttpRequest, user: User, active: bool) -> None:
    if not active and user.pk == request.user.pk:
        raise AdministrationError(_("Vous ne pouvez pas désactiver votre propre compte."))
    _update_user(request, user, "user.activate" if active else "user.deactivate", is_active=active)


def set_platform_admin(request: HttpRequest, user: User, admin: bool) -> None:
    if not admin and user.pk == request.user.pk:
        raise AdministrationError(_("Vous ne pouvez pas retirer vos propres droits d'administration."))
    fields = {"is_staff": True} if admin else {"is_staff": False, "is_superuser": False}
    _update_user(request, user, "user.admin_grant" if admin else "user.admin_revoke", **fields)


def _update_user(request: HttpRequest, user: User, action: str, **fields: bool) -> None:
    before = snapshot(user)
    for name, value in fields.items():
        setattr(user, name, value)
    user.save(update_fields=list(fields))
    audit.record(request, action, user, before=before, after=snapshot(user))


# --- Domains ---


def domain_tree() -> list[tuple[Domain, list]]:
    """Domains as (domain, children) pairs, each level sorted by name."""
    children: dict[int | None, list[Domain]] = {}
    for domain in Domain.objects.prefetch_related("administrators").order_by("name"):
        children.setdefault(domain.parent_id, []).append(domain)

    def branch(parent_id: int | None) -> list[tuple[Domain, list]]:
        return [(domain, branch(domain.pk)) for domain in children.get(parent_id, [])]

    return branch(None)


def descendants(domain: Domain) -> set[int]:
    """The ids of `domain` and of every domain below it (a domain cannot move under one of them)."""
    found, frontier = {domain.pk}, [domain.pk]
    while frontier:
        below = Domain.objects.filter(parent_id__in=frontier).exclude(pk__in=found)
        frontier = list(below.values_list("pk", flat=True))
        found.update(frontier)
    return found
