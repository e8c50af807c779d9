"""Map viewer: time from opening a map of 10 layers to its first complete render, against a plain OpenLayers page.

Both pages are served by the same test server (`live_server`, Django's threaded server, MapServer FastCGI pool) and
opened by the same headless Chromium, each run in a fresh browser context (empty cache), the two sides alternated:
- ours: `/cartes/<id>/` (platform page, app.js + viewer.js bundles, the OWS Context inline in the page), timed
  until the viewer sets `data-ready` (every visible layer rendered once: OpenLayers' `rendercomplete`); the viewer
  draws adjacent opaque layers of one service with one GetMap (LAYERS=a,b,...), so its 10 layers are one request;
- the anchor: a static HTML page and a bundle of OpenLayers alone (built here with esbuild from frontend/'s
  node_modules and served from the static files) showing the same 10 WMS layers of `/ows` (`ImageWMS`, the same
  parameters), in a map of the same size fitted to the same extent, timed until its first `rendercomplete`.
Both times are `performance.now()` at that moment: milliseconds since the navigation started. The map has no base
map (`gp:basemap: none`) so that both draw the same 10 layers. Median of ROUNDS runs per side; the ratio
ours / anchor is printed (target <= 1.2). Nothing about time is asserted; both pages must show the 10 layers.

Run with `make bench` or `.venv/bin/python -m pytest tests/bench/test_viewer_benchmark.py -s -p no:cacheprovider`.
"""

import json
import os
import shutil
import statistics
import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import sync_playwright

from catalogue.models import Dataset
from tests.bench import report
from tests.conftest import ROOT, import_now
from tests.sample_data import ORIGIN, shapefile_zip
from viewer import owscontext, services

pytestmark = pytest.mark.django_db(transaction=True)

LAYERS = 10
ROUNDS = int(os.environ.get("GP_BENCH_VIEWER_ROUNDS", "7"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BENCH_DIR = ROOT / "frontend" / "dist" / "bench"  # served as /static/bench/ (frontend/dist is a static files dir)

PLAIN_JS = """
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import ImageLayer from 'ol/layer/Image.js';
import ImageWMS from 'ol/source/ImageWMS.js';
const config = JSON.parse(document.getElementById('map').dataset.config);
const map = new Map({
  target: 'map',
  layers: config.layers.map((name) => new ImageLayer({source: new ImageWMS({
    url: config.url, ratio: 1, serverType: 'mapserver',
    params: {LAYERS: name, STYLES: '', FORMAT: 'image/png', TRANSPARENT: 'TRUE', VERSION: '1.3.0'}})})),
  view: new View({projection: 'EPSG:3857', center: [0, 0], zoom: 2}),
});
map.getView().fit(config.extent, {size: map.getSize()});
map.once('rendercomplete', () => {
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.images = String(performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('REQUEST=GetMap')).length);
});
"""

PLAIN_HTML = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>OpenLayers seul</title>
<link rel="stylesheet" href="plain.css"><script src="plain.js" defer></script></head>
<body><div id="map" style="width:{width}px;height:{height}px" data-config='{config}'></div></body></html>
"""


@pytest.fixture
def ten_layer_map(organisations, producer_a, tmp_path):
    resources = []
    for i in range(LAYERS):
        # Each layer: 400 squares of 100 m somewhere over the same 8 km box, offset so that all are visible.
        features = [
            (
                f"POLYGON(({x} {y},{x + 100} {y},{x + 100} {y + 100},{x} {y + 100},{x} {y}))",
                {"nom": f"Objet {i}-{n}", "code": n, "surface": 1.0},
            )
            for n, (x, y) in enumerate(
                (ORIGIN[0] + (n % 20) * 400 + i * 30, ORIGIN[1] + (n // 20) * 400 + i * 30) for n in range(400)
            )
        ]
        dataset = import_now(
            producer_a, organisations["a"], shapefile_zip(tmp_path / f"l{i}", features), f"Couche {i}"
        ).dataset
        Dataset.objects.filter(pk=dataset.pk).update(public=True)
        dataset.refresh_from_db()
        resources.append(owscontext.dataset_resource(dataset))
    context = owscontext.new_context("Dix couches", resources, bbox=[0.66, 47.38, 0.8, 47.47])
    context["properties"]["gp:basemap"] = "none"
    return services.create_map(producer_a, context, organisations["a"], public=True)


def _build_plain_page() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    entry = BENCH_DIR / "plain-entry.js"
    entry.write_text(PLAIN_JS)
    esbuild = ROOT / "frontend" / "node_modules" / ".bin" / "esbuild"
    subprocess.run(
        [str(esbuild), str(entry), "--bundle", "--minify", "--format=iife", f"--outfile={BENCH_DIR / 'plain.js'}"],
        check=True,
        cwd=ROOT / "frontend",
        capture_output=True,
    )
    shutil.copy(ROOT / "frontend" / "node_modules" / "ol" / "ol.css", BENCH_DIR / "plain.css")


TIMINGS = r"""() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const images = performance.getEntriesByType('resource').filter((e) => e.name.includes('REQUEST=GetMap'));
  const assets = performance.getEntriesByType('resource').filter((e) => /\.(js|css)$/.test(e.name));
  return {first_byte: nav.responseStart, assets: Math.max(...assets.map((e) => e.responseEnd)),
          dom_ready: nav.domContentLoadedEventEnd, getmaps: images.length,
          viewer_start: performance.getEntriesByName('gp-viewer-start')[0]?.startTime ?? 0,
          viewer_loaded: performance.getEntriesByName('gp-viewer-loaded')[0]?.startTime ?? 0,
          first_getmap: Math.min(...images.map((e) => e.startTime)),
          last_image: Math.max(...images.map((e) => e.responseEnd))};
}"""


def _time(browser, url: str, selector: str, attribute: str) -> dict:
    """Milliseconds since navigation start: page's first byte, DOM ready, first GetMap sent, last image, ready."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(f"{selector}[data-{attribute}]", state="attached", timeout=60_000)
    timings = {**page.evaluate(TIMINGS), "ready": float(page.get_attribute(selector, f"data-{attribute}"))}
    context.close()
    return timings


def test_viewer_against_plain_openlayers(live_server, ten_layer_map, settings):
    _build_plain_page()
    ours_url = f"{live_server.url}/cartes/{ten_layer_map.pk}/"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            # The viewer's map: its size, extent and what it drew, so that the plain page draws the same.
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
            page = context.new_page()
            page.goto(ours_url)
            page.wait_for_selector("[data-gp-viewer][data-ready]", state="attached", timeout=60_000)
            width, height, extent, layers = page.evaluate(
                """() => { const v = document.querySelector('[data-gp-viewer]').gpViewer; const s = v.map.getSize();
                return [s[0], s[1], v.map.getView().calculateExtent(s),
                        v.map.getLayers().getArray().filter((l) => l.get('gpResource')).length]; }"""
            )
            getmaps = page.evaluate(
                "performance.getEntriesByType('resource').map((e) => e.name)"
                ".filter((n) => n.includes('REQUEST=GetMap'))"
            )
            context.close()
            names = [f"ds{pk}" for pk in owscontext.resource_datasets(ten_layer_map.context)]
            drawn = {name for url in getmaps for name in parse_qs(urlsplit(url).query)["LAYERS"][0].split(",")}
            assert layers == LAYERS and drawn == set(names), (layers, getmaps)
            config = json.dumps({"url": f"{live_server.url}/ows", "layers": names[::-1], "extent": extent})
            (BENCH_DIR / "plain.html").write_text(PLAIN_HTML.format(width=width, height=height, config=config))
            plain_url = f"{live_server.url}{settings.STATIC_URL}bench/plain.html"

            _time(browser, plain_url, "body", "ready-ms")  # warm both sides once (MapServer pool, mapfiles)
            _time(browser, ours_url, "[data-gp-viewer]", "ready-ms")
            ours, plain = [], []
            load = os.getloadavg()[0]
            for _ in range(ROUNDS):
                plain.append(_time(browser, plain_url, "body", "ready-ms"))
                ours.append(_time(browser, ours_url, "[data-gp-viewer]", "ready-ms"))
            context = browser.new_context()
            page = context.new_page()
            page.goto(plain_url)
            page.wait_for_selector("body[data-images]", state="attached", timeout=60_000)
            assert int(page.get_attribute("body", "data-images")) >= LAYERS
            context.close()
            browser.close()
    finally:
        shutil.rmtree(BENCH_DIR, ignore_errors=True)

    ours_ms, plain_ms = (statistics.median(r["ready"] for r in runs) for runs in (ours, plain))
    steps = [
        "first_byte",
        "assets",
        "viewer_start",
        "viewer_loaded",
        "dom_ready",
        "first_getmap",
        "getmaps",
        "last_image",
        "ready",
    ]

    def row(name: str, runs: list[dict], ratio: str) -> str:
        ready = [r["ready"] for r in runs]
        medians = " | ".join(f"{statistics.median(r[step] for r in runs):.0f}" for step in steps[:-1])
        return (
            f"| {name} | {medians} | {statistics.median(ready):.0f} | {min(ready):.0f} | {max(ready):.0f} | {ratio} |"
        )

    table = "\n".join(
        [
            f"Map viewer, {time.strftime('%Y-%m-%d %H:%M %Z')}: {LAYERS} WMS layers, map {width}x{height} px, "
            f"median of {ROUNDS} runs per side (ms since navigation start), 1-min load {load:.1f} to "
            f"{os.getloadavg()[0]:.1f}",
            "",
            "| page | first byte | scripts and styles loaded | viewer starts | context loaded | DOM ready "
            "| first GetMap sent | GetMap requests "
            "| last image | **complete render** | min | max | ratio |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            row("plain OpenLayers page", plain, "1.00"),
            row("our viewer /cartes/<id>/", ours, f"**{ours_ms / plain_ms:.2f}**"),
        ]
    )
    report.EXTRA.append(table)
    print("\n" + table)
    print("runs ours:", [round(r["ready"]) for r in ours], "plain:", [round(r["ready"]) for r in plain])
