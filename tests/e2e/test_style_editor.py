"""A producer makes a graduated style of their dataset in the browser and sees the preview change."""

import base64
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _reddish_pixels(data_uri: str) -> int:
    image = Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1]))).convert("RGBA")
    return sum(1 for r, g, b, a in image.getdata() if a > 200 and r > 150 and g < 120 and b < 120)


def test_producer_makes_a_graduated_style(page, imported_dataset, screenshots):
    log_in(page, "producteur-a")
    page.goto(f"/donnees/{imported_dataset.pk}/styles/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Style de")
    preview = page.locator("[data-style-preview]")
    expect(preview).to_be_visible()
    before = preview.get_attribute("src")
    assert _reddish_pixels(before) == 0, "the default style is blue"

    page.get_by_label("Type de style").select_option("graduated")
    page.get_by_label("Attribut de classement").select_option("code")
    page.get_by_label("Méthode").select_option("quantile")
    page.get_by_label("Nombre de classes").fill("3")
    page.get_by_label("Palette de couleurs").select_option("rouges")
    page.get_by_label("Opacité (%)").fill("100")
    page.get_by_role("button", name="Calculer les classes").click()

    expect(page.locator("[data-style-classes] tbody tr")).to_have_count(3)
    after = page.locator("[data-style-preview]").get_attribute("src")
    assert after != before and _reddish_pixels(after) > 100, "the preview shows the red classes"
    expect(page.locator("[data-style-legend]")).to_be_visible()
    page.screenshot(path=screenshots / "style-editor-graduated.png", full_page=True)

    page.get_by_role("button", name="Enregistrer le style").click()
    expect(page.get_by_text("Le style est enregistré")).to_be_visible()
    expect(page.get_by_label("Type de style")).to_have_value("graduated")
