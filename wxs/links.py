"""The service addresses of a dataset, as the dataset page, the API and the ISO 19139 record give them."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalogue.models import Dataset


@dataclass(frozen=True)
class ServiceLink:
    key: str  # the API's `links` key
    protocol: str  # ISO 19139 / CSW protocol name
    label: str
    url: str  # what a GIS client is given: capabilities or landing document
    qgis: str  # where to paste it in QGIS
    paste: str = ""  # the address QGIS wants when it is not `url`

    @property
    def qgis_url(self) -> str:
        return self.paste or self.url


def service_links(dataset: Dataset, absolute: Callable[[str], str]) -> list[ServiceLink]:
    """The services that serve `dataset` (none before it has data); `absolute` turns a path into a full URL."""
    if dataset.resource_type == Dataset.ResourceType.MAP:
        return map_links(dataset, absolute)
    if not dataset.has_data:
        return []
    ows = absolute(reverse("wxs:dataset_ows", args=[dataset.pk]))
    links = [
        ServiceLink(
            "wms",
            "OGC:WMS",
            _("WMS (carte)"),
            f"{ows}?SERVICE=WMS&REQUEST=GetCapabilities",
            _("Couche › Ajouter une couche › Ajouter une couche WMS/WMTS… › Nouveau"),
        )
    ]
    if dataset.kind == Dataset.Kind.VECTOR:
        links.append(
            ServiceLink(
                "wfs",
                "OGC:WFS",
                _("WFS (objets)"),
                f"{ows}?SERVICE=WFS&REQUEST=GetCapabilities",
                _("Couche › Ajouter une couche › Ajouter une couche WFS / OGC API - Features… › Nouveau"),
            )
        )
    else:
        links.append(
            ServiceLink(
                "wcs",
                "OGC:WCS",
                _("WCS (couverture)"),
                f"{ows}?SERVICE=WCS&REQUEST=GetCapabilities",
                _("Couche › Ajouter une couche › Ajouter une couche WCS… › Nouveau"),
            )
        )
    links.append(
        ServiceLink(
            "wmts",
            "OGC:WMTS",
            _("WMTS (tuiles)"),
            absolute(reverse("wxs:wmts_capabilities", args=[dataset.pk])),
            _("Couche › Ajouter une couche › Ajouter une couche WMS/WMTS… › Nouveau"),
        )
    )
    if dataset.kind == Dataset.Kind.VECTOR:
        links.append(
            ServiceLink(
                "ogcapi",
                "OGC API - Features",
                _("OGC API Features"),
                absolute(reverse("wxs:ogcapi", kwargs={"endpoint": f"collections/{dataset.layer_name}"})),
                _("Couche › Ajouter une couche › Ajouter une couche WFS / OGC API - Features… › Nouveau"),
                absolute(reverse("wxs:ogcapi", kwargs={"endpoint": ""})),  # QGIS wants the landing page
            )
        )
    return links


def map_links(record: Dataset, absolute: Callable[[str], str]) -> list[ServiceLink]:
    """A map record is served by the viewer and by its OWS Context document (the map's id is its record's)."""
    return [
        ServiceLink("viewer", "WWW:LINK", _("Visualiseur"), absolute(reverse("viewer:map", args=[record.pk])), ""),
        ServiceLink(
            "context",
            "OGC:OWS-C",
            _("Contexte OWS (GeoJSON, OGC 14-055)"),
            absolute(reverse("viewer:context", args=[record.pk])),
            "",
        ),
    ]
