"""A file the platform cannot import is refused with a stable code and a French message, and nothing of
the dataset's current data is lost or left half-written."""

import json

import pytest
from osgeo import ogr

from catalogue.models import Dataset
from tests.conftest import token_client, wait_for_job
from tests.importer.conftest import assert_french
from tests.sample_data import ORIGIN, geopackage, points, shapefile_zip, squares, write_vector, zip_files

pytestmark = pytest.mark.django_db


def test_garbage_named_gpkg(refused, tmp_path):
    path = tmp_path / "donnees.gpkg"
    path.write_bytes(b"Ceci n'est pas un GeoPackage.\n" * 200)
    assert refused(path).code == "corrupt_file"


def test_truncated_geopackage(refused, tmp_path):
    full = geopackage(tmp_path / "full.gpkg", {"parcelles": squares(400)})
    cut = tmp_path / "parcelles.gpkg"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    assert refused(cut).code == "corrupt_file"


def test_truncated_zip(refused, tmp_path):
    full = shapefile_zip(tmp_path / "src", features=squares(400))
    cut = tmp_path / "parcelles.zip"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    assert refused(cut).code == "corrupt_file"


@pytest.mark.parametrize("part", [".shp", ".dbf"])
def test_truncated_shapefile_inside_a_good_zip(refused, tmp_path, part):
    """GDAL would read the missing shapes as empty geometries: half the data would silently vanish."""
    shapefile_zip(tmp_path / "src", features=squares(400))
    cut = tmp_path / "src" / f"parcelles{part}"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    parts = sorted(p for p in (tmp_path / "src").glob("parcelles.*") if p.suffix != ".zip")
    refusal = refused(zip_files(tmp_path / "parcelles.zip", parts))
    assert refusal.code == "corrupt_file"
    assert "tronqué" in refusal.message


@pytest.mark.parametrize("missing", [".shp", ".dbf", ".shx"])
def test_zip_without_a_shapefile_part(refused, tmp_path, missing):
    archive = shapefile_zip(tmp_path / "src", leave_out=(missing,))
    refusal = refused(archive)
    assert refusal.code == "shapefile_incomplete"
    assert ".shp" in refusal.message and ".dbf" in refusal.message


def test_lone_shp_without_its_sidecar_files(refused, tmp_path):
    shapefile_zip(tmp_path / "src")
    assert refused(tmp_path / "src" / "parcelles.shp").code == "sidecar_files_missing"


@pytest.mark.parametrize("name", ["rapport.pdf", "donnees.xyz", "sans_extension"])
def test_unknown_format(refused, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 not geodata\n" * 50)
    assert refused(path).code == "unknown_format"


def test_zip_without_any_data_file(refused, tmp_path):
    readme = tmp_path / "lisezmoi.txt"
    readme.write_text("Rien à importer ici.", encoding="utf-8")
    assert refused(zip_files(tmp_path / "vide.zip", [readme])).code == "unknown_format"


def test_empty_file(refused, tmp_path):
    path = tmp_path / "vide.gpkg"
    path.touch()
    assert refused(path).code == "empty_file"


def test_geopackage_with_an_empty_layer(refused, tmp_path):
    path = write_vector(tmp_path / "vide.gpkg", "GPKG", [], geom_type=ogr.wkbPolygon)
    assert refused(path).code == "empty_layer"


def test_geojson_without_features(refused, tmp_path):
    path = tmp_path / "vide.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    assert refused(path).code == "empty_layer"


def test_geojson_mixing_points_and_polygons(refused, tmp_path):
    path = write_vector(tmp_path / "melange.geojson", "GeoJSON", points(3) + squares(3), epsg=None)
    refusal = refused(path, srid=2154)
    assert refusal.code == "mixed_geometry"
    assert "point" in refusal.message and "polygon" in refusal.message


def test_csv_without_geometry_columns(refused, tmp_path):
    path = tmp_path / "tableau.csv"
    path.write_text("nom,code\nÉrable,1\nChêne,2\n", encoding="utf-8")
    assert refused(path, srid=2154).code == "no_geometry"


def test_shapefile_without_prj_nor_srid(refused, tmp_path):
    refusal = refused(shapefile_zip(tmp_path / "src", epsg=None))
    assert refusal.code == "unknown_crs"
    assert "EPSG" in refusal.message


def test_csv_without_srid(refused, tmp_path):
    path = tmp_path / "arbres.csv"
    path.write_text(f"x,y,nom\n{ORIGIN[0]},{ORIGIN[1]},Érable\n", encoding="utf-8")
    assert refused(path).code == "unknown_crs"


def test_bogus_epsg_code(refused, tmp_path):
    refusal = refused(shapefile_zip(tmp_path / "src"), srid=999999)
    assert refusal.code == "unknown_crs"
    assert "999999" in refusal.message


def test_file_over_the_size_limit(refused, tmp_path, settings):
    archive = shapefile_zip(tmp_path / "src")
    settings.IMPORT_MAX_UPLOAD_SIZE = archive.stat().st_size - 1
    assert refused(archive).code == "file_too_large"


def test_api_answers_413_over_the_size_limit(producer_a, tmp_path, settings):
    archive = shapefile_zip(tmp_path / "src")
    settings.IMPORT_MAX_UPLOAD_SIZE = archive.stat().st_size - 1
    with archive.open("rb") as fh:
        response = token_client(producer_a).post("/api/v1/datasets/", {"file": fh}, format="multipart")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert_french(response.json()["error"]["message"])
    assert not Dataset.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_worker_reports_the_error_in_the_job_document(celery_worker, producer_a, tmp_path):
    """Errors found by the job itself reach the API client through the job document."""
    path = write_vector(tmp_path / "melange.geojson", "GeoJSON", points(3) + squares(3), epsg=None)
    client = token_client(producer_a)
    with path.open("rb") as fh:
        response = client.post("/api/v1/datasets/", {"file": fh, "srid": 2154}, format="multipart")
    assert response.status_code == 202
    job = wait_for_job(response.json()["job"].rstrip("/").rsplit("/", 1)[-1])
    document = client.get(response.json()["job"]).json()
    assert (job.status, document["status"]) == ("failed", "failed")
    assert document["error"]["code"] == "mixed_geometry"
    assert_french(document["error"]["message"])
    dataset = client.get(document["dataset"]).json()
    assert (dataset["version"], dataset["feature_count"]) == (0, None)
