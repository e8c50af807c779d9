"""A producer fills the download basket from two dataset pages, orders, follows the job and downloads the zip."""

import zipfile

import pytest
from playwright.sync_api import expect

from tests.downloads.conftest import parcels, trees  # noqa: F401  (two datasets imported through the pipeline)
from tests.e2e.conftest import describe, log_in, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _add_to_basket(page, dataset, format_label: str, crs_label: str) -> None:
    page.goto(f"/donnees/{dataset.pk}/")
    panel = page.locator("[data-download-panel]")
    expect(panel.get_by_role("heading", name="Télécharger")).to_be_visible()
    panel.get_by_label("Format").select_option(label=format_label)
    panel.get_by_label("Système de coordonnées").select_option(label=crs_label)
    panel.get_by_role("button", name="Ajouter au panier").click()
    page.wait_for_url("**/telechargements/panier/")
    expect(page.get_by_role("status").first).to_contain_text(f"« {dataset.title} » a été ajouté au panier.")


@pytest.mark.usefixtures("celery_worker")
def test_producer_orders_a_basket_and_downloads_one_zip(page, live_server, settings, request, tmp_path, screenshots):
    parcels_ds, trees_ds = request.getfixturevalue("parcels"), request.getfixturevalue("trees")
    settings.SITE_URL = live_server.url  # the signed link is absolute
    log_in(page, "producteur-a")

    page.goto(f"/donnees/{parcels_ds.pk}/")
    expect(page.locator('.gp-map[data-ready="1"]')).to_be_visible(timeout=30_000)
    violations = run_axe(page)
    assert not violations, describe(violations)
    page.locator("[data-download-panel]").screenshot(path=screenshots / "download-form.png")

    _add_to_basket(page, parcels_ds, "Shapefile (ESRI) (shp)", "EPSG:2154 — RGF93 v1 / Lambert-93")
    _add_to_basket(page, trees_ds, "GeoJSON (geojson)", "EPSG:4326 — WGS 84 (longitude/latitude)")
    items = page.locator("[data-basket-item]")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Shapefile (ESRI) (shp)")
    expect(items.nth(1)).to_contain_text("EPSG:4326")
    violations = run_axe(page)
    assert not violations, describe(violations)
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the basket scrolls sideways"
    page.screenshot(path=screenshots / "download-basket-375.png", full_page=True)

    # Ordered with the keyboard.
    page.get_by_role("button", name="Commander").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/telechargements/")
    page.set_viewport_size({"width": 1280, "height": 900})
    row = page.locator("[data-job-row]").first
    expect(row.locator("[role=progressbar]")).to_have_attribute("aria-valuemin", "0")
    expect(row).to_have_attribute("data-job-status", "succeeded", timeout=120_000)
    expect(page.locator("#download-announcer[aria-live=polite]")).to_contain_text("terminé")
    expect(row.locator("[data-job-expires]")).to_contain_text("Disponible jusqu'au")
    violations = run_axe(page)
    assert not violations, describe(violations)
    page.screenshot(path=screenshots / "download-my-downloads.png", full_page=True)

    with page.expect_download() as download_info:
        row.get_by_role("link", name="Télécharger le fichier zip").click()
    target = tmp_path / "commande.zip"
    download_info.value.save_as(target)
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
    data = [name for name in names if name.endswith((".shp", ".geojson"))]
    assert sorted(name.rsplit(".", 1)[1] for name in data) == ["geojson", "shp"], names
    assert sum(name.endswith(".xml") for name in names) == 2, names  # one ISO 19139 record per dataset
    assert "LISEZMOI.txt" in names
