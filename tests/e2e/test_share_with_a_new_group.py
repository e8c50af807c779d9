"""Issue 3's administration flow, end to end in a browser: an administrator invites a person and puts them in a
new group, a producer shares a private dataset with that group, and the invited person now sees it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()


def test_invited_member_of_a_group_sees_what_is_shared_with_it(
    page: Page, admin_user, producer_a, imported_dataset, screenshots
):
    dataset_url = imported_dataset.get_absolute_url()

    # The administrator invites someone from outside any organisation.
    log_in(page, "admin")
    page.goto("/administration/utilisateurs/inviter/")
    page.get_by_role("textbox", name="Adresse électronique").fill("agent@prefecture.example.org")
    page.get_by_label("Prénom").fill("Étienne")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_role("status").first).to_contain_text("agent@prefecture.example.org")
    invitation = mail.outbox[-1]
    assert invitation.to == ["agent@prefecture.example.org"]
    link = re.search(r"https?://\S+", invitation.body).group(0)

    # …and creates the group "Services de l'État" with that person in it.
    page.goto("/administration/groupes/nouveau/")
    page.get_by_role("textbox", name="Nom", exact=True).fill("Services de l'État")
    page.get_by_role("group", name="Membres").get_by_label(re.compile("Étienne|agent")).first.check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text("Services de l'État")
    _log_out(page)

    # The invited person sets a password; the private dataset is out of their sight.
    page.goto(link)
    page.locator("input[name=password1]").fill("Prefecture-Cher-2026")
    page.locator("input[name=password2]").fill("Prefecture-Cher-2026")
    page.locator("main form").get_by_role("button").first.click()
    page.goto("/comptes/login/")
    page.fill("input[name=login]", "agent@prefecture.example.org")
    page.fill("input[name=password]", "Prefecture-Cher-2026")
    page.locator("main form").get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert page.goto(dataset_url).status == 404
    page.goto("/donnees/")
    expect(page.locator("main")).not_to_contain_text(imported_dataset.title)
    _log_out(page)

    # The producer shares the dataset with the group, from its "Partage" page.
    log_in(page, "producteur-a")
    page.goto(dataset_url)
    page.get_by_role("link", name="Partage", exact=True).click()
    page.get_by_label("Bénéficiaire").select_option("group")
    page.get_by_label("Groupe", exact=True).select_option(label="Services de l'État")
    page.get_by_label("Ce qu'il peut faire").select_option("download")
    page.get_by_role("button", name="Ajouter ce droit").click()
    expect(page.locator("[data-sharing-summary]")).to_contain_text("Services de l'État")
    page.screenshot(path=screenshots / "share-with-group.png", full_page=True)
    _log_out(page)

    # The invited person now finds it, and its map.
    page.goto("/comptes/login/")
    page.fill("input[name=login]", "agent@prefecture.example.org")
    page.fill("input[name=password]", "Prefecture-Cher-2026")
    page.locator("main form").get_by_role("button", name="Connexion").click()
    page.goto("/donnees/")
    page.get_by_role("link", name=imported_dataset.title).click()
    expect(page.locator(".gp-map[data-ready='1']")).to_be_visible()
    page.screenshot(path=screenshots / "group-member-sees-dataset.png", full_page=True)
