"""An administrator walks the administration: creates a group, invites someone; every page passes axe."""

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from geoplatform.models import User, UserGroup
from tests.e2e.conftest import describe, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in_as_admin(page: Page) -> None:
    # conftest.log_in waits for a link named like the user, and "Administration" also contains "admin".
    page.goto("/comptes/login/")
    page.fill("input[name=login]", "admin")
    page.fill("input[name=password]", "admin-demo")
    page.locator("main form").get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("link", name="Mon compte : admin")).to_be_visible()


def _accessible(page: Page, screenshots, name: str) -> None:
    page.screenshot(path=screenshots / f"administration-{name}.png", full_page=True)
    serious = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    assert not serious, describe(serious)


def test_admin_creates_a_group_and_invites_someone(page: Page, admin_user, producer_a, organisations, screenshots):
    _log_in_as_admin(page)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration de la plateforme")
    _accessible(page, screenshots, "index")

    page.get_by_role("link", name="Groupes", exact=True).click()
    page.get_by_role("link", name="Nouveau groupe").click()
    page.get_by_role("textbox", name="Nom", exact=True).fill("EPCI du Cher")
    page.get_by_label("Description").fill("Les intercommunalités du département.")
    page.get_by_role("group", name="Membres").get_by_label("producteur-a").check()
    _accessible(page, screenshots, "group-form")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text("Le groupe « EPCI du Cher » est enregistré.")
    expect(page.get_by_role("link", name="EPCI du Cher")).to_be_visible()
    _accessible(page, screenshots, "groups")
    assert list(UserGroup.objects.get(slug="epci-du-cher").members.values_list("username", flat=True)) == [
        "producteur-a"
    ]

    page.get_by_role("link", name="Administration", exact=True).first.click()
    page.get_by_role("link", name="inviter une personne").click()
    page.get_by_role("textbox", name="Adresse électronique").fill("agent@cc-cher.example.org")
    page.get_by_label("Prénom").fill("Agnès")
    page.get_by_label("Organisation", exact=True).select_option(label="Commune A")
    page.get_by_label("Rôle dans l'organisation").select_option(label="membre")
    _accessible(page, screenshots, "invite")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_role("status").first).to_contain_text("Une invitation est envoyée à agent@cc-cher.example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Agnès")
    _accessible(page, screenshots, "user")
    assert User.objects.get(email="agent@cc-cher.example.org").memberships.get().role == "member"
    assert [m.to for m in mail.outbox] == [["agent@cc-cher.example.org"]]

    for path, name in [
        ("/administration/utilisateurs/", "users"),
        ("/administration/organisations/", "organisations"),
        (f"/administration/organisations/{organisations['a'].pk}/", "organisation"),
        ("/administration/domaines/nouveau/", "domain-form"),
        ("/administration/reglages/", "settings"),
        ("/administration/journal/", "audit"),
    ]:
        page.goto(path)
        _accessible(page, screenshots, name)
    expect(page.get_by_role("heading", level=2).filter(has_text="user.invite")).to_be_visible()
