"""Keyboard users: the skip link comes first and the import drop zone works without a mouse."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.sample_data import shapefile_zip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            return {tag: el.tagName, id: el.id, text: el.textContent.trim().slice(0, 80),
                    classes: el.className, dropzone: el.hasAttribute('data-dropzone')};
        }"""
    )


def test_skip_link_is_first_tab_stop_and_moves_focus_to_main(page, db, screenshots):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Aller au contenu")
    expect(skip).to_be_visible()
    box = skip.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 20, "the focused skip link must be visible"
    page.screenshot(path=screenshots / "skip-link-focused.png")

    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_dropzone_is_reachable_and_usable_by_keyboard(page, producer_a, tmp_path, screenshots):
    archive = shapefile_zip(tmp_path / "src")
    choosers = []
    # Listening before the page loads: `expect_file_chooser` alone sometimes misses a chooser opened from keydown.
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    log_in(page, "producteur-a")
    page.goto("/import/")
    page.locator("main#contenu").focus()
    for _ in range(20):
        page.keyboard.press("Tab")
        if focused(page)["dropzone"]:
            break
    else:
        pytest.fail(f"the drop zone is not reachable with Tab (stopped on {focused(page)})")
    dropzone = page.locator("[data-dropzone]")
    expect(dropzone).to_be_focused()
    expect(dropzone).to_have_attribute("role", "button")
    outline = dropzone.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "the focused drop zone must show a focus indicator"
    page.screenshot(path=screenshots / "dropzone-focused.png")

    page.keyboard.press("Enter")
    for _ in range(50):
        if choosers:
            break
        page.wait_for_timeout(100)
    assert choosers, "Enter on the drop zone should open the file chooser"
    choosers[0].set_files(str(archive))
    expect(page.locator("[data-upload-status]")).to_contain_text("parcelles.zip")
