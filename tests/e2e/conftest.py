"""Browser fixtures: one headless Chromium per session, a fresh context (no cookies) per test."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.sample_data import shapefile_zip

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


def log_in(page: Page, username: str) -> None:
    """Log in through the allauth form, as a person would."""
    page.goto("/comptes/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", f"{username}-demo")
    page.locator("main form").get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("link", name=f"Mon compte : {username}", exact=True)).to_be_visible()


def run_axe(page: Page) -> list[dict]:
    """Violations of WCAG 2.1 A/AA found by axe-core on the current page."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"axe-core is missing: run `npm install` in frontend/ ({AXE_SCRIPT})")
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern
    # (a <script> tag would be blocked by it, as it should).
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })"""
    )
    return result["violations"]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']} — {v['help']}: "
        + "; ".join(" ".join(node["target"]) + f" ({node.get('failureSummary', '')})" for node in v["nodes"][:5])
        for v in violations
    )


@pytest.fixture
def imported_dataset(producer_a, tmp_path):
    """A private dataset of Commune A with 12 squares, imported in-process (no worker needed)."""
    from importer.services.pipeline import create_import

    archive = shapefile_zip(tmp_path / "src")
    job = create_import(
        user=producer_a,
        path=archive,
        filename=archive.name,
        organisation=producer_a.memberships.get().organisation,
        title="Parcelles d'été",
        run_now=True,
    )
    assert job.status == "succeeded", (job.error_code, job.error_message)
    job.dataset.refresh_from_db()
    return job.dataset
