"""A person draws the clipping zone on the dataset page's map and downloads the features cut to it."""

import json

import pytest
from osgeo import ogr
from playwright.sync_api import expect

from tests.downloads.conftest import data_file, parcels, read_features, unzip  # noqa: F401  (parcels: a fixture)
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_features_are_cut_to_a_polygon_drawn_on_the_map(page, request, tmp_path, screenshots):
    dataset = request.getfixturevalue("parcels")
    log_in(page, "producteur-a")
    page.goto(f"/donnees/{dataset.pk}/")
    expect(page.locator('.gp-map[data-ready="1"]')).to_be_visible(timeout=30_000)
    panel = page.locator("[data-download-panel]")
    panel.get_by_label("Format").select_option(value="geojson")
    panel.get_by_label("Système de coordonnées").select_option(value="4326")
    panel.get_by_role("button", name="Dessiner la zone").click()
    expect(panel.locator("[data-download-draw-status]")).to_contain_text("double-cliquez")

    expect(page.locator("#gp-map")).to_be_in_viewport(ratio=0.95)  # the button brings the map into view
    page.wait_for_function(
        "() => { const y = window.scrollY; return new Promise(r => setTimeout(() => r(y === window.scrollY), 200)); }"
    )
    box = page.locator("#gp-map").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for fx, fy in [(0.2, 0.2), (0.55, 0.25), (0.5, 0.7)]:  # a triangle over part of the squares
        page.mouse.click(x + w * fx, y + h * fy)
        page.wait_for_timeout(150)
    page.mouse.dblclick(x + w * 0.2, y + h * 0.65)
    expect(panel.locator("[data-download-draw-status]")).to_contain_text("Zone dessinée (4 sommets)")
    expect(panel.get_by_label("Un polygone dessiné sur la carte")).to_be_checked()
    page.screenshot(path=screenshots / "download-drawn-clip.png")
    drawn = ogr.CreateGeometryFromJson(panel.locator('input[name="drawn"]').input_value())
    drawn.FlattenTo2D()

    with page.expect_download() as download_info:
        panel.get_by_role("button", name="Télécharger maintenant").click()
    archive = tmp_path / "extrait.zip"
    download_info.value.save_as(archive)
    files = unzip(archive.read_bytes(), tmp_path / "x")
    epsg, rows, geometries = read_features(data_file(files, "geojson"))
    assert epsg == 4326
    assert 0 < len(rows) < 12, "only the squares under the drawn triangle"
    # The cut is made in Lambert-93, where the drawn edges are straight lines, then written in WGS84: about a metre.
    tolerance = drawn.Buffer(1e-5)
    assert all(tolerance.Contains(g) for g in geometries), "every feature lies inside the drawn zone"
    assert any(g.GetArea() < max(g.GetArea() for g in geometries) * 0.99 for g in geometries), "edges are cut"
    assert "Découpage" in json.dumps(files["LISEZMOI.txt"].read_text(encoding="utf-8"), ensure_ascii=False)
