"""Catalogue search latency at 10,000 and 100,000 records, against pycsw alone on the same repository.

The platform is served as `make run` serves it (gunicorn, 2 workers, production settings) on the benchmark
database: Django's live server would time the test instrumentation of templates too.
For each size, the same French queries go, over HTTP, to the search page (`/donnees/?q=`), the API search
(`/api/v1/datasets/?q=`), CSW GetRecords through our `/csw` proxy and, as the anchor, the same GetRecords
straight to the pycsw process. p50 and p95 are printed (target: search p95 under 100 ms at 100,000 records on
2 cores), with peak memory of the Django and pycsw processes. Nothing about time is asserted; the test asserts
that every side answered with results.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from lxml import etree

from catalogue.models import Dataset
from geoplatform.models import Organisation
from tests.bench import catalogue_records, report
from tests.conftest import ROOT

SIZES = [int(s) for s in os.environ.get("GP_BENCH_RECORDS", "10000,100000").split(",")]
ROUNDS = int(os.environ.get("GP_BENCH_SEARCH_ROUNDS", "20"))
QUERIES = ["forêt", "arbres loiret", "zones humides", "captages eau potable", "monuments historiques tours"]
CSW_NS = {"csw": "http://www.opengis.net/cat/csw/2.0.2"}

pytestmark = pytest.mark.django_db(transaction=True)


def _get_records(word: str) -> bytes:
    """A GetRecords as QGIS MetaSearch sends it: full text on AnyText, 10 brief records."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ogc="http://www.opengis.net/ogc"
  service="CSW" version="2.0.2" resultType="results" startPosition="1" maxRecords="10"
  outputSchema="http://www.opengis.net/cat/csw/2.0.2">
  <csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>
    <csw:Constraint version="1.1.0"><ogc:Filter>
      <ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\\">
        <ogc:PropertyName>csw:AnyText</ogc:PropertyName><ogc:Literal>%{word}%</ogc:Literal>
      </ogc:PropertyIsLike>
    </ogc:Filter></csw:Constraint>
  </csw:Query>
</csw:GetRecords>""".encode()


def _matched(body: bytes) -> int:
    results = etree.fromstring(body).find(".//csw:SearchResults", CSW_NS)
    assert results is not None, body[:500]
    return int(results.get("numberOfRecordsMatched"))


def _timed(call) -> tuple[list[float], object]:
    for _ in range(4):  # warm up every worker: imports, templates, connections
        call()
    times, answer = [], None
    for _ in range(ROUNDS):
        start = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - start) * 1000)
    return times, answer


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _pycsw_pids(port: str) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            cmdline = status.read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "pycsw" in cmdline and f":{port}" in cmdline:
            pids.append(int(status.parent.name))
    return pids


@pytest.fixture
def platform_url(pycsw_server, data_dir):
    """gunicorn on the benchmark database, its /csw forwarding to the benchmark's pycsw."""
    from django.db import connection

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(
        os.environ,
        GP_DEMO="1",
        GP_DB_NAME=connection.settings_dict["NAME"],
        GP_CSW_URL=pycsw_server,
        GP_DATA_DIR=str(data_dir),
    )
    log = open(data_dir / "bench-gunicorn.log", "wb")
    command = [sys.executable, "-m", "gunicorn", "geoplatform.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/donnees/", timeout=10).ok:
                break
        except requests.RequestException:
            time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError((data_dir / "bench-gunicorn.log").read_text()[-2000:])
    yield url, process.pid
    process.terminate()
    process.wait(timeout=20)
    log.close()


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_catalogue_search_latency(platform_url, pycsw_server):
    base, gunicorn_pid = platform_url
    organisations = [
        Organisation.objects.create(name=f"Organisation {i}", slug=f"organisation-{i}").pk for i in range(10)
    ]
    template = Dataset.objects.create(
        title="Modèle", abstract="Fiche modèle", organisation_id=organisations[0], public=True, lineage="Relevés"
    )
    session = requests.Session()
    sides = {
        "search page": lambda q: session.get(f"{base}/donnees/", params={"q": q}),
        "API search": lambda q: session.get(f"{base}/api/v1/datasets/", params={"q": q}),
        "CSW GetRecords via /csw": lambda q: session.post(
            f"{base}/csw", data=_get_records(q.split()[0]), headers={"Content-Type": "application/xml"}
        ),
        "pycsw alone (anchor)": lambda q: session.post(
            pycsw_server, data=_get_records(q.split()[0]), headers={"Content-Type": "application/xml"}
        ),
    }
    made = 0
    results = []
    for size in SIZES:
        catalogue_records.generate(size - made, template, organisations, seed=size / 1e6)
        made = size
        row = {"records": Dataset.objects.count()}
        for side, call in sides.items():
            times = []
            for query in QUERIES:
                query_times, answer = _timed(lambda call=call, query=query: call(query))
                assert answer.status_code == 200, (side, answer.content[:300])
                if "CSW" in side or "pycsw" in side:
                    assert _matched(answer.content) > 0, side
                elif "API" in side:
                    assert answer.json()["count"] > 0, side
                times += query_times
            quantiles = statistics.quantiles(times, n=20)
            row[side] = (statistics.median(times), quantiles[18])
        results.append(row)
    port = pycsw_server.rsplit(":", 1)[1].strip("/")
    memory = {
        "Django (gunicorn master + 2 workers)": sum(_peak_mb(p) for p in [gunicorn_pid, *_children(gunicorn_pid)]),
        "pycsw (gunicorn master + worker)": sum(_peak_mb(pid) for pid in _pycsw_pids(port)),
    }
    lines = [
        f"Catalogue search latency, {time.strftime('%Y-%m-%d %H:%M %Z')}, {len(QUERIES)} queries × {ROUNDS} "
        f"rounds per side, over HTTP on 127.0.0.1 ({os.cpu_count()} CPUs)",
        "",
        "| records | " + " | ".join(f"{side} p50 / p95 ms" for side in sides) + " | /csw p95 ÷ pycsw p95 |",
        "|---" * (len(sides) + 2) + "|",
    ]
    for row in results:
        cells = [f"{row[side][0]:.1f} / **{row[side][1]:.1f}**" for side in sides]
        ratio = row["CSW GetRecords via /csw"][1] / row["pycsw alone (anchor)"][1]
        lines.append(f"| {row['records']:,} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    lines += ["", "Peak resident memory: " + "; ".join(f"{k} {v:.0f} MB" for k, v in memory.items())]
    report.EXTRA.append("\n".join(lines))
    print("\n" + "\n".join(lines))
