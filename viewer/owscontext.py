"""OWS Context GeoJSON (OGC 14-055r2): the only module that reads and writes the documents maps are saved as.

A map is a FeatureCollection whose features are its layers, the first feature at the top of the layer tree
(drawn on top). What OWS Context does not say about a layer as a viewer shows it is carried in properties
prefixed `gp:` (opacity, our dataset id, an attribute filter), which other readers ignore. `validate()` keeps
only what we know, so a stored context never holds arbitrary input.
"""

import json
import math
import re
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogue.models import Dataset

PROFILE = "http://www.opengis.net/spec/owc-geojson/1.0/req/core"
OFFERING_BASE = "http://www.opengis.net/spec/owc-geojson/1.0/req/"
OFFERINGS = {"wms", "wmts", "wfs"}
MAX_BYTES = 1024 * 1024
MAX_RESOURCES = 100
FILTER_OPERATORS = {"=", "!=", "<", ">", "<=", ">=", "like"}
_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class ContextError(Exception):
    """A document we cannot take as a map: a stable `code` for the API and a French `message` for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def parse(raw: bytes | str) -> dict:
    """A context document from a file or a request body, validated and normalised."""
    if len(raw) > MAX_BYTES:
        raise ContextError("context_too_large", _("Le contexte dépasse 1 Mo."))
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ContextError("invalid_json", _("Le fichier n'est pas un document JSON.")) from None
    return validate(document)


def validate(document: Any) -> dict:
    """The part of `document` we understand, checked: raises ContextError on anything a map cannot be made of."""
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ContextError("not_owc", _("Ce n'est pas un contexte OWS GeoJSON (FeatureCollection attendue)."))
    properties = document.get("properties")
    if not isinstance(properties, dict):
        raise ContextError("not_owc", _("Ce n'est pas un contexte OWS GeoJSON (propriétés absentes)."))
    links = properties.get("links")
    profiles = (links.get("profiles") or []) if isinstance(links, dict) else []
    if not any(_href(p) == PROFILE or str(p) == PROFILE for p in profiles):
        raise ContextError("not_owc", _("Ce n'est pas un contexte OWS GeoJSON (profil OGC 14-055 absent)."))
    title = _text(properties.get("title"), 255)
    if not title:
        raise ContextError("title_required", _("Le titre de la carte est obligatoire."))
    features = document.get("features")
    if not isinstance(features, list):
        raise ContextError("not_owc", _("Ce n'est pas un contexte OWS GeoJSON (liste de couches absente)."))
    if len(features) > MAX_RESOURCES:
        raise ContextError("too_many_layers", _("Une carte compte au plus %(n)d couches.") % {"n": MAX_RESOURCES})
    context = {
        "type": "FeatureCollection",
        "id": _text(document.get("id"), 500) or f"urn:uuid:{uuid.uuid4()}",
        "properties": {
            "links": {"profiles": [{"href": PROFILE}]},
            "lang": _text(properties.get("lang"), 10) or "fr",
            "title": title,
            "subtitle": _text(properties.get("subtitle"), 5000),
            "updated": _text(properties.get("updated"), 40) or timezone.now().isoformat(timespec="seconds"),
        },
        "features": [_resource(feature, index) for index, feature in enumerate(features)],
    }
    for key, limit in (("publisher", 255), ("rights", 1000), ("gp:basemap", 100)):
        value = _text(properties.get(key), limit)
        if value:
            context["properties"][key] = value
    authors = [{"name": _text(a.get("name"), 255)} for a in properties.get("authors") or [] if isinstance(a, dict)]
    if authors := [a for a in authors if a["name"]]:
        context["properties"]["authors"] = authors[:10]
    if document.get("bbox") is not None:
        context["bbox"] = wgs84_bbox(document["bbox"])
    ids = [f["id"] for f in context["features"]]
    if len(set(ids)) != len(ids):
        raise ContextError("duplicate_layer", _("Deux couches portent le même identifiant."))
    return context


def wgs84_bbox(value: Any) -> list[float]:
    """[west, south, east, north] in degrees, or ContextError."""
    try:
        west, south, east, north = (float(v) for v in value)
    except (TypeError, ValueError):
        message = _("L'emprise doit compter quatre nombres (ouest, sud, est, nord).")
        raise ContextError("invalid_bbox", message) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)) or not (
        -180 <= west < east <= 180 and -90 <= south < north <= 90
    ):
        raise ContextError("invalid_bbox", _("L'emprise doit être en degrés WGS84, ouest < est et sud < nord."))
    return [west, south, east, north]


def _resource(feature: Any, index: int) -> dict:
    where = _("couche %(n)d") % {"n": index + 1}
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        raise ContextError("invalid_layer", _("La %(where)s n'est pas une ressource OWS Context.") % {"where": where})
    properties = feature["properties"]
    title = _text(properties.get("title"), 255)
    if not title:
        raise ContextError("invalid_layer", _("La %(where)s n'a pas de titre.") % {"where": where})
    offerings = [o for o in (_offering(o, title) for o in properties.get("offerings") or []) if o]
    if not offerings:
        raise ContextError(
            "unsupported_layer",
            _("La couche « %(title)s » n'offre ni WMS, ni WMTS, ni WFS.") % {"title": title},
        )
    resource: dict[str, Any] = {
        "type": "Feature",
        "id": _text(feature.get("id"), 500) or f"urn:uuid:{uuid.uuid4()}",
        "geometry": None,
        "properties": {
            "title": title,
            "updated": _text(properties.get("updated"), 40) or timezone.now().isoformat(timespec="seconds"),
            "active": properties.get("active") is not False,
            "offerings": offerings,
        },
    }
    if feature.get("bbox") is not None:
        resource["bbox"] = wgs84_bbox(feature["bbox"])
    out = resource["properties"]
    if abstract := _text(properties.get("abstract"), 5000):
        out["abstract"] = abstract
    if folder := _folder(properties.get("folder")):
        out["folder"] = folder
    for key in ("minscaledenominator", "maxscaledenominator"):
        if (number := _number(properties.get(key))) is not None and number >= 0:
            out[key] = number
    opacity = _number(properties.get("gp:opacity"))
    out["gp:opacity"] = 1.0 if opacity is None else min(max(opacity, 0.0), 1.0)
    out["gp:queryable"] = properties.get("gp:queryable") is not False
    dataset = properties.get("gp:dataset")
    # A dataset id only means one of ours when the layer is served by our own service.
    if isinstance(dataset, int) and not isinstance(dataset, bool) and dataset > 0 and _ours(offerings):
        out["gp:dataset"] = dataset
    if (layer_filter := _filter(properties.get("gp:filter"), title)) is not None:
        out["gp:filter"] = layer_filter
    return resource


def _offering(offering: Any, title: str) -> dict | None:
    if not isinstance(offering, dict):
        return None
    code = str(offering.get("code", ""))
    if not code.startswith(OFFERING_BASE) or code.removeprefix(OFFERING_BASE) not in OFFERINGS:
        return None
    operations = []
    for operation in offering.get("operations") or []:
        if not isinstance(operation, dict) or not _text(operation.get("code"), 50):
            continue
        href = _text(operation.get("href"), 4000)
        if not _safe_href(href):
            raise ContextError(
                "invalid_address",
                _("La couche « %(title)s » donne une adresse qui n'est pas une adresse web.") % {"title": title},
            )
        operations.append(
            {
                "code": _text(operation["code"], 50),
                "method": "POST" if str(operation.get("method", "")).upper() == "POST" else "GET",
                "type": _text(operation.get("type"), 100) or "application/xml",
                "href": href,
            }
        )
    if not operations:
        return None
    result: dict[str, Any] = {"code": code, "operations": operations}
    styles = [
        {
            "name": _text(s.get("name"), 100),
            "title": _text(s.get("title"), 255) or _text(s.get("name"), 100),
            "default": bool(s.get("default")),
        }
        for s in offering.get("styles") or []
        if isinstance(s, dict) and _text(s.get("name"), 100)
    ]
    if styles:
        result["styles"] = styles[:50]
    return result


def _filter(value: Any, title: str) -> dict | None:
    if not value:
        return None
    if (
        not isinstance(value, dict)
        or not _ATTRIBUTE.match(str(value.get("attribute", "")))
        or value.get("operator") not in FILTER_OPERATORS
        or not isinstance(value.get("value"), str | int | float)
        or len(str(value["value"])) > 200
    ):
        raise ContextError("invalid_filter", _("Le filtre de la couche « %(title)s » est invalide.") % {"title": title})
    return {"attribute": value["attribute"], "operator": value["operator"], "value": str(value["value"])}


def _safe_href(href: str) -> bool:
    if href.startswith("/") and not href.startswith("//"):
        return True
    parts = urlsplit(href)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _ours(offerings: list[dict]) -> bool:
    """Every operation points at our global OGC service (absolute with SITE_URL, or a path)."""
    ours = (f"{settings.SITE_URL}{reverse('wxs:global_ows')}", reverse("wxs:global_ows"))
    return all(op["href"].split("?")[0] in ours for o in offerings for op in o["operations"])


def _href(link: Any) -> str:
    return str(link.get("href", "")) if isinstance(link, dict) else ""


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _folder(value: Any) -> str:
    parts = [p.strip() for p in _text(value, 500).split("/") if p.strip()]
    return "/" + "/".join(parts) if parts else ""


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def service_url() -> str:
    """The address our own layers are offered at: the global service, serving each caller what they may view."""
    return f"{settings.SITE_URL}{reverse('wxs:global_ows')}"


def dataset_resource(dataset: Dataset, style: str = "", *, folder: str = "", opacity: float = 1.0) -> dict:
    """One layer of a map: our dataset `dataset` through the global WMS (and WFS for vectors)."""
    base = service_url()
    layer = dataset.layer_name
    wms = {
        "code": OFFERING_BASE + "wms",
        "operations": [
            {
                "code": "GetCapabilities",
                "method": "GET",
                "type": "application/xml",
                "href": f"{base}?{urlencode({'SERVICE': 'WMS', 'REQUEST': 'GetCapabilities', 'VERSION': '1.3.0'})}",
            },
            {
                "code": "GetMap",
                "method": "GET",
                "type": "image/png",
                "href": f"{base}?"
                + urlencode(
                    {
                        "SERVICE": "WMS",
                        "VERSION": "1.3.0",
                        "REQUEST": "GetMap",
                        "LAYERS": layer,
                        "STYLES": style,
                        "FORMAT": "image/png",
                        "TRANSPARENT": "TRUE",
                    }
                ),
            },
        ],
    }
    if style:
        wms["styles"] = [{"name": style, "title": style, "default": True}]
    offerings = [wms]
    if dataset.kind == Dataset.Kind.VECTOR:
        offerings.append(
            {
                "code": OFFERING_BASE + "wfs",
                "operations": [
                    {
                        "code": "GetFeature",
                        "method": "GET",
                        "type": "application/json",
                        "href": f"{base}?"
                        + urlencode(
                            {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": f"ms:{layer}"}
                        ),
                    }
                ],
            }
        )
    resource = {
        "type": "Feature",
        "id": f"{settings.SITE_URL}{dataset.get_absolute_url()}",
        "geometry": None,
        "properties": {
            "title": dataset.title,
            "updated": dataset.updated_at.isoformat(timespec="seconds"),
            "active": True,
            "offerings": offerings,
            "gp:opacity": opacity,
            "gp:queryable": dataset.kind == Dataset.Kind.VECTOR,
            "gp:dataset": dataset.pk,
        },
    }
    if dataset.abstract:
        resource["properties"]["abstract"] = dataset.abstract[:5000]
    if folder:
        resource["properties"]["folder"] = _folder(folder)
    if dataset.bbox_wgs84:
        resource["bbox"] = list(dataset.bbox_wgs84)
    return resource


def new_context(title: str, resources: list[dict], *, bbox: list[float] | None = None, subtitle: str = "") -> dict:
    """A context document for a new map, validated like any other."""
    document = {
        "type": "FeatureCollection",
        "properties": {"links": {"profiles": [{"href": PROFILE}]}, "lang": "fr", "title": title, "subtitle": subtitle},
        "features": resources,
    }
    if bbox is not None:
        document["bbox"] = bbox
    return validate(document)


def resource_datasets(context: dict) -> list[int]:
    """Our dataset ids among a context's layers, in tree order."""
    return [f["properties"]["gp:dataset"] for f in context.get("features", []) if "gp:dataset" in f["properties"]]
