"""Invalid geometries are repaired on import (ST_MakeValid), and the job report says how many."""

import pytest
from django.conf import settings
from django.db import connection
from osgeo import ogr
from psycopg import sql

from tests.importer.conftest import stored
from tests.sample_data import bow_tie, geopackage, shapefile_zip, squares, write_vector

pytestmark = pytest.mark.django_db


def validity(dataset) -> dict[int, tuple[bool, str, float]]:
    """code -> (ST_IsValid, geometry type, area) of each stored feature."""
    table = sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT code, ST_IsValid(geom), GeometryType(geom), ST_Area(geom) FROM {}")
            .format(table)
            .as_string(cursor.connection)
        )
        return {code: (valid, kind, area) for code, valid, kind, area in cursor.fetchall()}


@pytest.mark.parametrize("container", ["gpkg", "shapefile"])
def test_bow_tie_polygon_is_repaired_and_counted(run_file, tmp_path, container):
    features = [*squares(3), bow_tie()]
    if container == "gpkg":
        path = geopackage(tmp_path / "parcelles.gpkg", {"parcelles": features})
    else:
        path = shapefile_zip(tmp_path / "src", features=features)
    assert not ogr.CreateGeometryFromWkt(bow_tie()[0]).IsValid()

    job = run_file(path)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert job.report["repaired_geometries"] == 1
    assert stored(job.dataset).count == 4
    geometries = validity(job.dataset)
    assert all(valid for valid, _, _ in geometries.values())
    valid, kind, area = geometries[99]
    assert kind == "MULTIPOLYGON"
    assert area == pytest.approx(2 * 500 * 250 / 2)  # both triangles of the figure of eight are kept
    assert geometries[0][2] == pytest.approx(500 * 500)  # valid features are left as they were


def test_valid_data_reports_no_repair(run_file, tmp_path):
    job = run_file(write_vector(tmp_path / "parcelles.fgb", "FlatGeobuf", squares(), geom_type=ogr.wkbPolygon))
    assert job.status == "succeeded"
    assert job.report["repaired_geometries"] == 0
