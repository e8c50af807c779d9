"""Searching the catalogue in the browser: words, a facet, a box drawn on the map, a commune; the count follows."""

import math

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import Page, expect

from catalogue.models import Dataset
from geoplatform.models import PlatformSettings

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ORLEANS = [1.85, 47.85, 1.98, 47.95]
TOURS = [0.63, 47.35, 0.75, 47.43]


@pytest.fixture
def catalogue(organisations):
    table = f"e2e_communes_{connection.settings_dict['NAME'][-12:]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE {settings.LAYERS_SCHEMA}."{table}" (insee text, nom text, geom geometry)')
        cursor.execute(
            f'INSERT INTO {settings.LAYERS_SCHEMA}."{table}" VALUES '
            "('37261', 'Tours', ST_MakeEnvelope(520000, 6700000, 530000, 6708000, 2154))"
        )
    communes = Dataset.objects.create(
        title="Communes", organisation=organisations["b"], public=True, table_name=table, version=1
    )
    PlatformSettings.objects.update_or_create(
        pk=1, defaults={"communes_dataset": communes, "default_extent": [0.0, 46.3, 3.2, 48.9]}
    )
    a = organisations["a"]
    touraine = {"resource_type": "map", "bbox_wgs84": TOURS}
    Dataset.objects.create(title="Forêts d'Orléans", organisation=a, public=True, bbox_wgs84=ORLEANS)
    Dataset.objects.create(title="Forêts de Touraine", organisation=a, public=True, **touraine)
    Dataset.objects.create(title="Forêt privée", organisation=a, bbox_wgs84=ORLEANS)
    Dataset.objects.create(title="Routes", organisation=a, public=True, bbox_wgs84=ORLEANS)
    yield
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS {settings.LAYERS_SCHEMA}."{table}"')


def mercator(lon: float, lat: float) -> list[float]:
    radius = 6378137.0
    return [math.radians(lon) * radius, math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * radius]


def draw_box(page: Page, extent: list[float]) -> None:
    """Shift + drag on the search map from one corner of `extent` (lon/lat) to the other."""
    page.locator("[data-search-map]").scroll_into_view_if_needed()
    map_box = page.locator("[data-search-map]").bounding_box()
    corners = [mercator(extent[0], extent[3]), mercator(extent[2], extent[1])]
    pixels = page.evaluate(
        "(corners) => corners.map((c) => document.querySelector('[data-search-map]').gpSearchMap"
        ".getPixelFromCoordinate(c))",
        corners,
    )
    (x0, y0), (x1, y1) = [(map_box["x"] + x, map_box["y"] + y) for x, y in pixels]
    page.keyboard.down("Shift")
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()
    page.keyboard.up("Shift")


def test_search_facet_box_and_commune(page: Page, catalogue, screenshots):
    page.goto("/donnees/")
    count = page.locator("#gp-result-count")
    expect(count).to_have_text("4 jeux de données")  # the three public ones and the (public) communes layer

    page.get_by_label("Mots recherchés").fill("foret")
    page.get_by_label("Mots recherchés").press("Enter")
    expect(count).to_have_text("2 jeux de données")
    expect(page.get_by_role("link", name="Forêt privée")).to_have_count(0)

    types = page.get_by_role("group", name="Type de ressource")
    types.get_by_label("Carte").check()
    expect(count).to_have_text("1 jeu de données")
    expect(page.get_by_role("link", name="Forêts de Touraine")).to_be_visible()
    page.get_by_role("group", name="Type de ressource").get_by_label("Carte").uncheck()
    expect(count).to_have_text("2 jeux de données")

    draw_box(page, [1.7, 47.7, 2.1, 48.05])
    expect(count).to_have_text("1 jeu de données")
    expect(page.get_by_role("link", name="Forêts d'Orléans")).to_be_visible()
    expect(page.get_by_label("Emprise (ouest,sud,est,nord en degrés)")).not_to_have_value("")
    page.screenshot(path=screenshots / "catalogue-search-box.png", full_page=True)

    page.get_by_role("button", name="Effacer l'emprise").click()
    expect(count).to_have_text("2 jeux de données")
    page.get_by_label("Commune (nom ou code INSEE)").fill("Tours")
    page.get_by_label("Commune (nom ou code INSEE)").press("Enter")
    expect(count).to_have_text("1 jeu de données · commune de Tours (37261)")
    expect(page.get_by_role("link", name="Forêts de Touraine")).to_be_visible()
    assert "commune=Tours" in page.url
    page.screenshot(path=screenshots / "catalogue-search-commune.png", full_page=True)
