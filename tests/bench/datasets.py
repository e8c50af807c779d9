"""Input files for the import benchmark, generated once with GDAL and cached between runs.

Points and polygons are random but seeded, in Lambert-93 (EPSG:2154) over the Centre-Val de Loire box,
with a few attributes (text with accents, integer, real, date) like the layers producers upload.
Each polygon has 40 distinct vertices plus the closing one (41); 0.5 % of them self-intersect, as
real data do, so that the repair step has something to repair.
"""

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np

# Bump when the generated data change, so that stale caches are not reused.
VERSION = "v1"
CACHE = Path(os.environ.get("GP_BENCH_DATA", "/tmp/gp-bench-data")) / VERSION
BOX = (500000.0, 6600000.0, 700000.0, 6800000.0)
VERTICES = 40
INVALID_SHARE = 0.005
CATEGORIES = ["chêne", "érable", "hêtre", "platane", "tilleul", "frêne", "pin", "saule"]


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True)


def _points_csv(path: Path, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    xs = rng.uniform(BOX[0], BOX[2], count)
    ys = rng.uniform(BOX[1], BOX[3], count)
    values = rng.uniform(0, 1000, count)
    days = rng.integers(0, 3650, count)
    dates = (np.datetime64("2015-01-01") + days).astype(str)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,nom,categorie,valeur,date_releve,x,y\n")
        for i in range(count):
            category = CATEGORIES[i % len(CATEGORIES)]
            fh.write(f'{i},"Arbre n°{i} – {category}",{category},{values[i]:.3f},{dates[i]},{xs[i]:.2f},{ys[i]:.2f}\n')
    path.with_suffix(".csvt").write_text("Integer,String(40),String(20),Real,Date,Real,Real\n")


def _polygons_csv(path: Path, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    centres = np.column_stack([rng.uniform(BOX[0], BOX[2], count), rng.uniform(BOX[1], BOX[3], count)])
    radius = rng.uniform(20, 150, count)[:, None] * rng.uniform(0.7, 1.3, (count, VERTICES))
    step = 2 * np.pi / VERTICES
    angles = np.arange(VERTICES) * step + rng.uniform(-0.3, 0.3, (count, VERTICES)) * step
    ring = np.stack([centres[:, :1] + radius * np.cos(angles), centres[:, 1:] + radius * np.sin(angles)], axis=2)
    invalid = rng.random(count) < INVALID_SHARE
    ring[invalid, 5], ring[invalid, 25] = ring[invalid, 25].copy(), ring[invalid, 5].copy()  # a self-crossing
    ring = np.concatenate([ring, ring[:, :1]], axis=1).round(2)
    template = "POLYGON((" + ",".join(["%.2f %.2f"] * (VERTICES + 1)) + "))"
    surfaces = np.pi * radius.mean(axis=1) ** 2 / 1e4
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,nom,code,surface,wkt\n")
        for i in range(count):
            wkt = template % tuple(ring[i].ravel())
            fh.write(f'{i},"Parcelle n°{i} à Saint-Éloi",{i % 977},{surfaces[i]:.4f},"{wkt}"\n')
    path.with_suffix(".csvt").write_text("Integer,String(40),Integer,Real,WKT\n")


def _to_gpkg(csv: Path, target: Path, layer: str, geometry: str) -> None:
    options = ["-oo", "X_POSSIBLE_NAMES=x", "-oo", "Y_POSSIBLE_NAMES=y", "-oo", "KEEP_GEOM_COLUMNS=NO"]
    if geometry == "POLYGON":
        options = ["-oo", "GEOM_POSSIBLE_NAMES=wkt", "-oo", "KEEP_GEOM_COLUMNS=NO"]
    _run(["ogr2ogr", "-f", "GPKG", str(target), str(csv), *options, "-a_srs", "EPSG:2154",
          "-lco", "GEOMETRY_NAME=geom", "-nln", layer, "-nlt", geometry, "-gt", "100000"])  # fmt: skip


def _to_shapefile_zip(gpkg: Path, target: Path, layer: str) -> None:
    folder = target.with_suffix(".d")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    _run(["ogr2ogr", "-f", "ESRI Shapefile", str(folder / f"{layer}.shp"), str(gpkg), "-lco", "ENCODING=UTF-8"])
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(folder.iterdir()):
            archive.write(member, member.name)
    shutil.rmtree(folder)


def dataset(kind: str, count: int, fmt: str) -> Path:
    """Path of a cached `points`/`polygons` file of `count` features as `gpkg` or zipped `shp`."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}_{count}"
    gpkg = CACHE / f"{stem}.gpkg"
    if not gpkg.exists():
        csv = CACHE / f"{stem}.csv"
        (_points_csv if kind == "points" else _polygons_csv)(csv, count, seed=count)
        partial = CACHE / f"{stem}.partial.gpkg"
        partial.unlink(missing_ok=True)
        _to_gpkg(csv, partial, kind, "POINT" if kind == "points" else "POLYGON")
        partial.rename(gpkg)  # an interrupted run never leaves a half-written file in the cache
        csv.unlink()
        csv.with_suffix(".csvt").unlink()
    if fmt == "gpkg":
        return gpkg
    archive = CACHE / f"{stem}_shp.zip"
    if not archive.exists():
        partial = CACHE / f"{stem}_shp.partial.zip"
        _to_shapefile_zip(gpkg, partial, kind)
        partial.rename(archive)
    return archive
