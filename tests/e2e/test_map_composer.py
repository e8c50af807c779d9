"""A producer composes a map in the browser: catalogue search, a layer added, titled and saved; reopened; its OWS
Context file exported and imported again as a new map; the panel on a phone."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import describe, log_in, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _panel(page: Page):
    return page.get_by_role("complementary", name="Composition de la carte")


def _compose(page: Page, title: str) -> int:
    """On the new map page: find the dataset in the catalogue, add it, set a title, save; the map's id."""
    page.goto("/cartes/nouvelle/")
    panel = _panel(page)
    panel.get_by_label("Rechercher dans le catalogue").fill("parcelles")
    panel.get_by_label("Seulement les données présentes dans la vue actuelle").check()
    panel.get_by_role("button", name="Rechercher", exact=True).click()
    expect(panel.get_by_role("status")).to_have_text("1 donnée trouvée.")
    panel.get_by_role("button", name="Ajouter « Parcelles d'été » à la carte").click()
    expect(panel.get_by_role("status")).to_have_text("Couche « Parcelles d'été » ajoutée à la carte.")
    layers = panel.get_by_role("list").filter(has=page.get_by_role("group", name="Parcelles d'été"))
    expect(layers.get_by_role("group")).to_have_count(1)
    expect(page.locator("[data-gp-tree]")).to_contain_text("Parcelles d'été")
    expect(page.locator('[data-gp-viewer][data-ready="1"]')).to_be_attached()

    panel.get_by_label("Titre de la carte").fill(title)
    panel.get_by_label("Description").fill("Les parcelles de la commune, composées dans le navigateur.")
    panel.get_by_role("button", name="Utiliser la vue actuelle comme emprise initiale").click()
    expect(panel.get_by_text("Emprise initiale : ")).to_contain_text("(ouest, sud, est, nord)")
    panel.get_by_role("button", name="Enregistrer la carte").click()
    page.wait_for_url("**/cartes/*/modifier/")
    return _map_id(page)


def _map_id(page: Page) -> int:
    return int(re.search(r"/cartes/(\d+)/modifier/", page.url).group(1))


def test_producer_composes_saves_and_reopens_a_map(page, imported_dataset, screenshots):
    from viewer.models import Map
    from wxs import styles

    # Two styles: « Rouge » (saved last) is the default, « Bleu » the other one the WMS offers.
    styles.save_style(imported_dataset, "Bleu", "single", {})
    styles.save_style(imported_dataset, "Rouge", "single", {})
    log_in(page, "producteur-a")
    map_id = _compose(page, "Parcelles composées")

    saved = Map.objects.get(pk=map_id)
    assert saved.record.title == "Parcelles composées"
    assert saved.record.abstract == "Les parcelles de la commune, composées dans le navigateur."
    assert [f["properties"]["gp:dataset"] for f in saved.context["features"]] == [imported_dataset.pk]
    assert not saved.record.public, "the box « Carte publique » was left unticked"

    # The edit page shows the saved state: title and the layer, renamed and put in a group, saved again.
    panel = _panel(page)
    expect(panel.get_by_label("Titre de la carte")).to_have_value("Parcelles composées")
    layer = panel.get_by_role("group", name="Parcelles d'été")
    layer.get_by_label("Nom affiché").fill("Parcelles de l'été")
    layer.get_by_label("Nom affiché").press("Enter")
    layer = panel.get_by_role("group", name="Parcelles de l'été")
    layer.get_by_label("Groupe (dossier)").fill("Foncier/Cadastre")
    layer.get_by_label("Groupe (dossier)").press("Tab")
    expect(panel.get_by_role("status")).to_have_text(
        "Couche « Parcelles de l'été » placée dans le groupe « Foncier/Cadastre »."
    )
    style = layer.get_by_label("Style")
    expect(style.locator("option")).to_have_text(["Rouge", "Bleu"])
    expect(style).to_have_value("Rouge")
    style.select_option("Bleu")
    expect(panel.get_by_role("status")).to_have_text("Style « Bleu » appliqué à « Parcelles de l'été ».")
    panel.get_by_role("button", name="Enregistrer la carte").click()
    expect(panel.get_by_role("status")).to_have_text("Carte enregistrée.")
    saved.refresh_from_db()
    assert saved.version == 2
    feature = saved.context["features"][0]
    get_map = next(op["href"] for op in feature["properties"]["offerings"][0]["operations"] if op["code"] == "GetMap")
    assert "STYLES=Bleu" in get_map
    assert (feature["properties"]["title"], feature["properties"]["folder"]) == (
        "Parcelles de l'été",
        "/Foncier/Cadastre",
    )
    violations = [v for v in run_axe(page) if v["impact"] in {"serious", "critical"}]
    assert not violations, describe(violations)
    page.screenshot(path=screenshots / "map-composer-saved.png", full_page=True)

    page.goto(f"/cartes/{map_id}/")
    expect(page.locator("[data-gp-tree]")).to_contain_text("Parcelles de l'été")
    expect(page.locator('[data-gp-viewer][data-ready="1"]')).to_be_attached()
    expect(page.locator("[data-gp-viewer]")).not_to_have_attribute("data-error", "1")
    page.screenshot(path=screenshots / "map-composer-reopened.png", full_page=True)


def test_exported_context_reimported_gives_the_same_layers(page, imported_dataset, screenshots, tmp_path):
    from viewer.models import Map

    log_in(page, "producteur-a")
    first = _compose(page, "Carte à exporter")

    panel = _panel(page)
    panel.get_by_text("Fichier de contexte OWS", exact=True).click()
    with page.expect_download() as download:
        panel.get_by_role("button", name="Exporter le contexte (contexte.json)").click()
    assert download.value.suggested_filename == "contexte.json"
    exported = tmp_path / "contexte.json"
    download.value.save_as(exported)
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["type"] == "FeatureCollection"
    assert document["properties"]["title"] == "Carte à exporter"
    assert [f["properties"]["title"] for f in document["features"]] == ["Parcelles d'été"]

    page.goto("/cartes/nouvelle/")
    panel = _panel(page)
    panel.get_by_text("Fichier de contexte OWS", exact=True).click()
    panel.get_by_label("Importer un fichier de contexte OWS (GeoJSON)").set_input_files(exported)
    panel.get_by_role("button", name="Importer", exact=True).click()
    expect(panel.get_by_role("status")).to_have_text(
        "Contexte importé : 1 couche(s). Enregistrez la carte pour le conserver."
    )
    expect(panel.get_by_label("Titre de la carte")).to_have_value("Carte à exporter")
    expect(page.locator("[data-gp-tree]")).to_contain_text("Parcelles d'été")
    panel.get_by_label("Titre de la carte").fill("Carte importée")
    panel.get_by_role("button", name="Enregistrer la carte").click()
    page.wait_for_url("**/cartes/*/modifier/")
    page.screenshot(path=screenshots / "map-composer-imported.png", full_page=True)

    second = Map.objects.get(pk=_map_id(page))
    assert second.pk != first and second.record.title == "Carte importée"
    original = Map.objects.get(pk=first)

    def layers(map_: Map) -> list[tuple]:
        return [(f["properties"]["title"], f["properties"].get("gp:dataset")) for f in map_.context["features"]]

    assert layers(second) == layers(original) == [("Parcelles d'été", imported_dataset.pk)]


def test_composer_panel_on_a_phone(page, imported_dataset, screenshots, live_server, settings):
    """With the keyboard on a 375 px screen: a layer from the catalogue and one from an external WMS (our own service
    read through the capabilities proxy as any other, its loopback address allowed for the test)."""
    from catalogue.models import Dataset

    Dataset.objects.filter(pk=imported_dataset.pk).update(public=True)
    settings.REMOTE_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    log_in(page, "producteur-a")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/cartes/nouvelle/")
    panel = _panel(page)
    show = panel.get_by_role("button", name="Afficher le panneau de composition")
    expect(show).to_have_attribute("aria-expanded", "false")
    expect(panel.get_by_label("Titre de la carte")).to_be_hidden()
    show.focus()
    page.keyboard.press("Enter")
    expect(panel.get_by_role("button", name="Masquer le panneau de composition")).to_have_attribute(
        "aria-expanded", "true"
    )
    # Keyboard only: search and add the layer.
    panel.get_by_label("Rechercher dans le catalogue").focus()
    page.keyboard.type("parcelles")
    page.keyboard.press("Enter")
    add = panel.get_by_role("button", name="Ajouter « Parcelles d'été » à la carte")
    add.focus()
    page.keyboard.press("Enter")
    expect(panel.get_by_role("group", name="Parcelles d'été")).to_be_visible()

    panel.get_by_text("Ajouter une couche d’un service externe").focus()
    page.keyboard.press("Enter")
    panel.get_by_label("Adresse du service").focus()
    page.keyboard.type(f"{live_server.url}/ows")
    page.keyboard.press("Enter")
    expect(panel.get_by_role("status")).to_contain_text("couche(s) disponible(s)")
    external = panel.get_by_role("button", name="Ajouter la couche externe « Parcelles d'été » à la carte")
    external.focus()
    page.keyboard.press("Enter")
    expect(panel.get_by_role("group", name="Parcelles d'été")).to_have_count(2)
    resources = page.evaluate("document.querySelector('[data-gp-viewer]').gpViewer.resources()")
    wms = [op["href"] for op in resources[0]["properties"]["offerings"][0]["operations"] if op["code"] == "GetMap"]
    assert wms[0].startswith(f"{live_server.url}/ows?") and f"LAYERS=ds{imported_dataset.pk}" in wms[0]
    assert "gp:dataset" in resources[1]["properties"] and "gp:dataset" not in resources[0]["properties"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "nothing wider than the phone's screen"
    violations = [v for v in run_axe(page) if v["impact"] in {"serious", "critical"}]
    assert not violations, describe(violations)
    page.screenshot(path=screenshots / "map-composer-phone.png", full_page=True)

    # Leaving with unsaved layers asks first; staying keeps them.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Cartes", exact=True).first.click()
    expect(panel.get_by_role("group", name="Parcelles d'été")).to_have_count(2)
    assert asked == ["beforeunload"] and "/cartes/nouvelle/" in page.url
