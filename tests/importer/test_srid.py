"""Data keep the coordinate system of their file (no reprojection); the producer can say which one it is
when the file does not, or says it wrongly."""

import json

import pytest

from tests.importer.conftest import first_point, stored
from tests.sample_data import ORIGIN, ORIGIN_WGS84, shapefile_zip, squares, write_vector

pytestmark = pytest.mark.django_db


def test_file_without_crs_takes_the_given_srid(run_file, tmp_path):
    job = run_file(shapefile_zip(tmp_path / "src", epsg=None), srid=2154)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert job.dataset.srid == 2154 and job.report["srid"] == 2154
    assert stored(job.dataset).srids == {2154}
    assert first_point(job.dataset) == pytest.approx(ORIGIN)


def test_given_srid_overrides_a_wrong_one_in_the_file(run_file, tmp_path):
    """Lambert-93 coordinates in a file that claims WGS84: the producer's 2154 wins, coordinates untouched."""
    job = run_file(shapefile_zip(tmp_path / "src", epsg=4326), srid=2154)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert job.dataset.srid == 2154
    assert stored(job.dataset).srids == {2154}
    assert first_point(job.dataset) == pytest.approx(ORIGIN)
    assert job.dataset.bbox_wgs84[0] == pytest.approx(0.68, abs=0.05)  # the footprint lands on Tours


def test_file_crs_is_kept_without_reprojection(run_file, tmp_path):
    job = run_file(write_vector(tmp_path / "parcelles.gpkg", "GPKG", squares(), epsg=3857))
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert job.dataset.srid == 3857
    assert stored(job.dataset).srids == {3857}
    assert first_point(job.dataset) == pytest.approx(ORIGIN)


def test_rfc7946_geojson_is_stored_in_wgs84(run_file, tmp_path):
    """No `crs` member: RFC 7946 says longitude/latitude WGS84, and so it stays."""
    path = tmp_path / "arbres.geojson"
    features = [
        {"type": "Feature", "properties": {"nom": "Érable"}, "geometry": {"type": "Point", "coordinates": [x, y]}}
        for x, y in (ORIGIN_WGS84, (0.69, 47.4))
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    job = run_file(path)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert job.dataset.srid == 4326
    assert stored(job.dataset).srids == {4326}
    assert first_point(job.dataset) == pytest.approx(ORIGIN_WGS84)
    assert job.dataset.bbox_wgs84 == pytest.approx([*ORIGIN_WGS84, 0.69, 47.4])
