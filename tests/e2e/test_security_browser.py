"""In a real browser, the pages work under the Content-Security-Policy, and the key pages are accessible."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import AXE_SCRIPT, describe, imported_dataset, log_in  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser: Browser, live_server) -> Page:
    """A fresh context of the session browser that enforces the Content-Security-Policy (no `bypass_csp`)."""
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _watch_csp(tab: Page) -> list[str]:
    """Console reports of anything the policy blocked."""
    blocked: list[str] = []
    tab.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    return blocked


def _axe(tab: Page) -> list[dict]:
    # Injected through the DevTools protocol: an inline <script> would itself be refused by the policy.
    tab.evaluate(AXE_SCRIPT.read_text())
    result = tab.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })"""
    )
    return [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]


def test_pages_run_under_the_policy(page: Page, imported_dataset):  # noqa: F811 (a fixture)
    blocked = _watch_csp(page)
    log_in(page, "producteur-a")
    for url in ("/", "/donnees/", "/import/", "/comptes/profil/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    page.goto(imported_dataset.get_absolute_url())
    expect(page.locator('.gp-map[data-ready="1"]')).to_be_visible()
    page.goto("/api/docs/")
    expect(page.locator("#swagger-ui .info")).to_be_visible()  # Swagger UI started
    assert not blocked, blocked


def test_key_pages_work_and_are_accessible(page: Page, producer_a):
    blocked = _watch_csp(page)
    log_in(page, "producteur-a")
    page.goto("/comptes/profil/")
    page.get_by_role("link", name="Clés d'accès", exact=True).click()
    expect(page.get_by_role("heading", name="Clés d'accès", level=1)).to_be_visible()
    assert not _axe(page), describe(_axe(page))

    page.get_by_label("Nom de la clé").fill("QGIS du bureau")
    page.get_by_role("button", name="Créer la clé").click()
    key = page.get_by_label("Votre clé").input_value()
    assert len(key) > 20
    assert not _axe(page), describe(_axe(page))

    page.get_by_role("link", name="J'ai copié la clé").click()
    page.get_by_role("link", name="Révoquer QGIS du bureau").click()
    assert not _axe(page), describe(_axe(page))
    page.get_by_role("button", name="Révoquer la clé").click()
    expect(page.get_by_text("La clé « QGIS du bureau » est révoquée.")).to_be_visible()
    expect(page.get_by_text("révoquée", exact=True)).to_be_visible()
    assert not blocked, blocked


def test_administrator_is_walked_to_two_factor_setup(page: Page, admin_user, settings):
    settings.ADMIN_MFA_REQUIRED = True
    blocked = _watch_csp(page)
    page.goto("/comptes/login/")
    page.fill("input[name=login]", "admin")
    page.fill("input[name=password]", "admin-demo")
    page.locator("main form").get_by_role("button", name="Connexion").click()
    expect(page.get_by_text("obligatoire pour les administrateurs")).to_be_visible()
    page.fill("input[name=password]", "admin-demo")
    page.locator("main form").get_by_role("button").first.click()
    expect(page.locator("img[src^='data:image/svg+xml']")).to_be_visible()  # the QR code
    assert not _axe(page), describe(_axe(page))
    assert not blocked, blocked
