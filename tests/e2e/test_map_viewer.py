"""A visitor browses a public map: layers, identify, measure, place search, share, print, and on a phone."""

import io
import json
import math
import time
from pathlib import Path

import pytest
from django.contrib.gis.geos import Polygon
from osgeo import ogr
from PIL import Image
from playwright.sync_api import Page, expect
from pyproj import Geod, Transformer

from catalogue.models import Dataset
from geoplatform.models import PlatformSettings
from tests.conftest import import_now
from tests.e2e.conftest import describe, run_axe
from tests.sample_data import ORIGIN, shapefile_zip, squares
from viewer import owscontext, services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TO_WEB = Transformer.from_crs(2154, 3857, always_xy=True)
TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)
X, Y = ORIGIN
# Two communes side by side; the parcels (squares of 500 m from ORIGIN) all lie in Tours.
COMMUNES = [
    ("37261", "Tours", (X - 1000, Y - 1000, X + 5000, Y + 4000)),
    ("37214", "Saint-Cyr-sur-Loire", (X - 7000, Y - 1000, X - 1000, Y + 4000)),
]
VIEWER = "document.querySelector('[data-gp-viewer]').gpViewer"
STATIC_DIR = Path(__file__).resolve().parents[2] / "frontend" / "dist"  # one of STATICFILES_DIRS


@pytest.fixture
def public_map(organisations, producer_a, tmp_path):
    """A public map of two public layers: parcels on top of communes; the communes are also the local base map."""
    features = [(Polygon.from_bbox(box).wkt, {"insee": insee, "nom": nom}) for insee, nom, box in COMMUNES]
    archive = shapefile_zip(
        tmp_path / "communes", features, name="communes", fields={"insee": ogr.OFTString, "nom": ogr.OFTString}
    )
    communes = import_now(producer_a, organisations["a"], archive, "Communes").dataset
    parcels = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path / "p", squares()), "Parcelles").dataset
    Dataset.objects.filter(pk__in=[communes.pk, parcels.pk]).update(public=True)
    PlatformSettings.objects.update_or_create(pk=1, defaults={"communes_dataset": communes})
    parcels.refresh_from_db()
    communes.refresh_from_db()
    west, south = TO_WGS84.transform(X - 500, Y - 500)
    east, north = TO_WGS84.transform(X + 4000, Y + 3000)
    context = owscontext.new_context(
        "Parcelles de Tours",
        [owscontext.dataset_resource(parcels), owscontext.dataset_resource(communes, folder="Référentiels")],
        bbox=[west, south, east, north],
    )
    return services.create_map(producer_a, context, organisations["a"], public=True)


def _open(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("[data-gp-viewer][data-ready='1']")).to_be_attached(timeout=30_000)


def _pixel(page: Page, x: float, y: float) -> tuple[float, float]:
    """The page position of a Lambert-93 point on the map."""
    wx, wy = TO_WEB.transform(x, y)
    px, py = page.evaluate(f"{VIEWER}.map.getPixelFromCoordinate([{wx}, {wy}])")
    box = page.locator("[data-gp-map]").bounding_box()
    return box["x"] + px, box["y"] + py


def _until(page: Page, expression: str, timeout: float = 15) -> None:
    """Polls a JavaScript expression from outside the page (the page's CSP forbids Playwright's in-page eval)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(100)


def _assert_axe_clean(page: Page) -> None:
    page.mouse.move(1, 1)  # not on a button in the middle of its hover transition (colours in between)
    page.wait_for_timeout(300)
    violations = run_axe(page)
    assert not violations, describe(violations)


def _state(page: Page) -> dict:
    return page.evaluate(f"{VIEWER}.getContext()")


def test_visitor_uses_layers_identify_measure_and_search(page, public_map, screenshots):
    _open(page, f"/cartes/{public_map.pk}/")
    tree = page.locator("[data-gp-tree]")
    expect(tree.get_by_role("checkbox", name="Parcelles")).to_be_checked()
    expect(tree.locator("summary", has_text="Référentiels")).to_be_visible()
    expect(tree.get_by_role("img", name="Légende de « Parcelles »")).to_be_visible()
    assert page.locator("#gp-basemap").input_value() == "local"
    # The two opaque layers of /ows are drawn by one GetMap, communes at the bottom (besides the base map's).
    getmaps = page.evaluate(
        "performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('REQUEST=GetMap'))"
    )
    parcels, communes = (f["properties"]["gp:dataset"] for f in _state(page)["features"])
    assert len(getmaps) == 2 and sum(f"LAYERS=ds{communes}%2Cds{parcels}&" in url for url in getmaps) == 1, getmaps
    page.screenshot(path=screenshots / "map_viewer.png", full_page=True)
    # Pointer coordinates in Lambert-93 (proj4 loads after the first render) and WGS84.
    _until(page, "window.gpLambert93 !== undefined")
    page.mouse.move(*_pixel(page, X + 2000, Y + 1000))
    l93 = page.locator("[data-gp-coords-l93]").inner_text()
    x, y = ("".join(c for c in part if c.isdigit()) for part in l93.split(";"))
    assert abs(int(x) - (X + 2000)) < 30 and abs(int(y) - (Y + 1000)) < 30, l93
    lon, lat = TO_WGS84.transform(X + 2000, Y + 1000)
    shown_lat, shown_lon = (
        float(part.split("°")[0].replace(",", "."))
        for part in page.locator("[data-gp-coords-wgs84]").inner_text().split(";")
    )
    assert abs(shown_lat - lat) < 3e-4 and abs(shown_lon - lon) < 3e-4

    # Full screen takes the viewer with its panels, not the map alone.
    page.get_by_role("button", name="Plein écran").click()
    _until(page, "document.fullscreenElement === document.querySelector('[data-gp-viewer]')")
    page.screenshot(path=screenshots / "map_viewer_fullscreen.png")
    page.get_by_role("button", name="Plein écran").click()
    _until(page, "document.fullscreenElement === null")

    # Toggle and opacity, as the tree and the context say.
    tree.get_by_role("checkbox", name="Communes").uncheck()
    tree.get_by_label("Opacité de « Parcelles »").fill("40")
    layers = {f["properties"]["title"]: f["properties"] for f in _state(page)["features"]}
    assert layers["Communes"]["active"] is False and layers["Parcelles"]["active"] is True
    assert layers["Parcelles"]["gp:opacity"] == pytest.approx(0.4)
    # Order: the keyboard moves Parcelles below Communes, and the focus stays on the moved layer's button.
    tree.get_by_role("button", name="Descendre « Parcelles »").focus()
    page.keyboard.press("Enter")
    assert [f["properties"]["title"] for f in _state(page)["features"]] == ["Communes", "Parcelles"]
    expect(tree.get_by_role("button", name="Monter « Parcelles »")).to_be_focused()
    page.keyboard.press("Enter")
    # The mouse drags a layer onto another one.
    layer = {name: tree.locator("[data-gp-resource]", has_text=name) for name in ("Communes", "Parcelles")}
    layer["Communes"].drag_to(layer["Parcelles"], source_position={"x": 60, "y": 12})  # held by its title
    assert [f["properties"]["title"] for f in _state(page)["features"]] == ["Communes", "Parcelles"]
    layer["Communes"].drag_to(layer["Parcelles"], source_position={"x": 60, "y": 12})
    assert [f["properties"]["title"] for f in _state(page)["features"]] == ["Parcelles", "Communes"]
    tree.get_by_role("checkbox", name="Communes").check()

    # Identify: a click in parcel n°5 finds it and its commune; paging shows both, the parcel is highlighted.
    page.mouse.click(*_pixel(page, X + 1250, Y + 1250))
    results = page.locator("[data-gp-results]")
    expect(results).to_be_visible()
    expect(results.locator("[data-gp-page]")).to_have_text("1 / 2")
    expect(results.locator("table")).to_contain_text("Parcelle n°5 à l'été")
    _until(page, f"{VIEWER}.highlighted().length === 1")
    highlight = Image.open(io.BytesIO(page.locator("[data-gp-map]").screenshot())).convert("RGB")
    yellow = sum(1 for r, g, b in highlight.get_flattened_data() if r > 230 and 190 < g < 230 and b < 100)
    assert yellow > 200, yellow  # the parcel's outline in the highlight colour
    results.get_by_role("button", name="Suivant").click()
    expect(results.locator("[data-gp-page]")).to_have_text("2 / 2")
    expect(results.locator("table")).to_contain_text("37261")
    expect(results.locator("[data-gp-result-title]")).to_contain_text("Communes")
    page.screenshot(path=screenshots / "map_viewer_identify.png")
    _assert_axe_clean(page)  # with the results panel open

    # Filter by attribute: parcel n°6 is no longer drawn nor found, its commune still is.
    tree.get_by_role("button", name="Filtrer « Parcelles »").click()
    panel = page.locator("[data-gp-filter]")
    expect(panel.get_by_label("Attribut").locator("option[value=code]")).to_be_attached()
    panel.get_by_label("Attribut").select_option("code")
    panel.get_by_label("Condition").select_option("=")
    panel.get_by_label("Valeur").fill("5")
    panel.get_by_role("button", name="Appliquer le filtre").click()
    expect(tree.locator("[data-gp-resource]", has_text="Parcelles")).to_contain_text("filtrée")
    assert _state(page)["features"][0]["properties"]["gp:filter"] == {
        "attribute": "code",
        "operator": "=",
        "value": "5",
    }
    panel.get_by_role("button", name="Fermer le filtre").click()
    page.mouse.click(*_pixel(page, X + 2250, Y + 1250))
    expect(results.locator("[data-gp-result-title]")).to_have_text("Objet 1 sur 1 — Communes")
    page.mouse.click(*_pixel(page, X + 1250, Y + 1250))
    expect(results.locator("[data-gp-page]")).to_have_text("1 / 2")
    results.get_by_role("button", name="Fermer les informations").click()
    # From the keyboard: Enter on the focused map asks about its centre.
    centre = TO_WEB.transform(X + 1250, Y + 1250)
    page.evaluate(f"{VIEWER}.map.getView().setCenter([{centre[0]}, {centre[1]}])")
    page.locator("[data-gp-map]").focus()
    page.keyboard.press("Enter")
    expect(results.locator("[data-gp-page]")).to_have_text("1 / 2")
    expect(page.locator("[data-gp-live]")).to_have_text("2 résultat(s) à cet endroit.")
    results.get_by_role("button", name="Fermer les informations").click()

    # Zoom to a layer: the view fits the parcels' extent.
    page.evaluate(f"{VIEWER}.map.getView().setZoom(8)")
    tree.get_by_role("button", name="Zoomer sur l’emprise de « Parcelles »").click()
    west, south = TO_WGS84.transform(X, Y)
    east, north = TO_WGS84.transform(X + 3500, Y + 2500)
    _until(page, f"{VIEWER}.map.getView().getZoom() > 12")
    box = _state(page)["bbox"]
    assert box[0] <= west and box[1] <= south and box[2] >= east and box[3] >= north
    assert box[2] - box[0] < 4 * (east - west)

    # Measure a distance: two clicks, a double click ends; the figure is geodesic (pyproj's ellipsoid).
    page.get_by_role("button", name="Mesurer une distance").click()
    expect(page.get_by_role("button", name="Mesurer une distance")).to_have_attribute("aria-pressed", "true")
    start, end = (X, Y), (X + 3000, Y + 2000)
    page.mouse.click(*_pixel(page, *start))
    page.mouse.dblclick(*_pixel(page, *end))
    text = page.locator("[data-gp-measure-result]").inner_text()
    assert text.startswith("Distance :") and text.endswith("km"), text
    shown = float(
        text.split(":")[1].replace("km", "").replace("\u202f", "").replace("\xa0", "").replace(",", ".").strip()
    )
    (lon1, lat1), (lon2, lat2) = TO_WGS84.transform(*start), TO_WGS84.transform(*end)
    expected = Geod(ellps="WGS84").line_length([lon1, lon2], [lat1, lat2]) / 1000
    assert shown == pytest.approx(expected, rel=0.02), (shown, expected)  # a click lands within a pixel
    page.screenshot(path=screenshots / "map_viewer_measure.png")
    page.get_by_role("button", name="Mesurer une distance").click()

    # Place search: the view moves onto the commune found.
    page.get_by_label("Rechercher une commune ou un lieu").fill("saint cyr")
    page.get_by_role("search").get_by_role("button", name="Rechercher").click()
    expect(page.locator("[data-gp-search-status]")).to_have_text("Saint-Cyr-sur-Loire")
    _until(
        page,
        f"(() => {{ const v = {VIEWER}.getContext().bbox;"
        f" return v && (v[0] + v[2]) / 2 < {TO_WGS84.transform(X - 1000, Y)[0]}; }})()",
    )

    _assert_axe_clean(page)


def test_permalink_embed_and_print(page, live_server, public_map, screenshots, settings):
    _open(page, f"/cartes/{public_map.pk}/")
    tree = page.locator("[data-gp-tree]")
    tree.get_by_role("checkbox", name="Communes").uncheck()
    tree.get_by_label("Opacité de « Parcelles »").fill("55")
    page.evaluate(f"{VIEWER}.map.getView().setZoom(15.5)")
    page.get_by_role("button", name="Partager").click()
    permalink = page.get_by_label("Lien permanent (emprise, couches affichées, opacités)")
    _until(page, "document.querySelector('[data-gp-permalink]').value.includes('z=15.5')")
    link = permalink.input_value()
    embed_code = page.locator("[data-gp-embed-code]").input_value()
    assert embed_code.startswith("<iframe src=") and f"/cartes/{public_map.pk}/integration/#" in embed_code
    view = _state(page)["bbox"]
    _assert_axe_clean(page)  # with the share panel open

    other = page.context.new_page()
    _open(other, link)
    restored = {f["properties"]["title"]: f["properties"] for f in _state(other)["features"]}
    assert restored["Communes"]["active"] is False
    assert restored["Parcelles"]["gp:opacity"] == pytest.approx(0.55)
    assert other.evaluate(f"{VIEWER}.map.getView().getZoom()") == pytest.approx(15.5)
    centre = [(view[0] + view[2]) / 2, (view[1] + view[3]) / 2]
    got = _state(other)["bbox"]
    assert math.dist(centre, [(got[0] + got[2]) / 2, (got[1] + got[3]) / 2]) < 1e-4

    # The embedded page: the same view, read-only, without the platform's navigation.
    src = embed_code.split('src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    _open(other, src)
    expect(other.get_by_role("navigation", name="Navigation principale")).to_have_count(0)
    expect(other.get_by_role("button", name="Imprimer")).to_have_count(0)
    assert {f["properties"]["title"]: f["properties"]["active"] for f in _state(other)["features"]}["Communes"] is False
    other.screenshot(path=screenshots / "map_viewer_embed.png")
    _assert_axe_clean(other)
    # Pasted into another site's page (another origin), the code shows the map.
    # Another origin on this machine: a page served from 127.0.0.1 (the map is on localhost), written among the
    # static files for the time of the test (Chrome keeps pages it deems public from framing loopback addresses).
    host = STATIC_DIR / f"autre-site-{public_map.pk}.html"
    host.write_text(f"<!doctype html><html lang=fr><title>Autre site</title><body>{embed_code}</body></html>")
    try:
        elsewhere = live_server.url.replace("localhost", "127.0.0.1") + f"{settings.STATIC_URL}{host.name}"
        assert elsewhere.split("/")[2] != src.split("/")[2]
        other.goto(elsewhere)
        frame = other.frame_locator("iframe")
        expect(frame.locator("[data-gp-viewer][data-ready='1']")).to_be_attached(timeout=30_000)
        expect(frame.get_by_role("checkbox", name="Parcelles")).to_be_checked()
    finally:
        host.unlink()
    other.close()

    # Print: an A4 landscape PDF of one page with the title.
    page.get_by_role("button", name="Imprimer").click()
    _assert_axe_clean(page)  # with the print dialog open
    page.get_by_label("Titre").fill("Parcelles imprimées")
    with page.expect_download(timeout=60_000) as download:
        page.locator("[data-gp-print-form]").get_by_role("button", name="Télécharger").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    import pypdfium2

    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    assert len(document) == 1
    assert "Parcelles imprimées" in document[0].get_textpage().get_text_range()
    expect(page.locator("[data-gp-print-status]")).to_have_text("Le fichier est téléchargé.")

    # Other offerings of a context: our WMTS (MapProxy tiles) and WFS (features drawn in the browser).
    dataset = _state(page)["features"][0]["properties"]["gp:dataset"]
    offering = "http://www.opengis.net/spec/owc-geojson/1.0/req/"
    with page.expect_response(
        lambda r: f"/wmts/dataset/{dataset}" in r.url and "image/png" in r.headers.get("content-type", "")
    ):
        page.evaluate(
            f"""([offering, wmts, wfs]) => {{
              const v = {VIEWER};
              const resource = (id, kind, code, href) => ({{type: 'Feature', id, geometry: null, properties: {{
                title: id, offerings: [{{code: offering + kind, operations: [{{code, href}}]}}]}}}});
              v.addResource(resource('Tuiles', 'wmts', 'GetCapabilities', wmts));
              v.addResource(resource('Objets', 'wfs', 'GetFeature', wfs));
            }}""",
            [
                offering,
                f"/wmts/dataset/{dataset}/1.0.0/WMTSCapabilities.xml",
                f"/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=ms:ds{dataset}",
            ],
        )
    # Features of the view's extent (WFS BBOX), in the view's projection.
    _until(page, f"{VIEWER}.entry('Objets').layer.getSource().getFeatures().length > 0")
    names = page.evaluate(f"{VIEWER}.entry('Objets').layer.getSource().getFeatures().map((f) => f.get('nom'))")
    assert all(name.startswith("Parcelle n°") for name in names), names
    expect(page.locator("[data-gp-tree]").get_by_role("checkbox", name="Tuiles")).to_be_checked()


def test_phone_layout(browser, live_server, public_map, screenshots):
    lon, lat = TO_WGS84.transform(X - 4000, Y + 1500)  # in Saint-Cyr-sur-Loire
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        viewport={"width": 375, "height": 740},
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 50},
        permissions=["geolocation"],
    )
    # An administrators' base map (here our own WMS: the machine has no internet), drawn as 256 px tiles.
    communes = PlatformSettings.load().communes_dataset
    PlatformSettings.objects.filter(pk=1).update(
        base_maps=[{"name": "Plan test", "type": "wms", "url": f"{live_server.url}/ows", "layers": communes.layer_name}]
    )
    page = context.new_page()
    _open(page, f"/cartes/{public_map.pk}/")
    tree = page.locator("[data-gp-tree]")
    expect(tree).to_be_hidden()  # the layer panel waits behind its button
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Couches et fonds").click()
    expect(tree.get_by_role("checkbox", name="Parcelles")).to_be_visible()
    tree.get_by_role("checkbox", name="Parcelles").uncheck()
    with page.expect_response(lambda r: "REQUEST=GetMap" in r.url and "WIDTH=256" in r.url and r.status == 200):
        page.get_by_role("combobox", name="Fond de carte").select_option(label="Plan test")
    assert _state(page)["properties"]["gp:basemap"] == "Plan test"
    page.screenshot(path=screenshots / "map_viewer_phone_layers.png")
    page.keyboard.press("Escape")
    expect(tree).to_be_hidden()
    assert json.dumps(_state(page)["features"][0]["properties"]["active"]) == "false"
    page.screenshot(path=screenshots / "map_viewer_phone.png", full_page=True)
    # Locate me: the map centres on the phone's position.
    page.get_by_role("button", name="Me localiser").click()
    expect(page.locator("[data-gp-live]")).to_contain_text("Carte centrée sur votre position (précision 50 m).")
    box = _state(page)["bbox"]
    assert math.dist([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], [lon, lat]) < 1e-4
    _assert_axe_clean(page)
    context.close()
