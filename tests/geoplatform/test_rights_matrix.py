"""The rights matrix: role × endpoint × dataset state. Every URL of the platform must have a row here."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from catalogue import records
from catalogue.models import Dataset
from tests.conftest import import_now, token_client
from tests.sample_data import shapefile_zip

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["anonymous", "reader", "member_a", "producer_a", "producer_b", "admin"]
READERS_OF_PRIVATE = {"member_a", "producer_a", "admin"}
EDITORS = {"producer_a", "admin"}


def _wms(action: str, ds: Dataset) -> dict:
    params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": action}
    if action == "GetMap":
        params.update(
            LAYERS=ds.layer_name,
            STYLES="",
            CRS=f"EPSG:{ds.srid}",
            BBOX=",".join(map(str, ds.bbox)),
            WIDTH="64",
            HEIGHT="64",
            FORMAT="image/png",
        )
    return params


def _wmts_get_tile(ds: Dataset) -> dict:
    return {
        "SERVICE": "WMTS",
        "REQUEST": "GetTile",
        "VERSION": "1.0.0",
        "LAYER": ds.layer_name,
        "STYLE": "default",
        "TILEMATRIXSET": "LAMB93",
        "TILEMATRIX": "0",
        "TILEROW": "0",
        "TILECOL": "0",
        "FORMAT": "image/png",
    }


def _denied(response) -> bool:
    """Refused without saying whether the dataset exists: 404, or a login prompt / 401 for anonymous callers."""
    if response.status_code in (401, 404):
        return True
    return response.status_code == 302 and "/comptes/login/" in response["Location"]


def _ows(operation: str, ds: Dataset) -> dict:
    """One OGC operation on the dataset's layer, for the dataset, organisation and global endpoints."""
    layer = ds.layer_name
    if operation in ("GetMap", "GetCapabilities"):
        return _wms(operation, ds)
    if operation == "GetFeatureInfo":
        info = {"QUERY_LAYERS": layer, "I": "32", "J": "32", "INFO_FORMAT": "application/json"}
        return {**_wms("GetMap", ds), "REQUEST": operation, **info}
    if operation == "GetLegendGraphic":
        legend = {"LAYER": layer, "FORMAT": "image/png", "SLD_VERSION": "1.1.0"}
        return {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": operation, **legend}
    wfs = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": operation, "TYPENAMES": f"ms:{layer}"}
    if operation == "DescribeFeatureType":
        return wfs
    return {**wfs, "OUTPUTFORMAT": "geojson", "COUNT": "1"}


# What a granted answer to each operation looks like (a refusal is a ServiceException, or a 404 on /ows/dataset).
OWS_GRANTED = {
    "GetCapabilities": lambda r, d, j: r.status_code == 200 and f"<Name>{d.layer_name}</Name>".encode() in r.content,
    "GetMap": lambda r, d, j: r.status_code == 200 and r["Content-Type"] == "image/png",
    "GetFeatureInfo": lambda r, d, j: r.status_code == 200 and b"FeatureCollection" in r.content,
    "GetLegendGraphic": lambda r, d, j: r.status_code == 200 and r["Content-Type"] == "image/png",
    "DescribeFeatureType": lambda r, d, j: r.status_code == 200 and f'name="{d.layer_name}"'.encode() in r.content,
    "GetFeature": lambda r, d, j: r.status_code == 200 and b'"FeatureCollection"' in r.getvalue(),  # streamed
}


@dataclass
class Row:
    kind: str  # read, edit, or public-only
    request: Callable  # (client, api_client, dataset, job_id) -> response
    allowed: Callable  # (response, dataset, job_id) -> bool
    lists: bool = False  # a listing refuses by leaving the dataset out, not by an error


def _status(code: int) -> Callable:
    return lambda r, d, j: r.status_code == code


def _redirects_to(path: str) -> Callable:
    return lambda r, d, j: r.status_code == 302 and r["Location"].endswith(path.format(d=d, j=j))


def _lists_title(r, d, j) -> bool:
    return r.status_code == 200 and d.title in r.content.decode()


def _with_attachment(d: Dataset) -> int:
    """The record's document the attachment rows ask for (made once)."""
    from django.core.files.base import ContentFile

    from catalogue.models import Attachment

    attachment = Attachment.objects.filter(dataset=d).first()
    if attachment is None:
        attachment = Attachment(dataset=d, title="Notice")
        attachment.file.save("notice.txt", ContentFile(b"Notice."), save=False)
        attachment.save()
    return attachment.pk


def _with_thumbnail(d: Dataset) -> Dataset:
    """A thumbnail for the thumbnail row (drawing it through MapServer is tests/catalogue/test_attachments.py)."""
    from django.core.files.base import ContentFile

    if not Dataset.objects.get(pk=d.pk).thumbnail:
        d.thumbnail.save(f"ds{d.pk}.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=False)
        Dataset.objects.filter(pk=d.pk).update(thumbnail=d.thumbnail.name)
    return d


def _zip_package(r, d, j) -> bool:
    """A streamed zip package holding the dataset's README (consumed, so the download runs to its end)."""
    import io
    import zipfile

    if r.status_code != 200 or r["Content-Type"] != "application/zip":
        return False
    with zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content))) as archive:
        return "LISEZMOI.txt" in archive.namelist()


def _error_code(status: int, code: str) -> Callable:
    return lambda r, d, j: r.status_code == status and r.json()["error"]["code"] == code


def _lists_id(r, d, j) -> bool:
    return r.status_code == 200 and any(item["id"] == d.pk for item in r.json()["results"])


def _lists_record(r, d, j) -> bool:
    return r.status_code == 200 and any(record["id"] == str(d.uuid) for record in r.json()["features"])


def _map_of(d: Dataset) -> int:
    """A map of Commune A showing `d`, shared exactly like `d` (the map rows ask for it; made once)."""
    from viewer import owscontext, services
    from viewer.models import Map

    map_ = Map.objects.filter(record__title=f"Carte de {d.title}").first()
    if map_ is None:
        context = owscontext.new_context(f"Carte de {d.title}", [owscontext.dataset_resource(d)])
        map_ = services.create_map(d.created_by, context, d.organisation)
    Dataset.objects.filter(pk=map_.pk).update(public=d.public)
    records.refresh([map_.pk], with_xml=False)
    return map_.pk


def _search_places(client, d: Dataset):
    """Search the viewer's places with `d` made searchable by its `nom` attribute (made once)."""
    from geoplatform.models import GazetteerLayer

    GazetteerLayer.objects.get_or_create(dataset_id=d.pk, defaults={"label_field": "nom"})
    return client.get("/cartes/lieux/", {"q": "parcelle"})


def _finds_places_of(r, d, j) -> bool:
    return r.status_code == 200 and any(place["kind"] == d.title for place in r.json()["results"])


def _map_shows_layer(r, d, j) -> bool:
    return r.status_code == 200 and [f["properties"]["title"] for f in r.json()["features"]] == [d.title]


def _print(client, d: Dataset):
    """Print a map showing `d` over its extent, as the viewer's print dialog asks (PDF, lowest resolution)."""
    import json

    from viewer import owscontext

    context = owscontext.new_context("Carte imprimée", [owscontext.dataset_resource(d)])
    body = {"context": context, "bbox": list(d.bbox), "srid": d.srid, "dpi": 96, "title": "Impression"}
    return client.post("/cartes/imprimer/", json.dumps(body), content_type="application/json")


def _prints_layer(r, d, j) -> bool:
    """The page names the layer (legend) and its organisation (sources): it was drawn."""
    import pypdfium2

    if r.status_code != 200 or r["Content-Type"] != "application/pdf":
        return False
    text = pypdfium2.PdfDocument(r.content)[0].get_textpage().get_text_range()
    return d.title in text and d.organisation.name in text


MATRIX = {
    "catalogue:home": Row("public-only", lambda c, a, d, j: c.get("/"), _lists_title, lists=True),
    "catalogue:datasets": Row("read", lambda c, a, d, j: c.get("/donnees/"), _lists_title, lists=True),
    # Search by a word of the title: the results, their count and facets hold only what the caller may see.
    "catalogue:datasets search": Row(
        "read",
        lambda c, a, d, j: c.get("/donnees/", {"q": "parcelles", "access": "restricted,open"}),
        _lists_title,
        lists=True,
    ),
    "api:dataset-list search": Row(
        "read", lambda c, a, d, j: a.get("/api/v1/datasets/", {"q": "parcelles"}), _lists_id, lists=True
    ),
    # Feeds and the sitemap are public documents: what anonymous visitors see, whoever asks.
    "catalogue:feed_rss": Row("public-only", lambda c, a, d, j: c.get("/donnees/flux.rss"), _lists_title, lists=True),
    "catalogue:feed_atom": Row("public-only", lambda c, a, d, j: c.get("/donnees/flux.atom"), _lists_title, lists=True),
    "catalogue:sitemap_section": Row(
        "public-only",
        lambda c, a, d, j: c.get("/sitemap-records.xml"),
        lambda r, d, j: r.status_code == 200 and f"/donnees/{d.pk}/</loc>" in r.content.decode(),
        lists=True,
    ),
    "catalogue:dataset": Row("read", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/"), _status(200)),
    **{
        f"catalogue:dcat_dataset {fmt}": Row(
            "read", lambda c, a, d, j, fmt=fmt: c.get(f"/donnees/{d.pk}/dcat.{fmt}"), _status(200)
        )
        for fmt in ("ttl", "rdf", "jsonld")
    },
    # The DCAT-AP catalogue is what national catalogues harvest: public records only, whoever asks.
    **{
        f"catalogue:dcat_catalog {fmt}": Row(
            "public-only", lambda c, a, d, j, fmt=fmt: c.get(f"/dcat/catalog.{fmt}"), _lists_title, lists=True
        )
        for fmt in ("ttl", "rdf", "jsonld")
    },
    "catalogue:edit": Row("edit", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/modifier/"), _status(200)),
    "catalogue:publish": Row(
        "edit", lambda c, a, d, j: c.post(f"/donnees/{d.pk}/publier/"), _redirects_to("/donnees/{d.pk}/")
    ),
    "wxs:dataset_ows GetMap": Row(
        "read",
        lambda c, a, d, j: c.get(f"/ows/dataset/{d.pk}", _wms("GetMap", d)),
        lambda r, d, j: r.status_code == 200 and r["Content-Type"] == "image/png",
    ),
    "wxs:dataset_ows GetCapabilities": Row(
        "read",
        lambda c, a, d, j: c.get(f"/ows/dataset/{d.pk}", _wms("GetCapabilities", d)),
        lambda r, d, j: r.status_code == 200 and b"WMS_Capabilities" in r.content,
    ),
    # The global and organisation services list and serve only the caller's layers (refusals: ServiceException).
    **{
        f"wxs:{view} {operation}": Row(
            "read",
            lambda c, a, d, j, url=url, operation=operation: c.get(url(d), _ows(operation, d)),
            OWS_GRANTED[operation],
            lists=view != "dataset_ows",
        )
        for view, url in (
            ("global_ows", lambda d: "/ows"),
            ("organisation_ows", lambda d: f"/ows/org/{d.organisation.slug}"),
            ("dataset_ows", lambda d: f"/ows/dataset/{d.pk}"),
        )
        for operation in OWS_GRANTED
        if view != "dataset_ows" or operation not in ("GetMap", "GetCapabilities")
    },
    # Tiles (WMTS KVP and REST, TMS) answer through MapProxy with the same rights; refusals are OGC exceptions.
    "wxs:wmts_capabilities": Row(
        "read",
        lambda c, a, d, j: c.get(f"/wmts/dataset/{d.pk}/1.0.0/WMTSCapabilities.xml"),
        lambda r, d, j: r.status_code == 200 and b"<Capabilities" in r.content,
    ),
    "wxs:wmts GetCapabilities": Row(
        "read",
        lambda c, a, d, j: c.get(f"/wmts/dataset/{d.pk}", {"SERVICE": "WMTS", "REQUEST": "GetCapabilities"}),
        lambda r, d, j: r.status_code == 200 and b"<Capabilities" in r.content,
    ),
    "wxs:wmts GetTile": Row(
        "read",
        lambda c, a, d, j: c.get(f"/wmts/dataset/{d.pk}", _wmts_get_tile(d)),
        lambda r, d, j: r.status_code == 200 and r["Content-Type"] == "image/png",
    ),
    "wxs:wmts_tile": Row(
        "read",
        lambda c, a, d, j: c.get(f"/wmts/dataset/{d.pk}/1.0.0/{d.layer_name}/default/LAMB93/0/0/0.png"),
        lambda r, d, j: r.status_code == 200 and r["Content-Type"] == "image/png",
    ),
    "wxs:tms": Row(
        "read",
        lambda c, a, d, j: c.get(f"/tms/dataset/{d.pk}/1.0.0/{d.layer_name}/GoogleMapsCompatible/0/0/0.png"),
        lambda r, d, j: r.status_code == 200 and r["Content-Type"] == "image/png",
    ),
    # OGC API Records serve what anonymous visitors may see, whoever asks.
    "wxs:ogcapi items": Row(
        "public-only",
        lambda c, a, d, j: c.get("/ogcapi/collections/catalogue/items", {"limit": 500}),
        _lists_record,
        lists=True,
    ),
    "wxs:ogcapi search": Row(
        "public-only",
        lambda c, a, d, j: c.get("/ogcapi/collections/catalogue/items", {"q": d.title}),
        _lists_record,
        lists=True,
    ),
    "wxs:ogcapi item": Row(
        "public-only", lambda c, a, d, j: c.get(f"/ogcapi/collections/catalogue/items/{d.uuid}"), _status(200)
    ),
    "wxs:styles": Row("edit", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/styles/"), _status(200)),
    "wxs:styles POST": Row("edit", lambda c, a, d, j: c.post(f"/donnees/{d.pk}/styles/", {}), _status(400)),
    "wxs:style_sld": Row("edit", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/styles/sld/"), _status(200)),
    "wxs:style_sld POST": Row("edit", lambda c, a, d, j: c.post(f"/donnees/{d.pk}/styles/sld/", {}), _status(400)),
    # OGC API Features: one collection per dataset, shown and served to whoever may view its data.
    "wxs:ogcapi collections": Row(
        "read",
        lambda c, a, d, j: c.get("/ogcapi/collections", {"f": "json"}),
        lambda r, d, j: r.status_code == 200 and d.layer_name in {x["id"] for x in r.json()["collections"]},
        lists=True,
    ),
    "wxs:ogcapi openapi": Row(
        "read",
        lambda c, a, d, j: c.get("/ogcapi/openapi", {"f": "json"}),
        lambda r, d, j: r.status_code == 200 and f"/collections/{d.layer_name}/items" in r.json()["paths"],
        lists=True,
    ),
    "wxs:ogcapi collection": Row(
        "read", lambda c, a, d, j: c.get(f"/ogcapi/collections/{d.layer_name}", {"f": "json"}), _status(200)
    ),
    "wxs:ogcapi features": Row(
        "read",
        lambda c, a, d, j: c.get(f"/ogcapi/collections/{d.layer_name}/items", {"f": "json"}),
        lambda r, d, j: r.status_code == 200 and r.json()["numberMatched"] > 0,
    ),
    "wxs:ogcapi feature": Row(
        "read", lambda c, a, d, j: c.get(f"/ogcapi/collections/{d.layer_name}/items/1", {"f": "json"}), _status(200)
    ),
    "wxs:ogcapi queryables": Row(
        "read",
        lambda c, a, d, j: c.get(f"/ogcapi/collections/{d.layer_name}/queryables", {"f": "json"}),
        _status(200),
    ),
    "wxs:api_style": Row("read", lambda c, a, d, j: a.get(f"/api/v1/datasets/{d.pk}/style/"), _status(200)),
    "wxs:api_style PUT": Row(
        "edit",
        lambda c, a, d, j: a.put(f"/api/v1/datasets/{d.pk}/style/", {"kind": "single"}, format="json"),
        _status(200),
    ),
    "api:dataset-list": Row("read", lambda c, a, d, j: a.get("/api/v1/datasets/"), _lists_id, lists=True),
    "api:dataset-detail": Row("read", lambda c, a, d, j: a.get(f"/api/v1/datasets/{d.pk}/"), _status(200)),
    "api:dataset-publish": Row("edit", lambda c, a, d, j: a.post(f"/api/v1/datasets/{d.pk}/publish/"), _status(200)),
    # Without a file an entitled caller gets a validation error; others learn nothing.
    "api:dataset-data": Row(
        "edit", lambda c, a, d, j: a.post(f"/api/v1/datasets/{d.pk}/data/", {}, format="multipart"), _status(400)
    ),
    "catalogue:sharing": Row("edit", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/partage/"), _status(200)),
    # Empty or unknown choices: an entitled caller gets the form back with errors, others nothing.
    "catalogue:sharing_preset": Row("edit", lambda c, a, d, j: c.post(f"/donnees/{d.pk}/partage/mode/"), _status(400)),
    "catalogue:grant_add": Row("edit", lambda c, a, d, j: c.post(f"/donnees/{d.pk}/partage/droits/"), _status(400)),
    "catalogue:grant_remove": Row(
        "edit",
        lambda c, a, d, j: c.post(f"/donnees/{d.pk}/partage/droits/999999/retirer/"),
        _redirects_to("/donnees/{d.pk}/partage/#droits"),
    ),
    "api:dataset-permissions": Row(
        "edit", lambda c, a, d, j: a.get(f"/api/v1/datasets/{d.pk}/permissions/"), _status(200)
    ),
    "api:dataset-grants": Row(
        "edit",
        lambda c, a, d, j: a.post(f"/api/v1/datasets/{d.pk}/permissions/grants/", {}, format="json"),
        _status(400),
    ),
    "api:dataset-grant-detail": Row(
        "edit",
        lambda c, a, d, j: a.delete(f"/api/v1/datasets/{d.pk}/permissions/grants/999999/"),
        lambda r, d, j: r.status_code == 404 and r.json()["error"]["code"] == "grant_not_found",
    ),
    "catalogue:iso19139": Row(
        "read",
        lambda c, a, d, j: c.get(f"/donnees/{d.pk}/iso19139.xml"),
        lambda r, d, j: r.status_code == 200 and b"gmd:MD_Metadata" in r.content,
    ),
    "api:dataset-iso19139": Row(
        "read",
        lambda c, a, d, j: a.get(f"/api/v1/datasets/{d.pk}/iso19139.xml"),
        lambda r, d, j: r.status_code == 200 and b"gmd:MD_Metadata" in r.content,
    ),
    # An empty body: an entitled caller is told the document is missing, others learn nothing.
    "api:dataset-iso19139 PUT": Row(
        "edit",
        lambda c, a, d, j: a.put(f"/api/v1/datasets/{d.pk}/iso19139.xml", b"", content_type="application/xml"),
        lambda r, d, j: r.status_code == 400 and r.json()["error"]["code"] == "xml_missing",
    ),
    "catalogue:record_import ?dataset": Row(
        "edit", lambda c, a, d, j: c.get(f"/donnees/importer-fiche/?dataset={d.pk}"), _status(200)
    ),
    "importer:import": Row("edit", lambda c, a, d, j: c.get(f"/import/?dataset={d.pk}"), _status(200)),
    "importer:job": Row("edit", lambda c, a, d, j: c.get(f"/import/jobs/{j}/"), _status(200)),
    "importer:job_cancel": Row(
        "edit", lambda c, a, d, j: c.post(f"/import/jobs/{j}/cancel/"), _redirects_to("/import/jobs/{j}/")
    ),
    "importer:job_retry": Row(
        "edit", lambda c, a, d, j: c.post(f"/import/jobs/{j}/retry/"), _redirects_to("/import/jobs/{j}/")
    ),
    "api:job": Row("edit", lambda c, a, d, j: a.get(f"/api/v1/jobs/{j}/"), _status(200)),
    "api:job-cancel": Row("edit", lambda c, a, d, j: a.post(f"/api/v1/jobs/{j}/cancel/"), _status(200)),
    # Downloads: the dataset page's direct download streams a zip to whoever may download (anonymous visitors:
    # open data only, which the matrix's public dataset is); the API (signed in) refuses an unknown format to an
    # entitled caller and answers others as if the dataset did not exist.
    "downloads:direct": Row(
        "read", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/telecharger/", {"format": "geojson"}), _zip_package
    ),
    # The download form (downloads/page_views.py): shown, and adding to the basket, for whoever may download.
    "downloads:extract": Row("read", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/telecharger/choix/"), _status(200)),
    "downloads:extract POST": Row(
        "read",
        lambda c, a, d, j: c.post(
            f"/donnees/{d.pk}/telecharger/choix/", {"action": "basket", "format": "gpkg", "srid": 2154, "clip": "none"}
        ),
        _redirects_to("/telechargements/panier/"),
    ),
    "api:download-list POST": Row(
        "read-signed-in",
        lambda c, a, d, j: a.post("/api/v1/downloads/", {"items": [{"dataset": d.pk, "format": "?"}]}, format="json"),
        _error_code(400, "unknown_format"),
    ),
    "api:download-basket POST": Row(
        "read-signed-in",
        lambda c, a, d, j: a.post("/api/v1/downloads/basket/", {"dataset": d.pk, "format": "?"}, format="json"),
        _error_code(400, "unknown_format"),
    ),
    "catalogue:history": Row("edit", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/historique/"), _status(200)),
    # Without a file an entitled caller is sent back to the editor's documents; others learn nothing.
    "catalogue:attachment_add": Row(
        "edit",
        lambda c, a, d, j: c.post(f"/donnees/{d.pk}/documents/"),
        _redirects_to("/donnees/{d.pk}/modifier/#documents"),
    ),
    "catalogue:attachment": Row(
        "read", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/documents/{_with_attachment(d)}/"), _status(200)
    ),
    "catalogue:attachment_remove": Row(
        "edit",
        lambda c, a, d, j: c.post(f"/donnees/{d.pk}/documents/999999/retirer/"),
        _redirects_to("/donnees/{d.pk}/modifier/#documents"),
    ),
    "catalogue:thumbnail": Row(
        "read", lambda c, a, d, j: c.get(f"/donnees/{_with_thumbnail(d).pk}/vignette.png"), _status(200)
    ),
    # Maps: a map is shared like its record (here like the dataset it shows), its layers like their datasets.
    "viewer:context": Row("read", lambda c, a, d, j: c.get(f"/cartes/{_map_of(d)}/contexte.json"), _map_shows_layer),
    # The viewer pages (viewer/views.py): the map and its embeddable view for whoever may see the map, the composer
    # for its editors; the list names the maps the caller may see.
    "viewer:map": Row("read", lambda c, a, d, j: c.get(f"/cartes/{_map_of(d)}/"), _status(200)),
    "viewer:embed": Row("read", lambda c, a, d, j: c.get(f"/cartes/{_map_of(d)}/integration/"), _status(200)),
    "viewer:edit": Row("edit", lambda c, a, d, j: c.get(f"/cartes/{_map_of(d)}/modifier/"), _status(200)),
    "viewer:maps": Row("read", lambda c, a, d, j: (_map_of(d), c.get("/cartes/"))[1], _lists_title, lists=True),
    "api:map-list": Row(
        "read",
        lambda c, a, d, j: a.get("/api/v1/maps/"),
        lambda r, d, j: r.status_code == 200 and _map_of(d) in {m["id"] for m in r.json()},
        lists=True,
    ),
    "api:map-detail": Row("read", lambda c, a, d, j: a.get(f"/api/v1/maps/{_map_of(d)}/"), _status(200)),
    "api:map-detail PUT": Row(
        "edit",
        lambda c, a, d, j: a.put(f"/api/v1/maps/{_map_of(d)}/", {"type": "FeatureCollection"}, format="json"),
        lambda r, d, j: r.status_code == 400 and r.json()["error"]["code"] == "not_owc",
    ),
    "catalogue:thumbnail_generate": Row(
        "edit",
        lambda c, a, d, j: c.post(f"/donnees/{d.pk}/vignette/"),
        _redirects_to("/donnees/{d.pk}/modifier/#documents"),
    ),
    # Place search: a searchable layer's features are found only by those who may view its data.
    "viewer:places": Row(
        "read",
        lambda c, a, d, j: _search_places(c, d),
        _finds_places_of,
        lists=True,
    ),
    # Printing a map: a layer is drawn and named only for those who may view its data; others get the page without it.
    "viewer:print": Row("read", lambda c, a, d, j: _print(c, d), _prints_layer, lists=True),
}

# URLs that serve no dataset: their rows are in PLATFORM_MATRIX below, or, for owner-only and public
# plumbing, in their own test files.
NOT_DATASET_SCOPED = {
    "api:api-root",
    "api:token",
    "schema",
    "api-docs",
    "healthz",
    "set_language",
    "legal_notice",
    "terms_of_use",
    "importer:upload_create",
    "importer:upload",
    "importer:upload_complete",  # owner-only: test_chunked_upload
    "token-revoke",  # owner-only: test_tokens
    "public_media",  # logos only, never uploads or data: test_public_media
    "catalogue:sitemap",  # an index of the sitemap sections, no record: tests/catalogue/test_feeds.py
    "catalogue:csw",  # pycsw reads a view of anonymous-visible records only: tests/catalogue/test_csw.py
    "openid_connect_login",
    "openid_connect_callback",  # allauth's sign-on pages: test_security_sso
    # Download jobs, their signed-link file and basket entries are their owner's only: tests/downloads/test_jobs.py
    "downloads:job",
    "downloads:job_cancel",
    "downloads:file",
    "api:download-detail",
    "api:download-cancel",
    "api:download-basket-item",
    "api:download-basket-order",
    # The pages' basket actions and job rows: owner-only, tests/downloads/test_download_pages.py.
    "downloads:basket_order",
    "downloads:basket_remove",
    "downloads:job_row",
}
NOT_DATASET_SCOPED_PREFIXES = ("account_", "admin:", "socialaccount_", "mfa_", "usersessions_", "headless:")


def _url_names(resolver=None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            names |= _url_names(pattern, prefix + (f"{pattern.namespace}:" if pattern.namespace else ""))
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_every_endpoint_has_a_row():
    covered = {name.split(" ")[0] for name in MATRIX} | {name.split(" ")[0] for name in PLATFORM_MATRIX}
    covered |= NOT_DATASET_SCOPED
    missing = {name for name in _url_names() - covered if not name.startswith(NOT_DATASET_SCOPED_PREFIXES)}
    assert not missing, f"endpoints without a row in the rights matrix: {sorted(missing)}"


@pytest.fixture
def users(producer_a, producer_b, member_a, reader, admin_user):
    return {
        "producer_a": producer_a,
        "producer_b": producer_b,
        "member_a": member_a,
        "reader": reader,
        "admin": admin_user,
    }


@pytest.fixture
def private_dataset(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path), "Parcelles test")
    return job


def _clients(role: str, users: dict):
    from django.test import Client
    from rest_framework.test import APIClient

    if role == "anonymous":
        return Client(), APIClient()
    client = Client()
    client.force_login(users[role])
    return client, token_client(users[role])


def _allowed_for(kind: str, role: str, public: bool) -> bool:
    if kind == "read":
        return public or role in READERS_OF_PRIVATE
    if kind == "public-only":
        return public
    if kind == "read-signed-in":  # API endpoints that need an account (anonymous callers get a 401)
        return role != "anonymous" and (public or role in READERS_OF_PRIVATE)
    return role in EDITORS


@pytest.mark.parametrize("public", [False, True], ids=["private", "public"])
@pytest.mark.parametrize("role", ROLES)
def test_rights_matrix(role, public, users, private_dataset):
    job = private_dataset
    dataset = job.dataset
    mismatches = []
    for name, row in MATRIX.items():
        Dataset.objects.filter(pk=dataset.pk).update(public=public, published_at=None)
        records.refresh([dataset.pk], with_xml=False)  # update() skips the signals that keep it current
        dataset.refresh_from_db()
        client, api = _clients(role, users)
        response = row.request(client, api, dataset, job.pk)
        expected = _allowed_for(row.kind, role, public)
        granted = row.allowed(response, dataset, job.pk)
        if expected and not granted:
            mismatches.append(f"{name}: refused ({response.status_code}) but should be allowed")
        elif not expected and granted:
            mismatches.append(f"{name}: allowed but should be refused")
        elif not expected and not row.lists and not _denied(response):
            mismatches.append(f"{name}: refused with {response.status_code}, which tells the dataset exists")
        if not expected and dataset.title.encode() in getattr(response, "content", b""):
            mismatches.append(f"{name}: the private title leaks in the response")
    assert not mismatches, f"{role} on a {'public' if public else 'private'} dataset:\n" + "\n".join(mismatches)


# Platform pages and APIs: what each role gets. "login" = sent to the login page (pages) or 401 (API).
ADMIN_ONLY = {"anonymous": "login", "reader": 403, "member_a": 403, "producer_a": 403, "producer_b": 403, "admin": 200}
SIGNED_IN = {"anonymous": "login", "reader": 200, "member_a": 200, "producer_a": 200, "producer_b": 200, "admin": 200}
PLATFORM_MATRIX = {
    **{
        f"administration:{name}": (path, ADMIN_ONLY)
        for name, path in [
            ("index", "/administration/"),
            ("organisations", "/administration/organisations/"),
            ("organisation_create", "/administration/organisations/nouvelle/"),
            ("organisation_edit", "/administration/organisations/{org}/"),
            ("users", "/administration/utilisateurs/"),
            ("user_invite", "/administration/utilisateurs/inviter/"),
            ("user_edit", "/administration/utilisateurs/{user}/"),
            ("groups", "/administration/groupes/"),
            ("group_create", "/administration/groupes/nouveau/"),
            ("group_edit", "/administration/groupes/{group}/"),
            ("domains", "/administration/domaines/"),
            ("domain_create", "/administration/domaines/nouveau/"),
            ("domain_edit", "/administration/domaines/{domain}/"),
            ("settings", "/administration/reglages/"),
            ("audit", "/administration/journal/"),
            ("gazetteer", "/administration/lieux/"),
            ("gazetteer_create", "/administration/lieux/nouvelle/"),
            ("gazetteer_edit", "/administration/lieux/{gazetteer}/"),
        ]
    },
    "statistics:dashboard": ("/statistiques/", ADMIN_ONLY),
    # The composer's reading of external services: producers only; without an address they get a 400.
    "viewer:capabilities": (
        "/cartes/capacites/",
        {**ADMIN_ONLY, "anonymous": 401, "producer_a": 400, "producer_b": 400, "admin": 400},
    ),
    "statistics:export": ("/statistiques/export.csv", ADMIN_ONLY),
    "statistics:mine": ("/statistiques/mes-donnees/", SIGNED_IN),
    "profile": ("/comptes/profil/", SIGNED_IN),
    "tokens": ("/comptes/cles/", SIGNED_IN),
    "catalogue:record_import": (
        "/donnees/importer-fiche/",
        {**ADMIN_ONLY, "producer_a": 200, "producer_b": 200},
    ),
    "catalogue:record_create": ("/donnees/nouvelle-fiche/", {**ADMIN_ONLY, "producer_a": 200, "producer_b": 200}),
    "viewer:compose": ("/cartes/nouvelle/", {**ADMIN_ONLY, "producer_a": 200, "producer_b": 200}),
    "viewer:import": ("/cartes/importer/", {**ADMIN_ONLY, "producer_a": 200, "producer_b": 200}),
    # Thesaurus suggestions: free keywords only from the records the caller may see (test_editor).
    "catalogue:keywords": ("/donnees/mots-cles/?thesaurus=gemet", {role: 200 for role in ROLES}),
    "api:dataset-records": ("/api/v1/datasets/records/", {**SIGNED_IN, "anonymous": 401}),
    # One's own download jobs and basket (tests/downloads/test_jobs.py: nobody sees another's).
    "api:download-list": ("/api/v1/downloads/", {**SIGNED_IN, "anonymous": 401}),
    "api:download-basket": ("/api/v1/downloads/basket/", {**SIGNED_IN, "anonymous": 401}),
    # The pages: one's own history needs an account; the basket is everybody's own (visitors': their session's).
    "downloads:my_downloads": ("/telechargements/", SIGNED_IN),
    "downloads:basket": ("/telechargements/panier/", {role: 200 for role in ROLES}),
    "api:dataset-iso19139-import": ("/api/v1/datasets/iso19139/", {**SIGNED_IN, "anonymous": 401}),
    **{
        f"api:{name}": (path, {**ADMIN_ONLY, "anonymous": 401})
        for name, path in [
            ("organisation-list", "/api/v1/organisations/"),
            ("organisation-detail", "/api/v1/organisations/{org}/"),
            ("organisation-members", "/api/v1/organisations/{org}/members/"),
            ("organisation-member", "/api/v1/organisations/{org}/members/{username}/"),
            ("group-list", "/api/v1/groups/"),
            ("group-detail", "/api/v1/groups/{group}/"),
            ("territory-list", "/api/v1/territories/"),
            ("territory-detail", "/api/v1/territories/{territory}/"),
        ]
    },
}
# Members endpoints and the ISO 19139 import only take POST/DELETE: GET answers 405 to those who get that far.
METHOD_NOT_ALLOWED = {
    "api:organisation-members",
    "api:organisation-member",
    "api:dataset-iso19139-import",
    "api:dataset-records",
}


@pytest.mark.parametrize("role", ROLES)
def test_platform_matrix(role, users, organisations):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geoplatform.models import Domain, GazetteerLayer, Territory, UserGroup

    ids = {
        "org": organisations["a"].pk,
        "user": users["reader"].pk,
        "group": UserGroup.objects.create(name="EPCI du Cher", slug="epci-cher").pk,
        "domain": Domain.objects.create(name="Urbanisme", slug="urbanisme").pk,
        "territory": Territory.objects.create(
            name="Carré", geometry=MultiPolygon(Polygon.from_bbox((0.6, 47.3, 0.7, 47.4)), srid=4326)
        ).pk,
        "username": "lecteur",
        "gazetteer": GazetteerLayer.objects.create(
            dataset=Dataset.objects.create(title="Lieux-dits", organisation=organisations["a"]), label_field="nom"
        ).pk,
    }
    client, api = _clients(role, users)
    mismatches = []
    for name, (path, expected_by_role) in PLATFORM_MATRIX.items():
        url = path.format(**ids)
        response = (api if url.startswith("/api/") else client).get(url)
        expected = expected_by_role[role]
        if expected == "login":
            ok = response.status_code == 302 and "/comptes/login/" in response["Location"]
        elif expected == 200 and name in METHOD_NOT_ALLOWED:
            ok = response.status_code == 405
        else:
            ok = response.status_code == expected
        if not ok:
            mismatches.append(f"{name} {url}: {response.status_code}, expected {expected}")
    assert not mismatches, f"{role}:\n" + "\n".join(mismatches)
