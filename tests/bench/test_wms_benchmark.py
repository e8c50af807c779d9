"""WMS GetMap through our endpoint against the bare MapServer pool, on 200,000 polygons.

The platform is served as `make run` serves it (gunicorn, 3 sync workers, `--timeout 300`, GP_DEMO settings) on the
benchmark database; a public dataset of 200,000 polygons of 41 vertices (`datasets.dataset("polygons", 200_000)`)
is imported through the real pipeline. One MapServer FastCGI pool (`wxs/mapserver/pool.py`, 2 `mapserv` workers)
answers both sides:
- ours: `/ows/dataset/<id>?SERVICE=WMS&REQUEST=GetMap...` (Django, caller, rights decision, mapfile lookup,
  statistics, then `wxs.mapserver` to the pool);
- the anchor, "bare mapserv": a plain WSGI app under the same gunicorn settings that hands the query string to the
  same pool with the same FastCGI client (`runtime.respond`) on the same mapfile, and nothing else. The HTTP hop,
  gunicorn and the pool are in both paths; only what Django and the platform add differs.
GetMap 800x600 PNG at full extent and at 1:25,000 (a 5,600 m wide window, 20 places over the layer), 1 and 8
concurrent clients, the two sides alternated (two rounds at 1:25,000). Throughput, p50/p95 latency, the ratio
(target >= 0.9) and the serving processes' peak memory are printed; nothing about time is asserted. Every answer
must be an 800x600 PNG with polygons drawn on it.
"""

import io
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.bench import datasets, report
from tests.conftest import ROOT, import_now

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 3  # the Procfile's `gunicorn geoplatform.wsgi --workers 3`
POOL_WORKERS = 2
CONCURRENCY = [1, 8]
ROUNDS = {"full": 1, "25k": 2}  # a full-extent map takes seconds: one round of each side is enough
SECONDS = {"full": float(os.environ.get("GP_BENCH_WMS_FULL_SECONDS", "8")),
           "25k": float(os.environ.get("GP_BENCH_WMS_SECONDS", "5"))}  # fmt: skip
WIDTH, HEIGHT = 800, 600
WINDOW = WIDTH * 0.28e-3 * 25_000  # 5,600 m: 800 px of 0.28 mm at 1:25,000

BARE_APP = """
import os
from urllib.parse import parse_qsl
from pathlib import Path

import django

django.setup()
from wxs.mapserver import runtime

MAPFILE = Path(os.environ["GP_BENCH_MAPFILE"])


def application(environ, start_response):
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    answer = runtime.respond(MAPFILE, params, "http://" + environ["HTTP_HOST"] + "/")
    start_response(f"{answer.status} OK", [("Content-Type", answer.content_type)])
    return answer.chunks
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(app: str, env: dict, log: Path, probe: str, cwd: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """`app` served like `make run` serves the platform: 3 sync workers, `--timeout 300`."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
               "--timeout", "300"]  # fmt: skip
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + probe, timeout=30).status_code < 500:
                return process, url
        except requests.RequestException:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(log.read_text()[-2000:])


def start_pool(config: Path, socket_path: Path, log: Path) -> subprocess.Popen:
    """The MapServer pool both sides use, as `manage.py mapserver_pool` runs it."""
    from wxs.mapserver import pool

    command = [sys.executable, pool.__file__, str(socket_path), "--workers", str(POOL_WORKERS), "--config",
               str(config), "--parent-pid", str(os.getpid())]  # fmt: skip
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 10
    while not pool.answers(socket_path):
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return process


def tree_pids(pid: int) -> list[int]:
    pids, frontier = [pid], [pid]
    while frontier:
        children = []
        for p in frontier:
            try:
                children += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
            except OSError:
                pass
        pids += children
        frontier = children
    return pids


def hwm_mb(pid: int) -> float:
    """VmHWM of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tree_peak(pid: int) -> tuple[float, float]:
    """(sum of the tree's VmHWM, largest single VmHWM) in MB."""
    peaks = [hwm_mb(p) for p in tree_pids(pid)]
    return sum(peaks), max(peaks)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def check_png(body: bytes) -> None:
    image = Image.open(io.BytesIO(body))
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT), (image.format, image.size)
    alpha = image.convert("RGBA").getchannel("A")
    assert alpha.getbbox() is not None, "polygons are drawn"


def getmap_query(bbox: tuple[float, float, float, float], layer: str) -> str:
    return ("SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=" + layer + "&STYLES=&CRS=EPSG:2154&BBOX="
            + ",".join(f"{v:.2f}" for v in bbox) + f"&WIDTH={WIDTH}&HEIGHT={HEIGHT}&FORMAT=image/png")  # fmt: skip


def windows() -> dict[str, list[tuple[float, float, float, float]]]:
    x0, y0, x1, y1 = datasets.BOX
    cx = (x0 + x1) / 2
    half_w = (y1 - y0) / 2 * WIDTH / HEIGHT  # the whole layer's height, at the image's aspect
    full = [(cx - half_w, y0, cx + half_w, y1)]
    places = []
    for i in range(20):  # spread over the layer, deterministic
        px = x0 + (x1 - x0) * (0.1 + 0.8 * ((i * 7) % 20) / 19)
        py = y0 + (y1 - y0) * (0.1 + 0.8 * ((i * 13) % 20) / 19)
        places.append(
            (px - WINDOW / 2, py - WINDOW * HEIGHT / WIDTH / 2, px + WINDOW / 2, py + WINDOW * HEIGHT / WIDTH / 2)
        )
    return {"full": full, "25k": places}


def load(urls: list[str], clients: int, seconds: float) -> tuple[int, float, list[float]]:
    """(requests done, wall seconds, latencies) of `clients` threads walking `urls` until `seconds` have passed
    (at least one request each); every answer is checked to be a PNG of the right size."""
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()

    def run(index: int) -> None:
        session = requests.Session()
        i = index
        while True:  # at least one request per client
            began = time.monotonic()
            response = session.get(urls[i % len(urls)], timeout=300)
            took = time.monotonic() - began
            try:
                assert response.status_code == 200, (response.status_code, response.content[:300])
                check_png(response.content)
            except Exception as error:  # noqa: BLE001  (reported after the threads end)
                errors.append(repr(error)[:500])
                return
            with lock:
                latencies.append(took)
            i += clients
            if time.monotonic() >= stop_at:
                return

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    return len(latencies), time.monotonic() - start, latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _ms(latencies: list[float]) -> str:
    return f"{percentile(latencies, 0.5) * 1000:.0f} / {percentile(latencies, 0.95) * 1000:.0f}"


def serve_platform_and_bare(dataset, data_dir: Path, tmp_path: Path, name: str):
    """Start the pool, the platform and the bare anchor; returns (pool, ours, ours_url, bare, bare_url)."""
    from django.db import connection

    from wxs import mapserver
    from wxs.mapserver import runtime

    mapfile = mapserver.mapfile_for(dataset)
    config = runtime.ensure_config()
    socket_path = Path(f"/tmp/gp-bench-{name}-{os.getpid()}.sock")
    pool = start_pool(config, socket_path, data_dir / f"bench-{name}-pool.log")
    env = dict(os.environ, GP_DEMO="1", GP_DB_NAME=connection.settings_dict["NAME"], GP_DATA_DIR=str(data_dir),
               GP_MAPSERVER_SOCKET=str(socket_path), DJANGO_SETTINGS_MODULE="geoplatform.settings")  # fmt: skip
    env.pop("PYTEST_CURRENT_TEST", None)
    processes = [pool]
    try:
        probe = f"/ows/dataset/{dataset.pk}?SERVICE=WMS&REQUEST=GetCapabilities"
        ours, ours_url = gunicorn("geoplatform.wsgi", env, data_dir / f"bench-{name}-gunicorn.log", probe)
        processes.append(ours)
        app_dir = tmp_path / "bare_app"
        app_dir.mkdir(exist_ok=True)
        (app_dir / "bare_mapserv.py").write_text(BARE_APP)
        bare_env = dict(env, GP_BENCH_MAPFILE=str(mapfile), PYTHONPATH=f"{app_dir}{os.pathsep}{ROOT}")
        bare, bare_url = gunicorn("bare_mapserv:application", bare_env, data_dir / f"bench-{name}-bare.log",
                                  "/?SERVICE=WMS&REQUEST=GetCapabilities", cwd=app_dir)  # fmt: skip
        processes.append(bare)
    except BaseException:
        for process in reversed(processes):
            stop(process)
        raise
    return pool, ours, ours_url, bare, bare_url


def import_polygons(organisations, producer_a):
    job = import_now(producer_a, organisations["a"], datasets.dataset("polygons", 200_000, "gpkg"), "Parcelles bench")
    dataset = job.dataset
    dataset.public = True
    dataset.save()
    return dataset


def test_wms_getmap_against_bare_mapserv(organisations, producer_a, tmp_path, data_dir):
    dataset = import_polygons(organisations, producer_a)
    pool, ours, ours_url, bare, bare_url = serve_platform_and_bare(dataset, data_dir, tmp_path, "wms")
    cases = windows()
    results = {}
    try:
        for case, bboxes in cases.items():
            queries = [getmap_query(b, dataset.layer_name) for b in bboxes]
            ours_urls = [f"{ours_url}/ows/dataset/{dataset.pk}?{q}" for q in queries]
            bare_urls = [f"{bare_url}/?{q}" for q in queries]
            mine, plain = requests.get(ours_urls[0], timeout=300), requests.get(bare_urls[0], timeout=300)
            check_png(mine.content)
            check_png(plain.content)
            assert mine.content == plain.content, "the same image from both sides"
            for clients in CONCURRENCY:
                load(ours_urls[:clients], clients, 0)  # one request per client: connections and caches warm
                load(bare_urls[:clients], clients, 0)
                totals = {"ours": [0, 0.0, []], "bare": [0, 0.0, []]}
                for _round in range(ROUNDS[case]):
                    for side, urls in (("bare", bare_urls), ("ours", ours_urls)):
                        done, wall, latencies = load(urls, clients, SECONDS[case] / ROUNDS[case])
                        totals[side][0] += done
                        totals[side][1] += wall
                        totals[side][2] += latencies
                results[(case, clients)] = totals, len(mine.content)
        memory = {"ours": tree_peak(ours.pid), "bare": tree_peak(bare.pid), "pool": tree_peak(pool.pid)}
        load_average = os.getloadavg()[0]
    finally:
        for process in (ours, bare, pool):
            stop(process)

    titles = {"full": "full extent (200 km, every polygon)", "25k": "1:25,000 (5.6 km windows)"}
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"WMS GetMap 800x600 PNG, {dataset.feature_count:,} polygons, {now},"
        f" {os.cpu_count()} CPUs, 1-min load {load_average:.1f}; gunicorn {WORKERS} sync workers on both sides, one"
        f" pool of {POOL_WORKERS} mapserv; sides alternated, {ROUNDS['25k']} rounds at 1:25,000",
        "",
        "| request | clients | ours req/s | bare req/s | ratio (target >= 0.9) | ours p50 / p95 ms | bare p50 / p95 ms "
        "| requests ours / bare |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (case, clients), (totals, size) in results.items():
        o, b = totals["ours"], totals["bare"]
        ours_rate, bare_rate = o[0] / o[1], b[0] / b[1]
        lines.append(
            f"| {titles[case]}, {size / 1000:.0f} kB | {clients} | {ours_rate:.2f} | {bare_rate:.2f} "
            f"| **{ours_rate / bare_rate:.2f}** | {_ms(o[2])} | {_ms(b[2])} | {o[0]} / {b[0]} |"
        )
    lines += [
        "",
        f"Peak resident memory (VmHWM, sum / largest process): platform gunicorn master + {WORKERS} workers "
        f"{memory['ours'][0]:.0f} / {memory['ours'][1]:.0f} MB; bare gunicorn master + {WORKERS} workers "
        f"{memory['bare'][0]:.0f} / {memory['bare'][1]:.0f} MB; MapServer pool (supervisor + {POOL_WORKERS} mapserv, "
        f"shared) {memory['pool'][0]:.0f} / {memory['pool'][1]:.0f} MB",
    ]
    report.EXTRA.append("\n".join(lines))
    print("\n" + "\n".join(lines))
