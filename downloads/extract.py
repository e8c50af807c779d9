"""One dataset of a download into files: the SQL that reprojects and cuts in PostGIS, the raster cutline, estimates.

Features that cross the clip are cut (`ST_Intersection`), not merely selected; those entirely inside are kept as
they are (`ST_CoveredBy`, far cheaper than an intersection). The SQL is built from identifiers (`psycopg.sql`)
and from geometries we produced ourselves (hexadecimal EWKB), never from user strings; it is handed to `ogr2ogr`
in a file (`-sql @file`), so a large clip polygon never meets the command line's length limit.
"""

import json
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db import connection
from django.utils.text import slugify
from django.utils.translation import gettext as _
from osgeo import gdal
from psycopg import sql

from catalogue.models import Dataset
from importer.services.errors import ImportCancelled, ImportError_
from importer.services.load import _die_with_parent, pg_environment, run_gdal_command

from .errors import DownloadCancelled, DownloadError
from .formats import FORMATS, RasterDriver, RasterJob, VectorDriver, VectorJob

CHUNK = 256 * 1024
ProgressCallback = Callable[[int], None]
CancelCheck = Callable[[], bool]


@dataclass
class Extract:
    """One dataset to extract, once validated: where it goes and how (see services.validate_items)."""

    dataset: Dataset
    format: str
    srid: int
    area: GEOSGeometry | None  # in the dataset's SRID: clip ∩ territory (None: everything)
    clip_description: str
    territory_applied: bool
    options: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict)  # the normalised request item, as jobs and baskets store it

    @property
    def driver(self) -> VectorDriver | RasterDriver:
        return FORMATS[self.format]  # type: ignore[return-value]

    @property
    def basename(self) -> str:
        return f"ds{self.dataset.pk}_{slugify(self.dataset.title)[:40]}".rstrip("-_").replace("-", "_")

    @property
    def family(self) -> str:
        kind = (self.dataset.geometry_type or "").upper()
        return "point" if "POINT" in kind else "line" if "LINE" in kind else "polygon"

    @property
    def multi(self) -> bool:
        return self.family != "point" or (self.dataset.geometry_type or "").upper().startswith("MULTI")


def attribute_names(dataset: Dataset) -> list[str]:
    return [a["name"] for a in dataset.attributes or [] if a.get("name") not in ("fid", "geom")]


def field_mapping(names: list[str], max_length: int | None) -> dict[str, str]:
    """Source name → output name, shortened to `max_length` and kept unique (only names that change)."""
    if not max_length:
        return {}
    mapping: dict[str, str] = {}
    taken = {name.lower() for name in names if len(name) <= max_length}
    for name in names:
        if len(name) <= max_length:
            continue
        short, counter = name[:max_length], 1
        while short.lower() in taken:
            suffix = f"_{counter}"
            short, counter = name[: max_length - len(suffix)] + suffix, counter + 1
        taken.add(short.lower())
        mapping[name] = short
    return mapping


def _dimension(family: str) -> int:
    return {"point": 1, "line": 2, "polygon": 3}[family]


def vector_sql(extract: Extract, mapping: dict[str, str]) -> str:
    """The SELECT ogr2ogr runs: attributes (renamed where the format needs it) and the reprojected, cut geometry."""
    dataset = extract.dataset
    columns = [
        sql.SQL("t.{} AS {}").format(sql.Identifier(name), sql.Identifier(mapping.get(name, name)))
        for name in attribute_names(dataset)
    ]
    table = sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name)
    if extract.area is None:
        geometry = sql.SQL("ST_Transform(t.geom, {srid})").format(srid=sql.Literal(extract.srid))
        query = sql.SQL("SELECT {columns} FROM {table} AS t WHERE t.geom IS NOT NULL").format(
            columns=sql.SQL(", ").join([*columns, sql.SQL("{} AS geom").format(geometry)]), table=table
        )
    else:
        cut = sql.SQL("ST_CollectionExtract(ST_Intersection(t.geom, c.g), {dim})").format(
            dim=sql.Literal(_dimension(extract.family))
        )
        if extract.multi:
            cut = sql.SQL("ST_Multi({})").format(cut)
        if extract.family == "point" and not extract.multi:
            kept = sql.SQL("t.geom")  # a point that intersects the area lies inside it: nothing to cut
        else:
            kept = sql.SQL("CASE WHEN ST_CoveredBy(t.geom, c.g) THEN t.geom ELSE {} END").format(cut)
        geometry = sql.SQL("ST_Transform({kept}, {srid})").format(kept=kept, srid=sql.Literal(extract.srid))
        inner = sql.SQL(
            "SELECT {columns} FROM {table} AS t CROSS JOIN (SELECT ST_GeomFromEWKB(decode({area}, 'hex')) AS g) AS c "
            "WHERE t.geom && c.g AND ST_Intersects(t.geom, c.g)"
        ).format(
            columns=sql.SQL(", ").join([*columns, sql.SQL("{} AS geom").format(geometry)]),
            table=table,
            area=sql.Literal(extract.area.hexewkb.decode()),
        )
        query = sql.SQL("SELECT * FROM ({}) AS cut WHERE NOT ST_IsEmpty(cut.geom)").format(inner)
    with connection.cursor() as cursor:
        return query.as_string(cursor.connection)


def _runner(on_progress: ProgressCallback, is_cancelled: CancelCheck, env: dict | None) -> Callable[[list[str]], None]:
    def run(command: list[str]) -> None:
        try:
            run_gdal_command(command, on_progress, is_cancelled, env)
        except ImportCancelled as cancelled:
            raise DownloadCancelled from cancelled
        except ImportError_ as error:
            raise DownloadError(
                "extract_failed",
                _("L'extraction n'a pas pu être produite par GDAL."),
                http_status=500,
                detail=error.details.get("detail", ""),
            ) from error

    return run


def _stream(command: list[str], is_cancelled: CancelCheck, sql_file: Path) -> Iterator[bytes]:
    """What ogr2ogr writes to its standard output, as it comes; cancel checked every second, the tool killed when
    the reader goes away (a closed HTTP connection) or the worker dies."""
    errors = tempfile.TemporaryFile()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=errors, env=pg_environment(), preexec_fn=_die_with_parent
    )
    assert process.stdout is not None
    fd = process.stdout.fileno()
    last_check = time.monotonic()
    try:
        while True:
            ready, _w, _x = select.select([fd], [], [], 1.0)
            if ready:
                chunk = os.read(fd, CHUNK)
                if not chunk:
                    break
                yield chunk
            if time.monotonic() - last_check >= 1.0:
                last_check = time.monotonic()
                if is_cancelled():
                    raise DownloadCancelled
        if process.wait() != 0:
            errors.seek(max(0, errors.seek(0, os.SEEK_END) - 2000))
            raise DownloadError(
                "extract_failed",
                _("L'extraction n'a pas pu être produite par GDAL."),
                http_status=500,
                detail=errors.read().decode("utf-8", "replace"),
            )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        errors.close()
        sql_file.unlink(missing_ok=True)


def write_files(
    extract: Extract, folder: Path, on_progress: ProgressCallback, is_cancelled: CancelCheck
) -> list[tuple[str, Path | Iterator[bytes]]]:
    """One dataset's files, as (name, source) pairs sorted by name: a file written into `folder` (created empty),
    or, for formats GDAL writes front to back, the bytes ogr2ogr streams (produced as the zip reads them)."""
    folder.mkdir(parents=True, exist_ok=True)
    driver = extract.driver
    if isinstance(driver, VectorDriver):
        mapping = field_mapping(attribute_names(extract.dataset), driver.max_field_length)
        sql_file = folder.parent / f"{folder.name}.sql"
        sql_file.write_text(vector_sql(extract, mapping), encoding="utf-8")
        job = VectorJob(sql_file, folder, extract.basename, extract.srid, extract.family, extract.multi)
        if driver.streamable:
            return [(driver.target(job).name, _stream(driver.stream_command(job), is_cancelled, sql_file))]
        try:
            driver.build(job, _runner(on_progress, is_cancelled, pg_environment()))
        finally:
            sql_file.unlink(missing_ok=True)
    else:
        cutline = None
        if extract.area is not None:
            cutline = folder.parent / f"{folder.name}.cutline.geojson"
            area = extract.area.transform(4326, clone=True)
            cutline.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": json.loads(area.geojson)}))
        try:
            job = RasterJob(Path(extract.dataset.raster_path), folder, extract.basename, extract.srid, cutline,
                            extract.options)  # fmt: skip
            driver.build(job, _runner(on_progress, is_cancelled, None))
        finally:
            if cutline is not None:
                cutline.unlink(missing_ok=True)
    return sorted((path.name, path) for path in folder.iterdir() if path.is_file())


def _share_of_features(dataset: Dataset, area: GEOSGeometry) -> int:
    """The dataset's features in proportion to the share of its extent the area covers (for quotas)."""
    if not dataset.bbox or not dataset.feature_count:
        return dataset.feature_count or 0
    extent = Polygon.from_bbox(dataset.bbox)
    extent.srid = area.srid
    if extent.area == 0:
        return dataset.feature_count
    return int(dataset.feature_count * min(1.0, extent.intersection(area).area / extent.area))


def estimate(extract: Extract) -> tuple[int, int]:
    """(features or pixels, bytes) this extract is expected to weigh, from the index and table statistics."""
    dataset = extract.dataset
    if dataset.kind == Dataset.Kind.RASTER:
        source = gdal.Open(dataset.raster_path)
        width, height, bands = source.RasterXSize, source.RasterYSize, source.RasterCount
        x0, dx, _r1, y0, _r2, dy = source.GetGeoTransform()
        bytes_per_pixel = gdal.GetDataTypeSize(source.GetRasterBand(1).DataType) // 8 * bands
        source = None
        pixels = width * height
        if extract.area is not None:
            xmin, ymin, xmax, ymax = extract.area.extent
            left, right = max(xmin, x0), min(xmax, x0 + width * dx)
            bottom, top = max(ymin, y0 + height * dy), min(ymax, y0)
            inside = max(0.0, right - left) * max(0.0, top - bottom)
            pixels = int(inside / abs(dx * dy))
        return pixels, pixels * bytes_per_pixel
    table = sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name)
    with connection.cursor() as cursor:
        pg = cursor.connection
        cursor.execute(
            sql.SQL("SELECT pg_total_relation_size({})")
            .format(sql.Literal(f"{settings.LAYERS_SCHEMA}.{dataset.table_name}"))
            .as_string(pg)
        )
        table_bytes = cursor.fetchone()[0] or 0
        if extract.area is None:
            count = dataset.feature_count or 0
        else:
            # Counted exactly only up to the direct-download threshold: beyond it the answer (a job) is known, and
            # counting every feature of a large area would delay a direct download's first byte.
            limit = settings.GP_DOWNLOAD_DIRECT_MAX_FEATURES + 1
            cursor.execute(
                sql.SQL(
                    "SELECT count(*) FROM (SELECT 1 FROM {} AS t WHERE t.geom && ST_GeomFromEWKB(%s) "
                    "AND ST_Intersects(t.geom, ST_GeomFromEWKB(%s)) LIMIT %s) AS x"
                )
                .format(table)
                .as_string(pg),
                [memoryview(extract.area.ewkb), memoryview(extract.area.ewkb), limit],
            )
            count = cursor.fetchone()[0]
            if count >= limit:
                count = max(limit, _share_of_features(dataset, extract.area))
    per_feature = table_bytes / max(dataset.feature_count or 1, 1)
    return count, int(count * per_feature)
