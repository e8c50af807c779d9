"""An anonymous visitor lands on the home page: four ways in and the latest published data."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_anonymous_home_shows_entries_and_recent_datasets(page, organisations, screenshots):
    from catalogue.models import Dataset

    Dataset.objects.create(
        title="Pistes cyclables de Touraine",
        organisation=organisations["a"],
        public=True,
        version=1,
        published_at=timezone.now(),
    )
    Dataset.objects.create(title="Brouillon interne", organisation=organisations["a"], version=1)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    entries = page.locator(".gp-entries")
    for name in (
        "Je recherche des données",
        "Je consulte des cartes",
        "Je crée ma carte",
        "J'utilise les services web",
    ):
        expect(entries.get_by_role("heading", name=name)).to_be_visible()
    expect(entries.get_by_role("link", name="Je recherche des données")).to_have_attribute("href", "/donnees/")

    recent = page.locator("section", has=page.get_by_role("heading", name="Données récemment publiées"))
    expect(recent.get_by_role("link", name="Pistes cyclables de Touraine")).to_be_visible()
    expect(recent).to_contain_text("Commune A")
    expect(page.get_by_text("Brouillon interne")).to_have_count(0)
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    page.screenshot(path=screenshots / "home-anonymous.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    menu = page.get_by_role("button", name="Ouvrir le menu")
    expect(menu).to_be_visible()
    menu.click()
    expect(page.locator("#gp-nav.show:not(.collapsing)")).to_be_visible()  # the opening transition is over
    navigation = page.get_by_role("navigation", name="Navigation principale")
    expect(navigation.get_by_role("link", name="Se connecter")).to_be_visible()
    page.screenshot(path=screenshots / "home-mobile.png", full_page=True)
