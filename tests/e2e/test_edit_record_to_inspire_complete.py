"""A producer describes a record in the editor, simple then expert mode, until it is INSPIRE-complete, then finds it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import describe, log_in, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _thesauri(db):
    from catalogue import thesauri

    thesauri.load()


def test_edit_record_to_inspire_complete_and_find_it(page, imported_dataset, screenshots):
    log_in(page, "producteur-a")
    page.goto(imported_dataset.get_absolute_url())
    page.get_by_role("link", name="Modifier la fiche").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier la fiche")
    expect(page.get_by_role("link", name="Mode simple")).to_have_attribute("aria-current", "page")
    score = page.locator("[data-completeness]")
    start = int(score.get_attribute("data-completeness"))
    assert start < 100
    missing = page.locator("[data-missing]")
    expect(missing.get_by_role("link", name="Résumé")).to_have_attribute("href", "#id_abstract")
    page.screenshot(path=screenshots / "editor-simple-empty.png", full_page=True)

    # Simple mode: the essentials.
    page.get_by_label("Résumé").fill("Parcelles agricoles du bocage tourangeau, relevées à l'été 2026.")
    page.get_by_role("group", name="Thèmes INSPIRE").get_by_label("Usage des sols").check()
    page.get_by_role("group", name="Catégories thématiques ISO").get_by_label("Agriculture", exact=True).check()
    page.get_by_label("Mots-clés libres").fill("haies, bocage")
    page.get_by_label("Licence", exact=True).select_option(label="Licence Ouverte 2.0 (Etalab)")
    page.get_by_label("Fréquence de mise à jour").select_option(label="annuelle")
    page.get_by_label("Généalogie").fill("Numérisation sur l'orthophotographie 2025.")
    page.get_by_label("Échelle (1/…)").fill("5000")
    page.get_by_label("Nom de la personne (nouveau contact)").fill("Jeanne Martin")
    page.get_by_label("Organisme (nouveau contact)").fill("Commune A — SIG")
    page.get_by_label("Courriel (nouveau contact)").fill("sig@commune-a.fr")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    expect(page.get_by_text("La fiche est enregistrée.")).to_be_visible()
    middle = int(score.get_attribute("data-completeness"))
    assert start < middle < 100
    # What is still missing lives in expert mode, and the list says where.
    link = missing.get_by_role("link", name="Contact de la fiche (avec courriel)")
    expect(link).to_have_attribute("href", "?mode=expert#id_mdc_contact")
    page.screenshot(path=screenshots / "editor-simple-saved.png", full_page=True)

    # Expert mode: the rest, through the link of the missing element.
    link.click()
    expect(page.get_by_role("link", name="Mode expert")).to_have_attribute("aria-current", "page")
    page.get_by_label("Contact de la fiche existant").select_option(label="Jeanne Martin (Commune A — SIG)")
    page.get_by_label("Mots-clés GEMET").fill("agriculture, paysage")
    page.get_by_label("Restriction d'accès public").select_option(value="noLimitations")
    page.get_by_label("Degré de conformité").select_option(label="non évalué")
    page.get_by_role("group", name="Lien 1").get_by_label("Adresse").fill("https://example.org/notice.pdf")
    page.get_by_role("group", name="Lien 1").get_by_label("Nom du lien").fill("Notice de saisie")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    expect(page.get_by_text("La fiche est enregistrée.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"mode=expert"))
    expect(page.get_by_text("100 % des éléments obligatoires")).to_be_visible()
    expect(page.get_by_text("La fiche contient tous les éléments obligatoires INSPIRE.")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    page.screenshot(path=screenshots / "editor-expert-complete.png", full_page=True)
    violations = run_axe(page)
    assert not violations, describe(violations)

    # The record page shows the new description; the history lists both saves.
    page.get_by_role("link", name="Retour à la fiche").click()
    expect(page.get_by_text("100 % des éléments obligatoires")).to_be_visible()
    expect(page.locator("[data-keywords=gemet]")).to_contain_text("paysage")
    expect(page.get_by_role("link", name="Notice de saisie")).to_be_visible()
    page.get_by_role("link", name="Historique").first.click()
    expect(page.locator("[data-revision]")).to_have_count(2)
    page.screenshot(path=screenshots / "editor-history.png", full_page=True)
    violations = run_axe(page)
    assert not violations, describe(violations)

    # Found through the catalogue search by a word of the new abstract and keywords.
    page.goto("/donnees/?q=bocage")
    expect(page.get_by_role("link", name="Parcelles d'été")).to_be_visible()
    page.screenshot(path=screenshots / "editor-found-by-search.png", full_page=True)
