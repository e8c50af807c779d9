"""The "Partage" page in a browser: reached from the dataset page, usable with labels, accessible (axe)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import describe, log_in, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def assert_accessible(page, name: str, screenshots) -> None:  # noqa: F811
    page.screenshot(path=screenshots / f"a11y-{name}.png", full_page=True)
    violations = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not violations, f"{name}: {page.url}\n{describe(violations)}"


def test_producer_shares_a_dataset_from_its_page(page, imported_dataset, organisations, screenshots):  # noqa: F811
    log_in(page, "producteur-a")
    page.goto(imported_dataset.get_absolute_url())
    page.get_by_role("link", name="Partage", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Partage de")
    expect(page.get_by_label("Mon organisation seulement")).to_be_checked()
    assert_accessible(page, "sharing", screenshots)

    page.get_by_label("Utilisateurs inscrits").check()
    page.get_by_role("button", name="Enregistrer le partage").click()
    expect(page.get_by_role("status")).to_contain_text("Le partage est enregistré.")
    expect(page.locator("[data-sharing-summary]")).to_contain_text(
        "Les utilisateurs inscrits peuvent voir et télécharger les données."
    )

    page.get_by_label("Bénéficiaire").select_option("organisation")
    page.get_by_label("Organisation", exact=True).select_option(label="Département B")
    page.get_by_label("Ce qu'il peut faire").select_option("edit")
    page.get_by_role("button", name="Ajouter ce droit").click()
    expect(page.locator("[data-sharing-summary]")).to_contain_text("Les membres de Département B peuvent")

    page.get_by_label("Bénéficiaire").select_option("group")
    page.get_by_role("button", name="Ajouter ce droit").click()
    expect(page.get_by_role("alert")).to_contain_text("Le droit n'a pas été ajouté")
    assert_accessible(page, "sharing-errors", screenshots)

    page.get_by_role("button", name="Retirer : Les membres de Département B").click()
    expect(page.locator("[data-sharing-summary]")).not_to_contain_text("Département B")
