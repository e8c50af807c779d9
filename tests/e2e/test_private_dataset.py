"""A private dataset does not exist for anyone outside its organisation, in the browser too."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_private_dataset_is_404_for_anonymous(page, imported_dataset, screenshots):
    response = page.goto(imported_dataset.get_absolute_url())
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.get_by_role("link", name="Se connecter").first).to_be_visible()
    expect(page.get_by_text("Parcelles d'été")).to_have_count(0)
    page.screenshot(path=screenshots / "private-dataset-anonymous-404.png", full_page=True)
    assert page.request.get(f"/donnees/{imported_dataset.pk}/ows/?SERVICE=WMS&REQUEST=GetCapabilities").status == 404

    page.goto("/donnees/")
    expect(page.get_by_text("Parcelles d'été")).to_have_count(0)


def test_private_dataset_is_404_for_a_producer_of_another_organisation(page, imported_dataset, producer_b, screenshots):
    log_in(page, "producteur-b")
    response = page.goto(imported_dataset.get_absolute_url())
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.get_by_text("Parcelles d'été")).to_have_count(0)
    page.screenshot(path=screenshots / "private-dataset-other-producer-404.png", full_page=True)

    page.goto("/donnees/")
    expect(page.get_by_text("Parcelles d'été")).to_have_count(0)


def test_private_dataset_is_shown_to_its_organisation(page, imported_dataset):
    log_in(page, "producteur-a")
    response = page.goto(imported_dataset.get_absolute_url())
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Parcelles d'été")
    expect(page.get_by_text("Privé à l'organisation")).to_be_visible()
