"""Import benchmark: our pipeline against plain `ogr2ogr ... --config PG_USE_COPY YES`, same files, same run.

Each measured import runs in a fresh process, so that its peak RSS is its own. Timings are printed
(see conftest.py), never asserted; what is asserted is that both sides load the same features.
Each side runs GP_BENCH_RUNS times (default 3), alternating which goes first; the best time is kept.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from psycopg import sql

from tests.bench import datasets, report
from tests.bench.memory import TreeMemory

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("GP_BENCH_RUNS", "3"))
CASES = [
    ("points", 100_000, "gpkg"),
    ("points", 1_000_000, "gpkg"),
    ("polygons", 200_000, "gpkg"),
    ("points", 100_000, "shp"),
    ("points", 1_000_000, "shp"),
    ("polygons", 200_000, "shp"),
]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(900)]


def _database_env() -> dict[str, str]:
    db = connection.settings_dict
    return dict(os.environ, PGPASSWORD=str(db["PASSWORD"] or ""))


def _pg_dsn() -> str:
    db = connection.settings_dict
    return f"PG:host={db['HOST']} port={db['PORT'] or 5432} dbname={db['NAME']} user={db['USER']}"


def _warm(path: Path) -> None:
    """Read the file once so that both sides start with it in the page cache."""
    with path.open("rb") as fh:
        while fh.read(16 * 1024 * 1024):
            pass


def _query(query: sql.Composable) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection))
        return cursor.fetchall() if cursor.description else []


def _count(table: str, where: sql.Composable | None = None) -> int:
    table_name = sql.Identifier(settings.LAYERS_SCHEMA, table)
    query = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(table_name, where or sql.SQL("true"))
    return _query(query)[0][0]


def _count_invalid(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT f_geometry_column FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = %s",
            [settings.LAYERS_SCHEMA, table],
        )
        (column,) = cursor.fetchone()
    return _count(table, sql.SQL("NOT ST_IsValid({})").format(sql.Identifier(column)))


def _drop(table: str) -> None:
    _query(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(settings.LAYERS_SCHEMA, table)))


def run_anchor(path: Path, kind: str, fmt: str, table: str, log: Path) -> dict:
    """Plain ogr2ogr on the same file (a zip is read in place through /vsizip/)."""
    source = f"/vsizip/{path}/{kind}.shp" if fmt == "shp" else str(path)
    command = ["ogr2ogr", "-f", "PostgreSQL", _pg_dsn(), source, "-nln", f"{settings.LAYERS_SCHEMA}.{table}",
               "--config", "PG_USE_COPY", "YES"]  # fmt: skip
    with log.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=_database_env())
        memory = TreeMemory(process.pid).start()
        process.wait()
        wall = time.perf_counter() - start
        memory.stop()
    assert process.returncode == 0, log.read_text()[-2000:]
    return {"wall": wall, "peak_mb": memory.peak_mb()}


def run_ours(path: Path, user_id: int, organisation_id: int, data_dir: Path) -> dict:
    """`create_import(run_now=True)` in a fresh process (tests/bench/measure_import.py)."""
    arguments = {"user": user_id, "organisation": organisation_id, "path": str(path), "filename": path.name}
    env = dict(
        os.environ,
        GP_TESTING="1",
        GP_DB_NAME=connection.settings_dict["NAME"],
        GP_DATA_DIR=str(data_dir),
        GP_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="geoplatform.settings",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.measure_import", json.dumps(arguments)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    memory = TreeMemory(process.pid).start()
    stdout, stderr = process.communicate()
    memory.stop()
    lines = [line for line in stdout.splitlines() if line.startswith("BENCH-RESULT ")]
    assert process.returncode == 0 and lines, stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("BENCH-RESULT "))
    result.update(
        ogr2ogr_peak_mb=memory.largest_child_mb(),
        tree_rss_peak_mb=memory.tree_rss_peak_kb / 1024,
        sampled_python_peak_mb=memory.peak_mb(),
    )
    return result


def _best(runs: list[dict], memory_keys: list[str]) -> dict:
    """Fastest run's figures, with the highest peak memory seen over all runs."""
    best = dict(min(runs, key=lambda r: r["wall"]))
    for key in memory_keys:
        best[key] = max(r[key] for r in runs)
    return best


def _machine() -> dict:
    from osgeo import gdal

    with connection.cursor() as cursor:
        cursor.execute("SELECT split_part(version(), ' ', 2), postgis_lib_version(), postgis_geos_version()")
        postgres, postgis, geos = cursor.fetchone()
    memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return {
        "commit": commit.stdout.strip(),
        "cpus": os.cpu_count(),
        "ram_gb": round(int(memory.split()[1]) / 1024**2, 1),
        "gdal": gdal.__version__,
        "postgres": postgres,
        "postgis": postgis,
        "geos": geos,
    }


def _anchor_pass(path: Path, kind: str, fmt: str, table: str, log: Path, check_invalid: bool) -> tuple:
    _warm(path)
    measure = run_anchor(path, kind, fmt, table, log)
    count = _count(table)
    invalid = _count_invalid(table) if check_invalid else None
    _drop(table)
    return measure, count, invalid


def _our_pass(path: Path, user_id: int, organisation_id: int, data_dir: Path) -> tuple:
    _warm(path)
    measure = run_ours(path, user_id, organisation_id, data_dir)
    assert measure["status"] == "succeeded", measure["error"]
    count = _count(measure["table"])
    _drop(measure["table"])
    return measure, count


@pytest.mark.parametrize(("kind", "features", "fmt"), CASES, ids=[f"{k}-{n}-{f}" for k, n, f in CASES])
def test_import_against_ogr2ogr(kind, features, fmt, producer_a, organisations, tmp_path):
    report.MACHINE = report.MACHINE or _machine()
    path = datasets.dataset(kind, features, fmt)
    load_before = os.getloadavg()[0]
    anchor_runs, our_runs = [], []
    for run in range(RUNS):
        # The repair count's reference is checked once: it costs an extra pass over the polygons.
        anchor_args = (path, kind, fmt, f"anchor_{kind}_{features}_{fmt}", tmp_path / f"anchor-{run}.log")
        anchor_args += (kind == "polygons" and run == 0,)
        our_args = (path, producer_a.pk, organisations["a"].pk, tmp_path / f"data-{run}")
        # Alternate which side goes first, so that a drift in the machine's load does not favour one.
        if run % 2 == 0:
            anchor, anchor_count, anchor_invalid = _anchor_pass(*anchor_args)
            ours, our_count = _our_pass(*our_args)
        else:
            ours, our_count = _our_pass(*our_args)
            anchor, anchor_count, anchor_invalid = _anchor_pass(*anchor_args)
        anchor_runs.append(anchor)
        our_runs.append(ours)

        assert anchor_count == features
        assert our_count == anchor_count
        assert ours["feature_count"] == anchor_count
        if kind == "points":
            assert ours["report"]["repaired_geometries"] == 0
        elif anchor_invalid is not None:
            assert ours["report"]["repaired_geometries"] == anchor_invalid > 0

    report.RESULTS.append(
        {
            "case": f"{kind} {fmt}{' (zip)' if fmt == 'shp' else ''}",
            "kind": kind,
            "fmt": fmt,
            "features": features,
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "runs": RUNS,
            "load_average": [load_before, os.getloadavg()[0]],
            "anchor": _best(anchor_runs, ["peak_mb"]),
            "ours": _best(our_runs, ["python_peak_mb", "ogr2ogr_peak_mb", "tree_rss_peak_mb"]),
            "all_runs": {"anchor": anchor_runs, "ours": our_runs},
        }
    )
