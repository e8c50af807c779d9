"""Downloads: 1,000,000 points and 200,000 polygons to GeoPackage and Shapefile in EPSG:4326, clipped to a commune,
through the download service against `ogr2ogr -t_srs EPSG:4326 -clipsrc <commune WKT>` from PostGIS.

In the same run, on the generated datasets of tests/bench/datasets.py (imported through the real pipeline, public,
open licence) and a commune of the communes reference layer (an irregular 40-vertex polygon of about 60 km radius in
the middle of the data, so that a measurable share of the features is written and those crossing its edge are cut):
- ours: a deferred job `{"format": "gpkg"|"shp", "srid": 4326, "clip": {"communes": [code]}}` run by
  `downloads.services.run_job` (what the Celery worker runs: validation, estimate, SQL cut and reprojection in
  PostGIS, ogr2ogr, zip with README, ISO 19139 record and licence, written under a temporary name) in a separate
  Python process, as the worker is;
- the anchor: `ogr2ogr -f GPKG|"ESRI Shapefile" out PG:... layers.<table> -t_srs EPSG:4326 -clipsrc <WKT>`, the
  same features from the same table, no zip.
Printed (and written to docs/benchmarks.md by hand): features written, seconds, features/s and the ratio (target
>= 0.8), the peak memory of our Python process and of each ogr2ogr (must not grow with the extract), and the time to
first byte of a direct download through gunicorn (target < 1 s). Only the feature counts are asserted.

`GP_BENCH_DOWNLOAD_POINTS` / `GP_BENCH_DOWNLOAD_POLYGONS` choose smaller sizes for a quick run.
"""

import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import requests
from osgeo import ogr

from tests.bench import datasets, report
from tests.bench.memory import TreeMemory
from tests.bench.test_wms_benchmark import WORKERS, gunicorn, stop
from tests.conftest import import_now
from tests.sample_data import shapefile_zip

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(2400)]

POINTS = int(os.environ.get("GP_BENCH_DOWNLOAD_POINTS", "1000000"))
POLYGONS = int(os.environ.get("GP_BENCH_DOWNLOAD_POLYGONS", "200000"))
COMMUNE_CODE = "37999"
CENTRE = ((datasets.BOX[0] + datasets.BOX[2]) / 2, (datasets.BOX[1] + datasets.BOX[3]) / 2)
RADIUS = 60_000.0
DIRECT_BOX = 50_000.0  # side (m) of the box of the direct download whose first byte is timed: ~6 % of the points
ROOT = Path(__file__).resolve().parents[2]

# Runs one deferred job to its end in its own process, as the Celery worker does, and says where its zip is.
# Its profile (cumulative seconds of a few functions) tells where our time goes.
RUN_JOB = """
import cProfile, json, os, pstats, sys, time
import django
django.setup()
from downloads import services
profile = cProfile.Profile()
start = time.monotonic()
job = profile.runcall(services.run_job, sys.argv[1])
seconds = time.monotonic() - start
stats = pstats.Stats(profile).stats
wanted = {"write_files": "ogr2ogr (SQL cut in PostGIS)", "write": "zip deflate", "metadata_xml": "ISO 19139 record",
          "validate_items": "validation, clip", "estimate": "estimate", "_send_ready_mail": "e-mail",
          "_record_statistics": "statistics", "update": "progress writes", "chunks": "reading files back",
          "stream_zip": "whole package (all of the above but validation)", "<built-in method posix.fsync>": "fsync"}
profile_rows = {}
for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.items():
    if name in wanted and ("downloads" in filename or "zipfile" in filename or filename == "~"):
        label = wanted[name]
        profile_rows[label] = max(profile_rows.get(label, 0.0), cumulative)
print(json.dumps({"seconds": seconds, "status": job.status, "error": job.error_message, "result": job.result,
                  "size": job.size, "profile": profile_rows}))
"""


def commune_wkt() -> str:
    """An irregular commune outline (Lambert-93), seeded, about 60 km across from the centre."""
    rng = np.random.default_rng(37999)
    angles = np.sort(rng.uniform(0, 2 * math.pi, 40))
    radii = RADIUS * rng.uniform(0.8, 1.2, 40)
    ring = [(CENTRE[0] + r * math.cos(a), CENTRE[1] + r * math.sin(a)) for a, r in zip(angles, radii, strict=True)]
    ring.append(ring[0])
    return "POLYGON((" + ",".join(f"{x:.2f} {y:.2f}" for x, y in ring) + "))"


def _communes_layer(organisations, producer_a, tmp_path: Path):
    from geoplatform.models import PlatformSettings

    archive = shapefile_zip(
        tmp_path / "communes", [(commune_wkt(), {"insee": COMMUNE_CODE, "nom": "Commune du banc d'essai"})],
        name="communes", fields={"insee": ogr.OFTString, "nom": ogr.OFTString},
    )  # fmt: skip
    dataset = import_now(producer_a, organisations["a"], archive, "Communes").dataset
    PlatformSettings.objects.update_or_create(pk=1, defaults={"communes_dataset": dataset})


def _import(organisations, producer_a, kind: str, count: int):
    dataset = import_now(producer_a, organisations["a"], datasets.dataset(kind, count, "gpkg"), f"{kind} bench").dataset
    dataset.public = True  # open data (public, Licence Ouverte, no access limitation): the direct download is anonymous
    dataset.save()
    return dataset


def _environment(data_dir: Path) -> dict:
    from django.db import connection

    env = dict(os.environ, GP_DEMO="1", GP_DB_NAME=connection.settings_dict["NAME"], GP_DATA_DIR=str(data_dir),
               DJANGO_SETTINGS_MODULE="geoplatform.settings", PYTHONPATH=str(ROOT))  # fmt: skip
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _watched(command: list[str], env: dict | None = None) -> tuple[str, TreeMemory, float]:
    """Run `command`, sampling the memory of its process tree; returns (stdout, memory, wall seconds)."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    memory = TreeMemory(process.pid).start()
    out, err = process.communicate(timeout=3600)
    memory.stop()
    assert process.returncode == 0, err.decode()[-3000:]
    return out.decode(), memory, time.monotonic() - start


def _ogr2ogr_peak(memory: TreeMemory) -> float:
    return max((p.hwm_kb for p in memory.processes.values() if p.name.strip() == "ogr2ogr"), default=0) / 1024


def _count(path: str) -> int:
    source = ogr.Open(path)
    return sum(source.GetLayer(i).GetFeatureCount() for i in range(source.GetLayerCount()))


def _ours(user, dataset, fmt: str, env: dict, script: Path) -> dict:
    from downloads import services
    from downloads.models import DownloadJob

    item = {"dataset": dataset.pk, "format": fmt, "srid": 4326, "clip": {"communes": [COMMUNE_CODE]}}
    extract = services.validate_items(user, [item])[0]
    job = DownloadJob.objects.create(user=user, items=[services.normalise_item(extract)])
    out, memory, _wall = _watched([sys.executable, str(script), str(job.pk)], dict(env, GP_TESTING="1"))
    answer = json.loads(out.strip().splitlines()[-1])
    assert answer["status"] == "succeeded", answer
    suffix = ".gpkg" if fmt == "gpkg" else ".shp"
    from zipfile import ZipFile

    with ZipFile(answer["result"]) as archive:
        inner = next(name for name in archive.namelist() if name.endswith(suffix))
    answer["features"] = _count(f"/vsizip/{answer['result']}/{inner}")
    answer["python_mb"] = memory.peak_mb()
    answer["ogr2ogr_mb"] = _ogr2ogr_peak(memory)
    Path(answer["result"]).unlink()
    return answer


def _anchor(dataset, fmt: str, tmp_path: Path) -> dict:
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    pg = f"PG:host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} user={db['USER']}"
    target = tmp_path / f"anchor-{dataset.pk}-{fmt}" / ("out.gpkg" if fmt == "gpkg" else "out.shp")
    target.parent.mkdir(parents=True, exist_ok=True)
    driver = ["-f", "GPKG"] if fmt == "gpkg" else ["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8"]
    command = ["ogr2ogr", *driver, str(target), pg, f"{settings.LAYERS_SCHEMA}.{dataset.table_name}",
               "-t_srs", "EPSG:4326", "-clipsrc", commune_wkt()]  # fmt: skip
    _out, memory, seconds = _watched(command)
    return {"seconds": seconds, "features": _count(str(target)), "ogr2ogr_mb": memory.peak_mb()}


def _first_byte(url: str) -> tuple[float, float, int]:
    """(seconds to the first byte, total seconds, bytes) of one streamed download."""
    start = time.monotonic()
    response = requests.get(url, stream=True, timeout=600)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip", response.status_code
    first, size = None, 0
    for chunk in response.iter_content(1 << 16):
        if first is None:
            first = time.monotonic() - start
        size += len(chunk)
    return first or 0.0, time.monotonic() - start, size


def test_download_against_ogr2ogr_clipsrc(organisations, producer_a, tmp_path, data_dir):
    _communes_layer(organisations, producer_a, tmp_path)
    layers = {"points": _import(organisations, producer_a, "points", POINTS)}
    layers["polygons"] = _import(organisations, producer_a, "polygons", POLYGONS)
    env = _environment(data_dir)
    script = tmp_path / "run_job.py"
    script.write_text(RUN_JOB)
    rows = []
    for kind, dataset in layers.items():
        for fmt in ("gpkg", "shp"):
            anchor = _anchor(dataset, fmt, tmp_path)
            ours = _ours(producer_a, dataset, fmt, env, script)
            # ogr2ogr keeps a feature that only touches the commune's edge (an empty or lower-dimension cut); we do not.
            assert abs(ours["features"] - anchor["features"]) <= max(2, anchor["features"] // 1000), (ours, anchor)
            rows.append((kind, fmt, dataset.feature_count, ours, anchor))

    server, url = gunicorn("geoplatform.wsgi", env, data_dir / "bench-download-gunicorn.log", "/donnees/")
    try:
        half = DIRECT_BOX / 2
        box = f"{CENTRE[0] - half},{CENTRE[1] - half},{CENTRE[0] + half},{CENTRE[1] + half}"
        # Every gunicorn worker serves a page first (imports done), as in a running platform.
        with ThreadPoolExecutor(2 * WORKERS) as clients:
            pages = [f"{url}/donnees/{dataset.pk}/" for dataset in layers.values()] * WORKERS
            assert all(r.status_code == 200 for r in clients.map(requests.get, pages))
        direct = {}
        for kind, dataset in layers.items():
            query = f"?format=gpkg&srid=4326&bbox={box}&bbox_srid=2154"
            direct[kind] = _first_byte(f"{url}/donnees/{dataset.pk}/telecharger/{query}")
    finally:
        stop(server)
    load_average = os.getloadavg()[0]

    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"Downloads clipped to a commune, EPSG:4326, through the service (deferred job, zip) vs ogr2ogr -clipsrc, "
        f"{now}, {os.cpu_count()} CPUs, 1-min load {load_average:.1f}",
        "",
        "| data | format | features written (ours / ogr2ogr) | ours s | ours features/s | ogr2ogr s "
        "| ogr2ogr features/s | ratio (target >= 0.8) | ours: Python MB / its ogr2ogr MB | ogr2ogr -clipsrc MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, fmt, total, ours, anchor in rows:
        ours_rate, anchor_rate = ours["features"] / ours["seconds"], anchor["features"] / anchor["seconds"]
        lines.append(
            f"| {total:,} {kind} | {fmt} | {ours['features']:,} / {anchor['features']:,} | {ours['seconds']:.1f} "
            f"| {ours_rate:,.0f} | {anchor['seconds']:.1f} | {anchor_rate:,.0f} | **{ours_rate / anchor_rate:.2f}** "
            f"| {ours['python_mb']:.0f} / {ours['ogr2ogr_mb']:.0f} | {anchor['ogr2ogr_mb']:.0f} |"
        )
    labels = sorted({label for *_x, ours, _unused in rows for label in ours["profile"]})
    lines += ["", "Where our time goes (cumulative seconds in the job's process; ogr2ogr runs the SQL cut):", ""]
    lines += ["| data | format | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels)]
    for kind, fmt, _total, ours, _unused in rows:
        cells = " | ".join(f"{ours['profile'].get(label, 0.0):.2f}" for label in labels)
        lines.append(f"| {kind} | {fmt} | {cells} |")
    lines += ["", f"Direct download through gunicorn (GeoPackage, EPSG:4326, box of {DIRECT_BOX / 1000:.0f} km):", ""]
    lines += ["| data | first byte s (target < 1) | total s | MB |", "|---|---|---|---|"]
    for kind, (first, total, size) in direct.items():
        lines.append(f"| {kind} | **{first:.2f}** | {total:.1f} | {size / 1e6:.1f} |")
    report.EXTRA.append("\n".join(lines))
    print("\n" + "\n".join(lines))
