"""Collects the benchmark results and renders them as Markdown tables (printed, and saved as JSON)."""

import json
import time
from pathlib import Path

from tests.bench import datasets

RESULTS: list[dict] = []
EXTRA: list[str] = []  # tables other benchmarks render themselves
MACHINE: dict = {}
STEPS = ["precheck", "prepare", "inspect", "load", "repair", "describe", "publish"]
STEP_TITLES = {"prepare": "prepare (unzip)", "load": "load (ogr2ogr)"}


def _ours_peak(ours: dict) -> float:
    """Upper bound of the import's footprint: the Python process plus its ogr2ogr child, as if at once."""
    return ours["python_peak_mb"] + ours["ogr2ogr_peak_mb"]


def _row(cells: list) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]


def render() -> str:
    m = MACHINE
    loads = [value for r in RESULTS for value in r["load_average"]]
    lines = [
        f"Import benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}, best of {RESULTS[0]['runs']} run(s) per side",
        f"Machine: {m.get('cpus')} CPUs, {m.get('ram_gb')} GB RAM, GDAL {m.get('gdal')}, "
        f"PostgreSQL {m.get('postgres')}, PostGIS {m.get('postgis')} (GEOS {m.get('geos')}); "
        f"1-min load average {min(loads):.1f} to {max(loads):.1f}; code {m.get('commit')}",
        "",
    ]
    rows = []
    for r in RESULTS:
        anchor, ours = r["anchor"], r["ours"]
        unzip = ours["steps"].get("prepare", 0.0)
        rows.append([
            r["case"],
            f"{r['features']:,}",
            f"{anchor['wall']:.2f}",
            f"{ours['wall']:.2f}",
            f"**{anchor['wall'] / ours['wall']:.2f}**",
            f"{unzip:.2f}",
            f"{anchor['wall'] / (ours['wall'] - unzip):.2f}",
            f"{r['features'] / ours['wall'] / 1000:.0f}k",
            f"{anchor['peak_mb']:.0f}",
            f"{_ours_peak(ours):.0f} ({ours['python_peak_mb']:.0f} + {ours['ogr2ogr_peak_mb']:.0f})",
        ])  # fmt: skip
    lines += _table(
        [
            "case", "features", "anchor s", "ours s", "throughput ratio", "of which unzip s",
            "ratio without unzip", "ours features/s", "anchor peak MB", "ours peak MB (python + ogr2ogr)",
        ],
        rows,
    )  # fmt: skip
    lines += ["", "Where our time goes (seconds; `other` is job bookkeeping, progress and Django queries):", ""]
    rows = []
    for r in RESULTS:
        steps = r["ours"]["steps"]
        other = r["ours"]["wall"] - sum(steps.get(s, 0.0) for s in STEPS)
        times = [f"{steps.get(s, 0.0):.2f}" for s in STEPS]
        rows.append([r["case"], *times, f"{other:.2f}", f"{r['ours']['wall']:.2f}"])
    lines += _table(["case", *(STEP_TITLES.get(s, s) for s in STEPS), "other", "total"], rows)
    lines += ["", "Memory flatness (peak at 1,000,000 points / peak at 100,000 points; target < 1.5):", ""]
    rows = []
    by_case = {(r["kind"], r["fmt"], r["features"]): r for r in RESULTS}
    for fmt in ("gpkg", "shp"):
        small, large = by_case.get(("points", fmt, 100_000)), by_case.get(("points", fmt, 1_000_000))
        if not (small and large):
            continue
        ours = _ours_peak(large["ours"]) / _ours_peak(small["ours"])
        python = large["ours"]["python_peak_mb"] / small["ours"]["python_peak_mb"]
        child = large["ours"]["ogr2ogr_peak_mb"] / small["ours"]["ogr2ogr_peak_mb"]
        anchor = large["anchor"]["peak_mb"] / small["anchor"]["peak_mb"]
        rows.append([fmt, f"**{ours:.2f}**", f"{python:.2f}", f"{child:.2f}", f"{anchor:.2f}"])
    lines += _table(["format", "ours (python + ogr2ogr)", "python process", "ogr2ogr child", "anchor ogr2ogr"], rows)
    return "\n".join(lines)


def save() -> Path:
    path = datasets.CACHE.parent / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"machine": MACHINE, "results": RESULTS}, indent=2))
    return path
