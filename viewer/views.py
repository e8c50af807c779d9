"""Map pages: the list of maps, the viewer, its embeddable read-only page, the composer page and the import of an
OWS Context file. The viewer itself is frontend/src/viewer/ (bundle viewer.js), fed by data attributes set here."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt

from geoplatform import rights
from geoplatform.models import PlatformSettings

from . import csp, owscontext, services
from .composer_messages import composer_messages
from .forms import ImportContextForm
from .models import Map
from .owscontext import ContextError


def viewer_messages() -> dict[str, str]:
    """The viewer's texts in the visitor's language ({name} placeholders are filled in by the script)."""
    return {
        "noLayers": _("Cette carte ne contient aucune couche."),
        "opacity": _("Opacité de « {title} »"),
        "opacityLabel": _("Opacité"),
        "up": _("Monter « {title} »"),
        "down": _("Descendre « {title} »"),
        "zoomTo": _("Zoomer sur l’emprise de « {title} »"),
        "filter": _("Filtrer « {title} »"),
        "filtered": _("filtrée"),
        "legend": _("Légende"),
        "legendOf": _("Légende de « {title} »"),
        "unavailable": _("Couche indisponible"),
        "noExtent": _("L’emprise de « {title} » est inconnue."),
        "moved": _("« {title} » déplacée en position {position} sur {count}."),
        "results": _("{count} résultat(s) à cet endroit."),
        "noResult": _("Aucun objet à cet endroit."),
        "identifyFailed": _("L’interrogation de « {title} » a échoué."),
        "resultOf": _("Objet {index} sur {count} — {title}"),
        "attribute": _("Attribut"),
        "value": _("Valeur"),
        "previous": _("Précédent"),
        "next": _("Suivant"),
        "distance": _("Distance : {value}"),
        "area": _("Surface : {value}"),
        "measureHelp": _("Cliquez sur la carte pour placer les points, double-cliquez pour terminer."),
        "searching": _("Recherche…"),
        "noPlace": _("Aucun lieu trouvé."),
        "searchFailed": _("La recherche a échoué. Réessayez."),
        "places": _("{count} lieu(x) trouvé(s)."),
        "located": _("Carte centrée sur votre position (précision {accuracy} m)."),
        "locateFailed": _("Votre position n’est pas disponible."),
        "filterApplied": _("Filtre appliqué à « {title} »."),
        "filterRemoved": _("Filtre retiré de « {title} »."),
        "filterAttributesFailed": _("Les attributs de cette couche ne sont pas disponibles."),
        "copied": _("Copié dans le presse-papiers."),
        "printing": _("Impression en cours…"),
        "printed": _("Le fichier est téléchargé."),
        "printFailed": _("L’impression a échoué."),
        "basemapLocal": _("Fond local (communes)"),
        "basemapNone": _("Aucun fond"),
        "zoomIn": _("Zoom avant"),
        "zoomOut": _("Zoom arrière"),
        "attributions": _("Attributions"),
        "fullscreen": _("Plein écran"),
    }


def _local_base(user) -> dict | None:
    """The "Fond local": the communes reference layer through our WMS, for those who may view it."""
    communes = PlatformSettings.load().communes_dataset
    if communes is None or not rights.can(user, rights.Action.VIEW_DATA, communes):
        return None
    return {"url": reverse("wxs:global_ows"), "layers": communes.layer_name}


def _viewer(request: HttpRequest, context: dict, map_: Map | None = None) -> dict:
    """What the viewer's element carries (see frontend/src/viewer/viewer.js)."""
    platform = PlatformSettings.load()
    local = _local_base(request.user)
    return {
        "context_json": json.dumps(context, ensure_ascii=False),
        "base_maps_json": json.dumps(platform.base_maps or [], ensure_ascii=False),
        "local_base_json": json.dumps(local) if local else "",
        "default_basemap": "local" if local else ((platform.base_maps or [{}])[0].get("name") or "none"),
        "default_extent_json": json.dumps(platform.default_extent or []),
        "messages_json": json.dumps(viewer_messages(), ensure_ascii=False),
        "site_url": settings.SITE_URL,
        "map_url": reverse("viewer:map", args=[map_.pk]) if map_ else "",
        "embed_url": reverse("viewer:embed", args=[map_.pk]) if map_ else "",
        "context_url": reverse("viewer:context", args=[map_.pk]) if map_ else "",
    }


def _page_policy(request: HttpRequest, context: dict, *, composing: bool = False) -> str:
    """The map page's Content-Security-Policy: its layers' origins (viewer.csp) and the administrators' base maps'."""
    base_maps = PlatformSettings.load().base_maps or []
    as_layers = {
        "features": [{"properties": {"offerings": [{"operations": [{"href": b.get("url", "")}]}]}} for b in base_maps]
    }
    policy = csp.map_page_policy(request.path, context, composing=composing)
    return csp.with_sources(policy, csp.LAYER_DIRECTIVES, csp.external_origins(as_layers))


def map_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(services.maps_for(request.user), 24).get_page(request.GET.get("page"))
    editable = {m.pk for m in page if rights.can(request.user, rights.Action.EDIT, m.record)}
    return render(
        request,
        "viewer/map_list.html",
        {"page": page, "editable": editable, "may_produce": rights.may_produce(request.user)},
    )


def map_view(request: HttpRequest, pk: int) -> HttpResponse:
    map_ = services.get_map_or_404(request.user, pk)
    context = services.context_for(request.user, map_)
    response = render(
        request,
        "viewer/map.html",
        {
            "map": map_,
            "viewer": _viewer(request, context, map_),
            "may_edit": rights.can(request.user, rights.Action.EDIT, map_.record),
        },
    )
    response["Content-Security-Policy"] = _page_policy(request, context)
    return response


@xframe_options_exempt
def map_embed(request: HttpRequest, pk: int) -> HttpResponse:
    """The read-only map without the platform's chrome, for other sites' frames."""
    map_ = services.get_map_or_404(request.user, pk)
    context = services.context_for(request.user, map_)
    response = render(request, "viewer/embed.html", {"map": map_, "viewer": _viewer(request, context, map_)})
    # Nothing on this page changes anything: any site may frame it.
    response["Content-Security-Policy"] = _page_policy(request, context).replace(
        "frame-ancestors 'none'", "frame-ancestors *"
    )
    return response


@login_required
def composer(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new map (producers) or an existing one (its editors): the viewer and the composer's side panel."""
    if pk is None:
        if not rights.may_produce(request.user):
            raise PermissionDenied
        map_ = None
        platform = PlatformSettings.load()
        context = {"type": "FeatureCollection", "properties": {"title": ""}, "features": []}
        if len(platform.default_extent or []) == 4:
            context["bbox"] = platform.default_extent
    else:
        map_ = services.get_map_or_404(request.user, pk, rights.Action.EDIT)
        context = services.context_for(request.user, map_)
    composer_attrs = {
        "save_url": reverse("api:map-detail", args=[map_.pk]) if map_ else reverse("api:map-list"),
        "search_url": reverse("api:dataset-list"),
        "capabilities_url": reverse("viewer:capabilities"),
        "csrf": get_token(request),
        "public": bool(map_ and map_.record.public),
        "sharing_url": reverse("catalogue:sharing", args=[map_.pk]) if map_ else "",
        "messages_json": json.dumps(composer_messages(), ensure_ascii=False),
    }
    response = render(
        request,
        "viewer/composer.html",
        {"map": map_, "viewer": _viewer(request, context, map_), "composer": composer_attrs},
    )
    # A producer may add a layer of any public web service while composing.
    response["Content-Security-Policy"] = _page_policy(request, context, composing=True)
    return response


@login_required
def map_import(request: HttpRequest) -> HttpResponse:
    """Upload an OWS Context file: it becomes a new map, opened in the composer."""
    if not rights.may_produce(request.user):
        raise PermissionDenied
    form = ImportContextForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            context = services.import_context(form.cleaned_data["file"].read(owscontext.MAX_BYTES + 1))
            map_ = services.create_map(request.user, context, form.cleaned_data["organisation"], request=request)
        except ContextError as error:
            form.add_error("file", error.message)
        else:
            return redirect("viewer:edit", pk=map_.pk)
    return render(request, "viewer/import.html", {"form": form, "profile": owscontext.PROFILE})
