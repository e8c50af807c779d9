"""WMTS cache hits through our endpoint against the same tile files served as static files.

The platform is served as `make run` serves it (gunicorn, 2 sync workers, production settings) on the benchmark
database. A public dataset's LAMB93 cache is seeded (levels 12-14 on its extent, through MapProxy); then the same
list of cached tiles is fetched, with 1 and 8 concurrent clients, from:
- our REST endpoint `/wmts/dataset/<id>/1.0.0/<layer>/default/LAMB93/<z>/<row>/<col>.png` (rights decision,
  MapProxy in-process reading its cache, statistics counting);
- the anchor: the cache directory itself served by a plain static file server in the same run, gunicorn with the
  same 2 sync workers and WhiteNoise, the way this platform serves its static files.
Throughput (tiles/s) of both, the ratio (target >= 0.8) and peak memory of both servers are printed; nothing
about time is asserted. Each side answered every tile with the same bytes.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

from tests.bench import report
from tests.conftest import ROOT, import_now
from tests.sample_data import shapefile_zip, squares
from wxs import mapproxy

pytestmark = pytest.mark.django_db(transaction=True)

SECONDS = float(os.environ.get("GP_BENCH_WMTS_SECONDS", "8"))
CONCURRENCY = [1, 8]
STATIC_APP = """
import os
from whitenoise import WhiteNoise

def empty(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]

application = WhiteNoise(empty, root=os.environ["GP_BENCH_TILES"], prefix="tiles/", autorefresh=False)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn(app: str, env: dict, log: Path, probe: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    process = subprocess.Popen(command, cwd=env.get("GP_BENCH_CWD", ROOT), env=env, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + probe, timeout=10).status_code < 500:
                return process, url
        except requests.RequestException:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(log.read_text()[-2000:])


def _peak_mb(pid: int) -> float:
    total = 0.0
    for p in [pid, *(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def _throughput(urls: list[str], clients: int) -> tuple[float, int]:
    """Tiles per second over SECONDS with `clients` threads, each walking the tile list with its own session."""
    done = [0] * clients
    errors = []
    stop = time.monotonic() + SECONDS

    def run(index: int) -> None:
        session = requests.Session()
        i = index
        while time.monotonic() < stop:
            response = session.get(urls[i % len(urls)], timeout=30)
            if response.status_code != 200:
                errors.append(response.status_code)
                return
            done[index] += 1
            i += clients

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:5]
    return sum(done) / (time.monotonic() - start), sum(done)


def test_wmts_cache_hits_against_static_files(organisations, producer_a, tmp_path, data_dir):
    from django.db import connection

    features = squares(count=400, size=500)
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, features), "Carrés benchmark")
    dataset = job.dataset
    dataset.public = True
    dataset.save()
    call_command("seed_tiles", str(dataset.pk), "--grid", "LAMB93", "--levels", "12-14")
    cache = mapproxy.cache_for(dataset)
    grid_dir = cache.grid_directory(mapproxy.LAMBERT93)
    files = sorted(grid_dir.rglob("*.png"))
    assert len(files) > 20
    # MapProxy's tc layout: <z>/<col in 3 parts>/<row in 3 parts>.png
    relative = [f.relative_to(grid_dir).parts for f in files]
    tiles = []
    for parts in relative:
        level = int(parts[0])
        col = int("".join(parts[1:4]))
        row = int("".join(parts[4:7]).removesuffix(".png"))  # a grid with its origin at the top: WMTS rows
        tiles.append((level, col, row, "/".join(parts)))
    wmts_paths, static_paths = [], []
    for level, col, row, path in tiles:
        wmts_paths.append(
            f"/wmts/dataset/{dataset.pk}/1.0.0/{dataset.layer_name}/default/LAMB93/{level}/{row}/{col}.png"
        )
        static_paths.append(f"/tiles/{path}")

    env = dict(os.environ, GP_DEMO="1", GP_DB_NAME=connection.settings_dict["NAME"], GP_DATA_DIR=str(data_dir))
    caps = f"/wmts/dataset/{dataset.pk}/1.0.0/WMTSCapabilities.xml"
    ours, ours_url = _gunicorn("geoplatform.wsgi", env, data_dir / "bench-wmts-gunicorn.log", caps)
    static_dir = tmp_path / "static_app"
    static_dir.mkdir()
    (static_dir / "static_tiles.py").write_text(STATIC_APP)
    static_env = dict(os.environ, GP_BENCH_TILES=str(grid_dir), GP_BENCH_CWD=str(static_dir))
    anchor, anchor_url = _gunicorn("static_tiles:application", static_env, data_dir / "bench-static.log", "/tiles/")
    try:
        for ours_path, static_path in zip(wmts_paths[:5], static_paths[:5], strict=True):
            mine = requests.get(ours_url + ours_path, timeout=30)
            plain = requests.get(anchor_url + static_path, timeout=30)
            assert mine.status_code == plain.status_code == 200, (mine.content[:300], plain.content[:300])
            assert mine.content == plain.content, "our endpoint answers with the cached file"
        rows = []
        for clients in CONCURRENCY:
            _throughput([anchor_url + p for p in static_paths], clients)  # warm both
            _throughput([ours_url + p for p in wmts_paths], clients)
            static_rate, _n = _throughput([anchor_url + p for p in static_paths], clients)
            ours_rate, _n = _throughput([ours_url + p for p in wmts_paths], clients)
            rows.append((clients, ours_rate, static_rate))
        memory = (_peak_mb(ours.pid), _peak_mb(anchor.pid))
    finally:
        for process in (ours, anchor):
            process.terminate()
            process.wait(timeout=20)
    lines = [
        f"WMTS cache hits, {time.strftime('%Y-%m-%d %H:%M %Z')}, {len(files)} cached LAMB93 tiles (levels 12-14), "
        f"{SECONDS:.0f} s per side and concurrency, over HTTP on 127.0.0.1 ({os.cpu_count()} CPUs)",
        "",
        "| clients | our WMTS (tiles/s) | static files, gunicorn + WhiteNoise (tiles/s) | ratio (target >= 0.8) |",
        "|---|---|---|---|",
    ]
    for clients, ours_rate, static_rate in rows:
        lines.append(f"| {clients} | {ours_rate:.0f} | {static_rate:.0f} | **{ours_rate / static_rate:.2f}** |")
    lines += [
        "",
        f"Peak resident memory: platform (gunicorn master + 2 workers) {memory[0]:.0f} MB; "
        f"static server (gunicorn master + 2 workers) {memory[1]:.0f} MB",
    ]
    report.EXTRA.append("\n".join(lines))
    print("\n" + "\n".join(lines))
