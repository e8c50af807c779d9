"""A producer imports a zipped shapefile in the browser and sees it on a map and in a table."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.sample_data import shapefile_zip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# wxs/mapserver.py draws polygons in 86 145 212 at 55 % opacity; the map background is #eef2f5.
BACKGROUND = (238, 242, 245)


def is_polygon_fill(pixel: tuple[int, int, int]) -> bool:
    """Blue, well away from the grey-white background and from the black/white controls."""
    r, g, b = pixel[:3]
    return b - r > 45 and b > 150 and r < 200


def test_producer_imports_a_shapefile_and_sees_it_on_the_map(page, celery_worker, producer_a, tmp_path, screenshots):
    archive = shapefile_zip(tmp_path / "src")
    log_in(page, "producteur-a")

    page.goto("/import/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer des données")
    page.screenshot(path=screenshots / "import-page.png", full_page=True)
    page.set_input_files("input[type=file][name=file]", str(archive))
    expect(page.locator("[data-upload-status]")).to_contain_text("parcelles.zip")
    page.fill("input[name=title]", "Parcelles de l'été")
    page.get_by_role("button", name="Importer", exact=True).click()

    page.wait_for_url("**/import/jobs/*/", timeout=30_000)
    link = page.locator("[data-dataset-link]")
    expect(link).to_be_visible(timeout=60_000)
    expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "succeeded")
    # Screen readers hear the outcome from a live region that the polling does not replace.
    expect(page.locator("#job-announcer[aria-live=polite]")).to_have_text("Import : terminé.")
    expect(page.locator("#job-status")).to_contain_text("12 objets importés")
    page.screenshot(path=screenshots / "import-job-succeeded.png", full_page=True)

    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Parcelles de l'été")
    map_element = page.locator('.gp-map[data-ready="1"]')
    expect(map_element).to_be_visible(timeout=30_000)
    expect(page.locator(".gp-map")).not_to_have_attribute("data-error", "1")
    page.wait_for_timeout(300)  # let OpenLayers paint the loaded image
    page.screenshot(path=screenshots / "dataset-page.png", full_page=True)

    image = Image.open(io.BytesIO(map_element.screenshot(path=screenshots / "dataset-map.png"))).convert("RGB")
    pixels = [image.getpixel((x, y)) for y in range(image.height) for x in range(image.width)]
    fill = sum(1 for pixel in pixels if is_polygon_fill(pixel))
    background = sum(1 for pixel in pixels if all(abs(a - b) <= 3 for a, b in zip(pixel, BACKGROUND, strict=True)))
    assert fill > 0.02 * len(pixels), f"only {fill} of {len(pixels)} pixels look like polygon fill"
    assert background > 0.05 * len(pixels), "the map should show background around the squares"

    table = page.locator("table.gp-attributes")
    expect(table.locator("thead")).to_contain_text("nom")
    expect(table).to_contain_text("Parcelle n°0 à l'été")
    expect(table).to_contain_text("Parcelle n°11 à l'été")
    expect(table.locator("tbody tr")).to_have_count(12)
    expect(page.locator("[data-feature-count]")).to_have_text("12")
