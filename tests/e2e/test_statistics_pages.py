"""The statistics pages pass axe-core (WCAG 2.1 A/AA) without serious or critical violations, chart included."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalogue.models import Dataset
from geoplatform.models import UsageCount
from tests.e2e.conftest import describe, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


@pytest.fixture
def usage(organisations, reader):
    today = timezone.localdate()
    for index, (title, organisation) in enumerate(
        [("Écoles de la commune", organisations["a"]), ("Routes départementales", organisations["b"])]
    ):
        dataset = Dataset.objects.create(title=title, organisation=organisation, public=True)
        for months_ago, count in [(0, 120), (1, 80), (3, 45)]:
            day = (today.replace(day=1) - timedelta(days=28 * months_ago)).replace(day=1)
            UsageCount.objects.create(
                day=day, kind="page", dataset=dataset, organisation=organisation, count=count * (index + 1)
            )
            UsageCount.objects.create(
                day=day, kind="ogc", service="WMS", dataset=dataset, organisation=organisation, user=reader, count=30
            )


def log_in(page, username: str) -> None:
    """Like the shared helper, but waits for the logout button: "admin" also names the Administration link."""
    page.goto("/comptes/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", f"{username}-demo")
    page.locator("main form").get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def assert_accessible(page, name: str, screenshots: Path) -> None:
    page.screenshot(path=screenshots / f"a11y-{name}.png", full_page=True)
    violations = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not violations, f"{name}: {page.url}\n{describe(violations)}"


def test_the_dashboard_is_accessible(page, admin_user, usage, screenshots):
    log_in(page, "admin")
    page.goto("/statistiques/")
    expect(page.get_by_role("heading", name="Par mois")).to_be_visible()
    expect(page.get_by_role("img", name="Histogramme des utilisations par mois")).to_be_visible()
    assert_accessible(page, "statistics-dashboard", screenshots)
    page.get_by_label("Du", exact=True).fill("2025-05-01")
    page.get_by_label("Au", exact=True).fill("2025-01-01")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("alert")).to_contain_text("La date de début doit précéder la date de fin.")
    assert_accessible(page, "statistics-dashboard-error", screenshots)


def test_the_producer_pages_are_accessible(page, producer_a, reader, usage, screenshots):
    log_in(page, "producteur-a")
    page.goto("/statistiques/mes-donnees/")
    expect(page.get_by_role("link", name="Écoles de la commune").first).to_be_visible()
    assert_accessible(page, "statistics-mine", screenshots)
    page.goto("/statistiques/")
    expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible()
    assert_accessible(page, "statistics-forbidden", screenshots)
