"""An administrator makes a layer searchable in the maps' place search, in a browser; the pages pass axe."""

import pytest
from playwright.sync_api import Page, expect

from geoplatform.models import AuditEvent, GazetteerLayer
from tests.e2e.conftest import describe, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _accessible(page: Page, screenshots, name: str) -> None:
    page.screenshot(path=screenshots / f"place-search-{name}.png", full_page=True)
    serious = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    assert not serious, describe(serious)


def test_admin_makes_a_layer_searchable(page: Page, admin_user, imported_dataset, screenshots):
    page.goto("/comptes/login/")
    page.fill("input[name=login]", "admin")
    page.fill("input[name=password]", "admin-demo")
    page.locator("main form").get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("link", name="Mon compte : admin")).to_be_visible()

    page.goto("/administration/")
    page.get_by_role("link", name="Recherche de lieux").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recherche de lieux")
    _accessible(page, screenshots, "list-empty")
    page.get_by_role("link", name="Nouvelle couche de recherche").click()
    page.get_by_label("Jeu de données").select_option(label="Parcelles d'été (Commune A)")
    page.get_by_label("Attribut du nom").fill("libelle")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("main")).to_contain_text("pas d'attribut « libelle »")
    _accessible(page, screenshots, "form-error")
    page.get_by_label("Attribut du nom").fill("nom")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text("est enregistrée")
    expect(page.get_by_role("link", name="Parcelles d'été")).to_be_visible()
    _accessible(page, screenshots, "list")
    assert GazetteerLayer.objects.get().label_field == "nom"
    assert AuditEvent.objects.filter(action="gazetteer.create").count() == 1

    found = page.request.get("/cartes/lieux/?q=parcelle%20n%C2%B05").json()["results"]
    assert found[0]["label"] == "Parcelle n°5 à l'été" and found[0]["kind"] == "Parcelles d'été"
