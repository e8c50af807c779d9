"""WFS GetFeature of 100,000 features as GeoJSON through our endpoint against ogr2ogr reading PostGIS.

The platform is served as `make run` serves it (gunicorn, 3 sync workers, GP_DEMO settings) with one MapServer pool
of 2 `mapserv` workers, on the 200,000-polygon dataset of the WMS benchmark (imported through the real pipeline,
public). In the same run:
- ours: `/ows/dataset/<id>?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=<layer>&OUTPUTFORMAT=geojson
  &COUNT=<n>&SRSNAME=EPSG:2154` in one request (no paging), streamed by Django from the pool;
- the anchor: `ogr2ogr -f GeoJSON /vsistdout/ PG:... layers.<table> -limit <n>` on the same table (the same OGR
  GeoJSON writer MapServer uses, no HTTP, no MapServer, no Django).
Both are read by the same small client process that counts the features while the bytes arrive (never holding the
document), at 10,000 and 100,000 features. Printed: features/s and the ratio (target >= 0.8), and the peak resident
memory during each download of the gunicorn worker that served it, of the mapserv worker, of the client and of
ogr2ogr: the serving side must not grow with the answer (10,000 vs 100,000). Nothing about time is asserted; the
feature counts are.
"""

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.bench import report
from tests.bench.test_wms_benchmark import WORKERS, import_polygons, serve_platform_and_bare, stop, tree_pids

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [10_000, 100_000]
CLIENT = r"""
import json, os, subprocess, sys, time

PATTERNS = (b'"type": "Feature"', b'"type":"Feature"')
CHUNK = 1 << 16
mode, target = sys.argv[1], sys.argv[2:]
start = time.monotonic()
if mode == "url":
    import requests

    response = requests.get(target[0], stream=True, timeout=600)
    assert response.status_code == 200, (response.status_code, response.content[:500])
    chunks, content_type = response.iter_content(CHUNK), response.headers.get("Content-Type")
else:
    process = subprocess.Popen(target, stdout=subprocess.PIPE)
    chunks, content_type = iter(lambda: process.stdout.read(CHUNK), b""), None
count = size = 0
head, tail, first_byte = b"", b"", None
keep = max(len(p) for p in PATTERNS) - 1
for chunk in chunks:
    if first_byte is None:
        first_byte = time.monotonic() - start
    data = tail + chunk
    count += sum(data.count(p) for p in PATTERNS)  # a match cannot lie inside `tail` alone: it is shorter
    tail = data[-keep:]
    size += len(chunk)
    if len(head) < 300:
        head += chunk[:300]
seconds = time.monotonic() - start
if mode != "url":
    assert process.wait() == 0
times = os.times()
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(json.dumps({"features": count, "bytes": size, "seconds": seconds, "head": head[:300].decode("utf-8", "replace"),
                  "tail": tail.decode("utf-8", "replace"), "content_type": content_type, "client_peak_mb": hwm,
                  "first_byte": first_byte, "cpu": times.user + times.system,
                  "child_cpu": times.children_user + times.children_system}))
"""


class RssWatch:
    """Largest VmRSS of each process of a tree while a download runs (VmHWM would keep the lifetime's peak)."""

    def __init__(self, *roots: int) -> None:
        self.roots = roots
        self.peaks: dict[int, tuple[str, int]] = {}
        self.cpu: dict[int, list[int]] = {}  # pid -> [first, last] utime + stime, in clock ticks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RssWatch":
        self._sample()
        self.before = dict(self.peaks)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._sample()

    def _sample(self) -> None:
        for root in self.roots:
            for pid in tree_pids(root):
                try:
                    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
                except OSError:
                    continue
                name, rss = status["Name"].strip(), int(status.get("VmRSS", "0 kB").split()[0])
                old = self.peaks.get(pid, (name, 0))
                self.peaks[pid] = (name, max(old[1], rss))
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                ticks = int(fields[11]) + int(fields[12])
                self.cpu.setdefault(pid, [ticks, ticks])[1] = ticks

    def largest(self, pids: list[int]) -> tuple[float, float]:
        """(largest peak RSS during the watch, that process' RSS before) in MB, over `pids`."""
        rows = [(self.peaks[p][1], self.before.get(p, ("", 0))[1]) for p in pids if p in self.peaks]
        peak, before = max(rows, default=(0, 0))
        return peak / 1024, before / 1024

    def cpu_seconds(self, pids: list[int]) -> float:
        """CPU time the processes `pids` used during the watch."""
        return sum(self.cpu[p][1] - self.cpu[p][0] for p in pids if p in self.cpu) / os.sysconf("SC_CLK_TCK")

    def named(self, name: str) -> list[int]:
        return [pid for pid, (n, _rss) in self.peaks.items() if n == name]


def _query(dataset, count: int) -> str:
    return (f"?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES={dataset.layer_name}&OUTPUTFORMAT=geojson"
            f"&COUNT={count}&SRSNAME=EPSG:2154")  # fmt: skip


def _client(client: Path, *args: str) -> tuple[dict, float]:
    """Runs the counting client; returns its report and the largest ogr2ogr RSS it started (MB)."""
    process = subprocess.Popen([sys.executable, str(client), *args], stdout=subprocess.PIPE)
    with RssWatch(process.pid) as watch:
        out, _ = process.communicate(timeout=900)
    assert process.returncode == 0
    return json.loads(out), watch.largest(watch.named("ogr2ogr"))[0]


def test_wfs_geojson_100000_against_ogr2ogr(organisations, producer_a, tmp_path, data_dir):
    from django.conf import settings
    from django.db import connection

    dataset = import_polygons(organisations, producer_a)
    pool, ours, url, bare, bare_url = serve_platform_and_bare(dataset, data_dir, tmp_path, "wfs")
    client = tmp_path / "count_features.py"
    client.write_text(CLIENT)
    db = connection.settings_dict
    pg = (f"PG:host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} "
          f"user={settings.RENDER_DB_USER} password={settings.RENDER_DB_PASSWORD}")  # fmt: skip
    table = f"{settings.LAYERS_SCHEMA}.{dataset.table_name}"
    rows = {}
    try:
        warm = f"{url}/ows/dataset/{dataset.pk}{_query(dataset, 100)}"
        with ThreadPoolExecutor(2 * WORKERS) as pool_of_clients:  # concurrent, so that every worker gets one
            assert all(r.status_code == 200 for r in pool_of_clients.map(requests.get, [warm] * 2 * WORKERS))
        for n in SIZES:
            anchor, ogr_peak = _client(client, "command", "ogr2ogr", "-f", "GeoJSON", "/vsistdout/", pg, table,
                                       "-limit", str(n))  # fmt: skip
            with RssWatch(ours.pid, pool.pid) as watch:
                mine, _ = _client(client, "url", f"{url}/ows/dataset/{dataset.pk}{_query(dataset, n)}")
            worker = watch.largest(tree_pids(ours.pid)[1:])  # the master only forks: the largest worker served
            mapserv = watch.largest(watch.named("mapserv"))
            cpu = (watch.cpu_seconds(watch.named("mapserv")), watch.cpu_seconds(tree_pids(ours.pid)[1:]))
            plain, _ = _client(client, "url", f"{bare_url}/{_query(dataset, n)}")
            for answer in (mine, anchor, plain):
                assert answer["features"] == n, answer
                assert answer["head"].lstrip().startswith("{") and "FeatureCollection" in answer["head"], answer
                assert answer["tail"].rstrip().endswith("}"), answer["tail"]
            rows[n] = (mine, anchor, plain, worker, mapserv, ogr_peak, cpu)
        load_average = os.getloadavg()[0]
    finally:
        for process in (ours, bare, pool):
            stop(process)

    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"WFS 2.0 GetFeature as GeoJSON (one request, COUNT=n) vs ogr2ogr -f GeoJSON from PostGIS, "
        f"{now}, {os.cpu_count()} CPUs, 1-min load {load_average:.1f}; "
        f"gunicorn {WORKERS} sync workers, pool of 2 mapserv",
        "",
        "| features | ours s (first byte) | ours features/s | ogr2ogr s | ogr2ogr features/s | ratio (target >= 0.8) "
        "| bare pool over gunicorn s (ratio to ogr2ogr) | ours MB / ogr2ogr MB | gunicorn worker RSS before -> peak MB "
        "| mapserv RSS peak MB | client peak MB | ogr2ogr peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, (mine, anchor, plain, worker, mapserv, ogr_peak, _cpu) in rows.items():
        ours_rate, anchor_rate = n / mine["seconds"], n / anchor["seconds"]
        lines.append(
            f"| {n:,} | {mine['seconds']:.1f} ({mine['first_byte']:.2f}) | {ours_rate:,.0f} | {anchor['seconds']:.1f} "
            f"| {anchor_rate:,.0f} | **{ours_rate / anchor_rate:.2f}** "
            f"| {plain['seconds']:.1f} ({anchor['seconds'] / plain['seconds']:.2f}) "
            f"| {mine['bytes'] / 1e6:.0f} / {anchor['bytes'] / 1e6:.0f} "
            f"| {worker[1]:.0f} -> {worker[0]:.0f} | {mapserv[0]:.0f} | {mine['client_peak_mb']:.0f} | {ogr_peak:.0f} |"
        )
    lines += [
        "",
        "CPU seconds spent during each download (where the time goes):",
        "",
        "| features | ours: mapserv | ours: gunicorn worker | ours: client | ogr2ogr | anchor client |",
        "|---|---|---|---|---|---|",
    ]
    for n, (mine, anchor, _plain, _worker, _mapserv, _ogr_peak, cpu) in rows.items():
        lines.append(
            f"| {n:,} | {cpu[0]:.1f} | {cpu[1]:.1f} | {mine['cpu']:.1f} | {anchor['child_cpu']:.1f} "
            f"| {anchor['cpu']:.1f} |"
        )
    small, large = rows[SIZES[0]][3][0], rows[SIZES[-1]][3][0]
    lines += [
        "",
        f"Serving worker flatness: peak RSS at {SIZES[-1]:,} / at {SIZES[0]:,} features = {large / small:.2f}",
    ]
    report.EXTRA.append("\n".join(lines))
    print("\n" + "\n".join(lines))
