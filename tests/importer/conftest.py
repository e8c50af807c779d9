"""Import fixtures: run a file through the real pipeline in-process, and read back what PostGIS holds."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from psycopg import sql

from catalogue.models import Dataset
from importer.models import ImportJob
from importer.services import pipeline
from importer.services.errors import ImportError_
from tests.sample_data import shapefile_zip

# Words any French sentence of ours holds; English or raw GDAL text has none of them.
FRENCH = re.compile(r"\b(le|la|les|l'|de|des|du|un|une|est|sont|n'|ne|pas|aucun|aucune|fichier|archive)\b", re.I)


def assert_french(message: str) -> None:
    assert message and FRENCH.search(message), f"not a French message for people: {message!r}"


def layer_tables() -> set[str]:
    """Tables in schema `layers`, as the import leaves them (committed or not in this transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [settings.LAYERS_SCHEMA])
        return {name for (name,) in cursor.fetchall()}


@dataclass
class StoredLayer:
    """What PostGIS holds for a dataset's current table."""

    count: int
    srids: set[int]
    geometry_types: set[str]
    columns: list[str]
    rows: list[dict] = field(default_factory=list)

    def values(self, column: str) -> list:
        return [row[column] for row in self.rows]


def stored(dataset: Dataset) -> StoredLayer:
    dataset.refresh_from_db()
    assert dataset.table_name, "the dataset has no table"
    table = sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name)
    with connection.cursor() as cursor:
        pg = cursor.connection
        cursor.execute(
            sql.SQL(
                "SELECT count(*), array_agg(DISTINCT ST_SRID(geom)), array_agg(DISTINCT GeometryType(geom)) FROM {}"
            )
            .format(table)
            .as_string(pg)
        )
        count, srids, types = cursor.fetchone()
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "AND column_name NOT IN ('fid', 'geom') ORDER BY ordinal_position",
            [settings.LAYERS_SCHEMA, dataset.table_name],
        )
        columns = [name for (name,) in cursor.fetchall()]
        cursor.execute(sql.SQL("SELECT to_jsonb(t) - 'geom' FROM {} AS t ORDER BY fid").format(table).as_string(pg))
        rows = [json.loads(row) if isinstance(row, str) else row for (row,) in cursor.fetchall()]
    return StoredLayer(count, set(srids or []), set(types or []), columns, rows)


def first_point(dataset: Dataset) -> tuple[float, float]:
    """Coordinates of the first vertex of the first feature, as stored."""
    table = sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name)
    query = sql.SQL(
        "SELECT ST_X(p.geom), ST_Y(p.geom) FROM {} AS t, ST_DumpPoints(t.geom) AS p ORDER BY t.fid, p.path LIMIT 1"
    ).format(table)
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection))
        return cursor.fetchone()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The user fixtures hash passwords; the slow production hasher adds nothing to import tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def run_file(producer_a, organisations):
    """Import a file in-process (the same `run_import` the worker runs) and return the finished job."""

    def run(path: Path, **options) -> ImportJob:
        options.setdefault("organisation", organisations["a"])
        job = pipeline.create_import(user=producer_a, path=path, filename=path.name, run_now=True, **options)
        job.dataset.refresh_from_db()
        return job

    return run


@pytest.fixture
def existing_dataset(run_file, tmp_path) -> Dataset:
    """Version 1 of a dataset: 12 squares in Lambert-93."""
    job = run_file(shapefile_zip(tmp_path / "v1"), title="Parcelles")
    assert job.status == "succeeded", (job.error_code, job.error_message)
    return job.dataset


@dataclass
class Refusal:
    code: str
    message: str
    details: dict
    job: ImportJob | None  # None when the file was refused before any job was queued


@pytest.fixture
def refused(run_file, existing_dataset):
    """Send a bad file as a new version of `existing_dataset`; check that nothing was lost or left behind."""

    def run(path: Path, **options) -> Refusal:
        before = {f: getattr(existing_dataset, f) for f in ("version", "table_name", "feature_count", "srid")}
        tables = layer_tables()
        try:
            job = run_file(path, dataset=existing_dataset, **options)
        except ImportError_ as error:
            refusal = Refusal(error.code, error.message, error.details, None)
        else:
            assert job.status == ImportJob.Status.FAILED, f"{path.name} was accepted: {job.report}"
            refusal = Refusal(job.error_code, job.error_message, job.error_details, job)
        assert_french(refusal.message)
        existing_dataset.refresh_from_db()
        assert {f: getattr(existing_dataset, f) for f in before} == before
        assert layer_tables() == tables, "a failed import left or removed a table in schema `layers`"
        assert stored(existing_dataset).count == 12
        return refusal

    return run
