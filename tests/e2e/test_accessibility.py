"""axe-core finds no serious or critical WCAG 2.1 A/AA violation on the main pages."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import describe, log_in, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def assert_accessible(page, name: str, screenshots) -> None:
    page.screenshot(path=screenshots / f"a11y-{name}.png", full_page=True)
    violations = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not violations, f"{name}: {page.url}\n{describe(violations)}"


def test_public_pages_are_accessible(page, db, screenshots):
    for name, url in [("home", "/"), ("login", "/comptes/login/"), ("datasets", "/donnees/")]:
        page.goto(url)
        assert_accessible(page, name, screenshots)


def test_producer_pages_are_accessible(page, imported_dataset, screenshots):
    log_in(page, "producteur-a")
    page.goto("/donnees/")
    expect(page.get_by_role("link", name="Parcelles d'été")).to_be_visible()
    assert_accessible(page, "datasets-producer", screenshots)

    page.goto(imported_dataset.get_absolute_url())
    expect(page.locator('.gp-map[data-ready="1"]')).to_be_visible()
    assert_accessible(page, "dataset", screenshots)

    page.goto(f"/donnees/{imported_dataset.pk}/modifier/")
    page.get_by_label("Titre").fill("")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "dataset-edit-errors", screenshots)

    page.goto("/import/")
    expect(page.get_by_role("link", name="Importer", exact=True)).to_have_attribute("aria-current", "page")
    assert_accessible(page, "import", screenshots)

    page.goto(imported_dataset.import_jobs.first().get_absolute_url())
    expect(page.locator('[data-job-status="succeeded"]')).to_be_visible()
    assert_accessible(page, "import-job", screenshots)

    page.goto("/comptes/profil/")
    assert_accessible(page, "profile", screenshots)
