"""Administration pages (PRODIGE's Admin module) for platform administrators, and the public legal pages."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from . import administration, rights
from .admin_forms import (
    AuditFilterForm,
    DomainForm,
    GazetteerLayerForm,
    GroupForm,
    InviteForm,
    MemberAddForm,
    OrganisationForm,
    SettingsForm,
    UserEditForm,
    UserFilterForm,
)
from .administration import AdministrationError
from .models import AuditEvent, Domain, GazetteerLayer, Membership, Organisation, PlatformSettings, User, UserGroup

PAGE_SIZE = 50


def platform_admin_required(view: Callable) -> Callable:
    """Anonymous visitors are sent to log in; signed-in people who are not platform administrators get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not rights.may_administer_platform(request.user):
            raise PermissionDenied
        return require_http_methods(["GET", "POST"])(view)(request, *args, **kwargs)

    return wrapper


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@platform_admin_required
def index(request: HttpRequest) -> HttpResponse:
    counts = {
        "organisations": Organisation.objects.count(),
        "users": User.objects.count(),
        "groups": UserGroup.objects.count(),
        "domains": Domain.objects.count(),
        "events": AuditEvent.objects.count(),
    }
    return render(request, "geoplatform/administration/index.html", {"counts": counts})


# --- Organisations ---


@platform_admin_required
def organisations(request: HttpRequest) -> HttpResponse:
    items = Organisation.objects.select_related("territory").annotate(member_count=Count("memberships", distinct=True))
    return render(request, "geoplatform/administration/organisation_list.html", {"organisations": items})


@platform_admin_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        organisation = administration.save_audited(request, form, "organisation.create")
        messages.success(request, _("L'organisation « %(name)s » est créée.") % {"name": organisation})
        return redirect("administration:organisation_edit", pk=organisation.pk)
    return render(request, "geoplatform/administration/organisation_form.html", {"form": form})


@platform_admin_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    action = request.POST.get("action", "save")
    form = OrganisationForm(instance=organisation)
    member_form = MemberAddForm(organisation=organisation)
    if request.method == "POST" and action == "save":
        form = OrganisationForm(request.POST, request.FILES, instance=organisation)
        if form.is_valid():
            administration.save_audited(request, form, "organisation.update")
            messages.success(request, _("L'organisation est enregistrée."))
            return redirect("administration:organisation_edit", pk=pk)
    elif request.method == "POST" and action == "member_add":
        member_form = MemberAddForm(request.POST, organisation=organisation)
        if member_form.is_valid():
            try:
                administration.add_member(
                    request, organisation, member_form.cleaned_data["user"], member_form.cleaned_data["role"]
                )
            except AdministrationError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Le membre est ajouté."))
            return redirect("administration:organisation_edit", pk=pk)
    elif request.method == "POST" and action in ("member_role", "member_remove"):
        membership = get_object_or_404(Membership, pk=request.POST.get("membership"), organisation=organisation)
        if action == "member_remove":
            administration.remove_member(request, membership)
            messages.success(request, _("%(user)s ne fait plus partie de l'organisation.") % {"user": membership.user})
        elif request.POST.get("role") in Membership.Role.values:
            administration.change_role(request, membership, request.POST["role"])
            messages.success(request, _("Le rôle de %(user)s est modifié.") % {"user": membership.user})
        return redirect("administration:organisation_edit", pk=pk)
    context = {
        "organisation": organisation,
        "form": form,
        "member_form": member_form,
        "memberships": organisation.memberships.select_related("user").order_by("user__username"),
        "roles": Membership.Role.choices,
    }
    return render(request, "geoplatform/administration/organisation_form.html", context)


# --- Users ---


@platform_admin_required
def users(request: HttpRequest) -> HttpResponse:
    filters = UserFilterForm(request.GET or None)
    found = filters.filter(User.objects.order_by("username").prefetch_related("memberships__organisation"))
    context = {"filters": filters, "page": _page(request, found), "query": _query_without_page(request)}
    return render(request, "geoplatform/administration/user_list.html", context)


@platform_admin_required
def user_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = administration.invite_user(
            request,
            email=data["email"],
            username=data["username"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            organisation=data["organisation"],
            role=data["role"] or Membership.Role.MEMBER,
        )
        messages.success(
            request,
            _("Une invitation est envoyée à %(email)s (identifiant %(username)s).")
            % {
                "email": user.email,
                "username": user.username,
            },
        )
        return redirect("administration:user_edit", pk=user.pk)
    return render(request, "geoplatform/administration/user_invite.html", {"form": form})


USER_ACTIONS = {
    "activate": lambda request, user: administration.set_active(request, user, True),
    "deactivate": lambda request, user: administration.set_active(request, user, False),
    "grant_admin": lambda request, user: administration.set_platform_admin(request, user, True),
    "revoke_admin": lambda request, user: administration.set_platform_admin(request, user, False),
}
USER_ACTION_MESSAGES = {
    "activate": gettext_lazy("Le compte est activé."),
    "deactivate": gettext_lazy("Le compte est désactivé : cette personne ne peut plus se connecter."),
    "grant_admin": gettext_lazy("Cette personne administre désormais la plateforme."),
    "revoke_admin": gettext_lazy("Cette personne n'administre plus la plateforme."),
}


@platform_admin_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    action = request.POST.get("action", "save")
    form = UserEditForm(instance=person)
    if request.method == "POST" and action in USER_ACTIONS:
        try:
            USER_ACTIONS[action](request, person)
        except AdministrationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, str(USER_ACTION_MESSAGES[action]))
        return redirect("administration:user_edit", pk=pk)
    if request.method == "POST":
        form = UserEditForm(request.POST, instance=person)
        if form.is_valid():
            administration.save_audited(request, form, "user.update")
            messages.success(request, _("Le compte est enregistré."))
            return redirect("administration:user_edit", pk=pk)
    context = {
        "person": person,
        "form": form,
        "memberships": person.memberships.select_related("organisation"),
        "groups": person.platform_groups.all(),
    }
    return render(request, "geoplatform/administration/user_form.html", context)


# --- Groups ---


@platform_admin_required
def groups(request: HttpRequest) -> HttpResponse:
    items = UserGroup.objects.select_related("territory").annotate(member_count=Count("members", distinct=True))
    return render(request, "geoplatform/administration/group_list.html", {"groups": items})


@platform_admin_required
def group_create(request: HttpRequest) -> HttpResponse:
    return _group_form(request, UserGroup(), "group.create")


@platform_admin_required
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _group_form(request, get_object_or_404(UserGroup, pk=pk), "group.update")


def _group_form(request: HttpRequest, group: UserGroup, action: str) -> HttpResponse:
    return _simple_form(
        request,
        GroupForm,
        group,
        action,
        list_url="administration:groups",
        list_label=_("Groupes"),
        new_label=_("Nouveau groupe"),
        saved=_("Le groupe « %(name)s » est enregistré."),
    )


def _simple_form(
    request: HttpRequest,
    form_class,
    instance,
    action: str,
    *,
    list_url: str,
    list_label: str,
    new_label: str,
    saved: str,
) -> HttpResponse:
    """Create or edit one object with an audited save, back to its list (groups, domains)."""
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        instance = administration.save_audited(request, form, action)
        messages.success(request, saved % {"name": instance})
        return redirect(list_url)
    context = {
        "form": form,
        "heading": instance.name if instance.pk else new_label,
        "list_url": list_url,
        "list_label": list_label,
    }
    return render(request, "geoplatform/administration/object_form.html", context)


# --- Domains ---


@platform_admin_required
def domains(request: HttpRequest) -> HttpResponse:
    return render(request, "geoplatform/administration/domain_list.html", {"tree": administration.domain_tree()})


@platform_admin_required
def domain_create(request: HttpRequest) -> HttpResponse:
    return _domain_form(request, Domain(), "domain.create")


@platform_admin_required
def domain_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _domain_form(request, get_object_or_404(Domain, pk=pk), "domain.update")


def _domain_form(request: HttpRequest, domain: Domain, action: str) -> HttpResponse:
    return _simple_form(
        request,
        DomainForm,
        domain,
        action,
        list_url="administration:domains",
        list_label=_("Domaines"),
        new_label=_("Nouveau domaine"),
        saved=_("Le domaine « %(name)s » est enregistré."),
    )


# --- Place search layers ---


@platform_admin_required
def gazetteer_layers(request: HttpRequest) -> HttpResponse:
    items = GazetteerLayer.objects.select_related("dataset", "dataset__organisation")
    return render(request, "geoplatform/administration/gazetteer_list.html", {"layers": items})


@platform_admin_required
def gazetteer_create(request: HttpRequest) -> HttpResponse:
    return _gazetteer_form(request, GazetteerLayer(), "gazetteer.create")


@platform_admin_required
def gazetteer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _gazetteer_form(request, get_object_or_404(GazetteerLayer, pk=pk), "gazetteer.update")


def _gazetteer_form(request: HttpRequest, layer: GazetteerLayer, action: str) -> HttpResponse:
    return _simple_form(
        request,
        GazetteerLayerForm,
        layer,
        action,
        list_url="administration:gazetteer",
        list_label=_("Recherche de lieux"),
        new_label=_("Nouvelle couche de recherche"),
        saved=_("La couche de recherche « %(name)s » est enregistrée."),
    )


# --- Platform settings ---


@platform_admin_required
def platform_settings(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST or None, request.FILES or None, instance=PlatformSettings.load())
    if request.method == "POST" and form.is_valid():
        administration.settings_saved(request, form)
        messages.success(request, _("Les réglages sont enregistrés."))
        return redirect("administration:settings")
    return render(request, "geoplatform/administration/settings.html", {"form": form})


# --- Audit log ---


@platform_admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    filters = AuditFilterForm(request.GET or None)
    page = _page(request, filters.filter(AuditEvent.objects.select_related("actor")))
    rows = [(event, administration.changes(event)) for event in page]
    context = {"filters": filters, "page": page, "rows": rows, "query": _query_without_page(request)}
    return render(request, "geoplatform/administration/audit.html", context)


# --- Public pages fed by the settings ---


def legal_notice(request: HttpRequest) -> HttpResponse:
    return _legal_page(request, _("Mentions légales"), PlatformSettings.load().legal_notice)


def terms_of_use(request: HttpRequest) -> HttpResponse:
    return _legal_page(request, _("Conditions d'utilisation"), PlatformSettings.load().terms_of_use)


def _legal_page(request: HttpRequest, title: str, text: str) -> HttpResponse:
    return render(request, "geoplatform/legal.html", {"title": title, "text": text})
