"""Load a vector layer into PostGIS with ogr2ogr (COPY), reporting progress and honouring cancel."""

import ctypes
import os
import re
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from psycopg import sql

from .errors import ImportCancelled, fail
from .inspect import VectorInfo, open_options

ProgressCallback = Callable[[int], None]
CancelCheck = Callable[[], bool]

_PROGRESS = re.compile(rb"(\d+)(?:\.\.\.| - done)")


def pg_environment() -> dict[str, str]:
    """libpq environment for the database Django uses (the test database under pytest)."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        PGHOST=str(db["HOST"] or ""),
        PGPORT=str(db["PORT"] or "5432"),
        PGDATABASE=str(db["NAME"]),
        PGUSER=str(db["USER"] or ""),
        PGPASSWORD=str(db["PASSWORD"] or ""),
    )
    return env


def _target_type(info: VectorInfo) -> str:
    if info.family == "point":
        return "PROMOTE_TO_MULTI" if info.multi else "POINT"
    return "PROMOTE_TO_MULTI"


def ogr2ogr_command(info: VectorInfo, table: str) -> list[str]:
    command = [
        "ogr2ogr", "-f", "PostgreSQL", "PG:", str(info.source.path), info.layer,
        "-nln", f"{settings.LAYERS_SCHEMA}.{table}",
        "-lco", "GEOMETRY_NAME=geom", "-lco", "FID=fid", "-lco", "LAUNDER=YES", "-lco", "PRECISION=NO",
        "-nlt", _target_type(info),
        "-a_srs", f"EPSG:{info.srid}",
        "-gt", "65536",
        "--config", "PG_USE_COPY", "YES",
        "-progress",
    ]  # fmt: skip
    for option in open_options(info.source):
        command += ["-oo", option]
    return command


def _die_with_parent() -> None:
    """In the child: be killed if the worker that started us dies, so no orphan keeps writing."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_gdal_command(
    command: list[str],
    on_progress: ProgressCallback,
    is_cancelled: CancelCheck,
    env: dict[str, str] | None,
    on_tick: Callable[[], None] | None = None,
) -> None:
    """Run a GDAL tool (ogr2ogr, gdal_translate), parsing its `0...10...20` progress; kill it on cancel.

    Cancel is checked every second whether or not the tool prints progress; stderr goes to a file so that a
    chatty tool can never block on a full pipe.
    """
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env, preexec_fn=_die_with_parent)
        assert process.stdout is not None
        fd = process.stdout.fileno()
        buffer = b""
        last_check = time.monotonic()
        try:
            while True:
                ready, _w, _x = select.select([fd], [], [], 1.0)
                if ready:
                    chunk = os.read(fd, 256)
                    if not chunk:
                        break
                    buffer += chunk
                    for match in _PROGRESS.finditer(buffer):
                        on_progress(min(int(match.group(1)), 100))
                    buffer = buffer[-16:]
                if time.monotonic() - last_check >= 1.0:
                    last_check = time.monotonic()
                    if is_cancelled():
                        raise ImportCancelled
                    if on_tick is not None:
                        on_tick()
        except BaseException:
            process.kill()
            process.wait()
            raise
        returncode = process.wait()
        process.stdout.close()
        errors.seek(max(0, errors.seek(0, os.SEEK_END) - 20000))
        stderr = errors.read().decode("utf-8", "replace")
    if returncode != 0:
        if "Non UTF-8 content" in stderr:  # PostgreSQL refuses text that is not UTF-8
            raise fail(
                "invalid_encoding",
                _(
                    "Le fichier contient des caractères qui ne sont pas encodés en UTF-8 : enregistrez-le en "
                    "UTF-8 (pour un Shapefile, joignez son fichier .cpg) puis importez-le de nouveau."
                ),
                detail=stderr[-2000:],
            )
        raise fail(
            "load_failed",
            _("Les données n'ont pas pu être chargées : le fichier est peut-être corrompu."),
            detail=stderr[-2000:],
        )


class ValidityScan:
    """Finds invalid lines and polygons among the rows ogr2ogr has already committed, while it loads the rest.

    ogr2ogr commits every `-gt` features; checking those batches during the load uses the CPU the load leaves
    idle, instead of a full pass over the table afterwards.
    """

    def __init__(self, table: str, family: str) -> None:
        self.qualified = sql.Identifier(settings.LAYERS_SCHEMA, table)
        self.regclass = f"{settings.LAYERS_SCHEMA}.{table}"
        self.active = family != "point"
        self.checked_up_to = 0
        self.invalid: list[int] = []

    def step(self) -> None:
        if not self.active:
            return
        with connection.cursor() as cursor:
            pg = cursor.connection
            cursor.execute("SELECT to_regclass(%s)", [self.regclass])
            if cursor.fetchone()[0] is None:
                return
            cursor.execute(sql.SQL("SELECT max(fid) FROM {}").format(self.qualified).as_string(pg))
            newest = cursor.fetchone()[0]
            if newest is None or newest <= self.checked_up_to:
                return
            cursor.execute(
                sql.SQL("SELECT fid FROM {} WHERE fid > %s AND fid <= %s AND geom IS NOT NULL AND NOT ST_IsValid(geom)")
                .format(self.qualified)
                .as_string(pg),
                [self.checked_up_to, newest],
            )
            self.invalid += [fid for (fid,) in cursor.fetchall()]
            self.checked_up_to = newest


def load_vector(info: VectorInfo, table: str, on_progress: ProgressCallback, is_cancelled: CancelCheck) -> list[int]:
    """Load the layer into `layers.<table>`; returns the fids of its invalid lines or polygons."""
    drop_table(table)
    scan = ValidityScan(table, info.family)
    try:
        run_gdal_command(ogr2ogr_command(info, table), on_progress, is_cancelled, pg_environment(), scan.step)
        scan.step()  # the rows of the last batch
    except BaseException:
        drop_table(table)
        raise
    return scan.invalid


def drop_table(table: str) -> None:
    if not table:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP TABLE IF EXISTS {}.{}")
            .format(sql.Identifier(settings.LAYERS_SCHEMA), sql.Identifier(table))
            .as_string(cursor.connection)
        )


def repair_geometries(table: str, family: str, invalid: list[int]) -> int:
    """Make the invalid lines and polygons valid in place (ST_MakeValid); returns how many were repaired."""
    if family == "point" or not invalid:
        return 0
    dimension = {"line": 2, "polygon": 3}[family]
    qualified = sql.Identifier(settings.LAYERS_SCHEMA, table)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("UPDATE {} SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), {})) WHERE fid = ANY(%s)")
            .format(qualified, sql.Literal(dimension))
            .as_string(cursor.connection),
            [invalid],
        )
        return cursor.rowcount


def describe_table(table: str) -> dict:
    """Feature count, extents, geometry type and attribute schema of a loaded table, in one scan.

    No ANALYZE here: autovacuum analyzes a freshly loaded table within a minute, off the import's clock.
    """
    qualified = sql.Identifier(settings.LAYERS_SCHEMA, table)
    with connection.cursor() as cursor:
        pg = cursor.connection
        cursor.execute(
            sql.SQL(
                "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), nulls, "
                "(SELECT GeometryType(geom) FROM {t} WHERE geom IS NOT NULL LIMIT 1) "
                "FROM (SELECT count(*) AS n, ST_Extent(geom)::geometry AS e, "
                "count(*) FILTER (WHERE geom IS NULL) AS nulls FROM {t}) AS x"
            )
            .format(t=qualified)
            .as_string(pg)
        )
        count, xmin, ymin, xmax, ymax, null_geometries, geometry_type = cursor.fetchone()
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s AND column_name NOT IN ('fid', 'geom') "
            "ORDER BY ordinal_position",
            [settings.LAYERS_SCHEMA, table],
        )
        attributes = [{"name": name, "type": data_type} for name, data_type in cursor.fetchall()]
    return {
        "feature_count": count,
        "bbox": [xmin, ymin, xmax, ymax] if xmin is not None else None,
        "geometry_type": geometry_type or "",
        "attributes": attributes,
        "null_geometries": null_geometries,
    }


def bbox_to_wgs84(bbox: list[float] | None, srid: int) -> list[float] | None:
    if not bbox:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT "
            "ST_Transform(ST_Segmentize(ST_MakeEnvelope(%s, %s, %s, %s, %s), "
            "GREATEST(%s - %s, %s - %s, 1e-9) / 16), 4326)::box2d AS b) AS t",
            [*bbox, srid, bbox[2], bbox[0], bbox[3], bbox[1]],
        )
        return [round(v, 7) for v in cursor.fetchone()]


def rename_table(table: str, new_name: str) -> None:
    schema = sql.Identifier(settings.LAYERS_SCHEMA)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("ALTER TABLE {}.{} RENAME TO {}")
            .format(schema, sql.Identifier(table), sql.Identifier(new_name))
            .as_string(cursor.connection)
        )
