"""A file holding several layers asks which one to import, and imports the one chosen."""

import pytest

from tests.conftest import token_client
from tests.importer.conftest import layer_tables, stored
from tests.sample_data import geopackage, mapinfo_zip, points, shapefile_zip, squares, zip_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_layers_gpkg(tmp_path):
    return geopackage(tmp_path / "commune.gpkg", {"parcelles": squares(), "arbres": points()})


@pytest.fixture
def two_shapefiles_zip(tmp_path):
    shapefile_zip(tmp_path / "src", name="parcelles")
    shapefile_zip(tmp_path / "src", features=squares(5, size=20.0), name="batiments")
    return zip_files(tmp_path / "commune.zip", sorted(p for p in (tmp_path / "src").iterdir() if p.suffix != ".zip"))


def test_geopackage_with_one_layer_needs_no_choice(run_file, tmp_path):
    job = run_file(geopackage(tmp_path / "arbres.gpkg", {"arbres": points()}))
    assert job.status == "succeeded"
    assert job.report["layer"] == "arbres"


def test_geopackage_with_several_layers_asks_which_one(refused, two_layers_gpkg):
    refusal = refused(two_layers_gpkg)
    assert refusal.code == "multiple_layers"
    assert refusal.details["layers"] == ["parcelles", "arbres"]
    assert "parcelles" in refusal.message and "arbres" in refusal.message


def test_geopackage_layer_chosen_is_imported(run_file, two_layers_gpkg):
    job = run_file(two_layers_gpkg, layer="arbres")
    assert job.status == "succeeded", (job.error_code, job.error_message)
    layer = stored(job.dataset)
    assert layer.count == 20 and layer.geometry_types == {"POINT"}
    assert layer.values("nom")[0] == "Arbre 0 – Érable"


def test_geopackage_layer_that_does_not_exist(refused, two_layers_gpkg):
    refusal = refused(two_layers_gpkg, layer="routes")
    assert refusal.code == "unknown_layer"
    assert refusal.details["layers"] == ["parcelles", "arbres"]


def test_zip_with_two_shapefiles_asks_which_one(refused, two_shapefiles_zip):
    refusal = refused(two_shapefiles_zip)
    assert refusal.code == "multiple_layers"
    assert sorted(refusal.details["layers"]) == ["batiments.shp", "parcelles.shp"]


def test_zip_shapefile_chosen_is_imported(run_file, two_shapefiles_zip):
    job = run_file(two_shapefiles_zip, layer="batiments.shp")
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert stored(job.dataset).count == 5
    assert job.dataset.source_filename == "commune.zip"


def test_zip_file_that_does_not_exist(refused, two_shapefiles_zip):
    refusal = refused(two_shapefiles_zip, layer="routes.shp")
    assert refusal.code == "unknown_layer"
    assert refusal.details["layers"] == ["batiments.shp", "parcelles.shp"]


def test_api_answers_the_layer_list_at_once(producer_a, two_layers_gpkg):
    tables = layer_tables()
    with two_layers_gpkg.open("rb") as fh:
        response = token_client(producer_a).post("/api/v1/datasets/", {"file": fh}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "multiple_layers"
    assert body["layers"] == ["parcelles", "arbres"]
    assert layer_tables() == tables


def test_mapinfo_table_sent_as_both_tab_and_mif_is_one_layer(run_file, tmp_path):
    mapinfo_zip(tmp_path / "tab")
    mapinfo_zip(tmp_path / "mif", mif=True)
    parts = [
        p for folder in ("tab", "mif") for p in sorted((tmp_path / folder).glob("parcelles.*")) if p.suffix != ".zip"
    ]
    job = run_file(zip_files(tmp_path / "parcelles.zip", parts))
    assert job.status == "succeeded", (job.error_code, job.error_message, job.error_details)
    assert stored(job.dataset).count == 12
