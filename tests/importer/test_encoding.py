"""Accented names and values come out right whatever encoding the file was written in, or the import
says clearly why not."""

import pytest
from osgeo import ogr

from tests.importer.conftest import stored
from tests.sample_data import shapefile_zip, squares

pytestmark = pytest.mark.django_db


def _windows_features():
    """Values with characters that only Windows-1252 has (œ, ’, –), not ISO-8859-1."""
    return [(wkt, {**attrs, "nom": f"Parcelle n°{attrs['code']} à l'été – Cœur d’îlot"}) for wkt, attrs in squares()]


def test_shapefile_in_windows_1252_without_cpg(run_file, tmp_path):
    archive = shapefile_zip(tmp_path, features=_windows_features(), encoding="CP1252", with_cpg=False)
    job = run_file(archive)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert job.report["encoding"] == "CP1252"
    layer = stored(job.dataset)
    assert layer.values("nom")[1] == "Parcelle n°1 à l'été – Cœur d’îlot"


def test_shapefile_in_utf8_without_cpg(run_file, tmp_path):
    """The .dbf header's binary counts must not make a UTF-8 file look like Windows-1252."""
    archive = shapefile_zip(tmp_path, features=_windows_features(), encoding="UTF-8", with_cpg=False)
    job = run_file(archive)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert stored(job.dataset).values("nom")[1] == "Parcelle n°1 à l'été – Cœur d’îlot"


def test_shapefile_with_cpg_is_read_as_it_says(run_file, tmp_path):
    archive = shapefile_zip(tmp_path, features=_windows_features(), encoding="CP1252", with_cpg=True)
    job = run_file(archive)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert stored(job.dataset).values("nom")[0] == "Parcelle n°0 à l'été – Cœur d’îlot"


def test_windows_1252_field_names_without_cpg(run_file, tmp_path):
    """GDAL 3.6 recodes field names with the encoding it is given: `libellé` stays `libellé`."""
    features = [(wkt, {"libellé": attrs["nom"], "numéro": attrs["code"]}) for wkt, attrs in squares()]
    fields = {"libellé": ogr.OFTString, "numéro": ogr.OFTInteger}
    archive = shapefile_zip(tmp_path, features=features, encoding="CP1252", with_cpg=False, fields=fields)
    job = run_file(archive)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    layer = stored(job.dataset)
    assert layer.columns == ["libellé", "numéro"]
    assert [a["name"] for a in job.dataset.attributes] == ["libellé", "numéro"]
    assert layer.values("libellé")[2] == "Parcelle n°2 à l'été"
    assert layer.values("numéro")[2] == 2


def test_csv_in_windows_1252_is_recoded(run_file, tmp_path):
    """French spreadsheets save CSV in Windows-1252: the accents must come out right."""
    path = tmp_path / "arbres.csv"
    rows = ["x,y,nom", *(f"{525000 + i},{6700000 + i},Arbre n°{i} à l'été – Œillet" for i in range(50))]
    path.write_bytes("\n".join(rows).encode("cp1252"))
    job = run_file(path, srid=2154)
    assert job.status == "succeeded", job.error_message
    layer = stored(job.dataset)
    assert layer.count == 50
    assert layer.values("nom")[3] == "Arbre n°3 à l'été – Œillet"


def test_geojson_in_latin1_is_refused_clearly(refused, tmp_path):
    path = tmp_path / "arbres.geojson"
    path.write_bytes(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"nom": "Érable"}, '
        '"geometry": {"type": "Point", "coordinates": [0.68, 47.39]}}]}'.encode("latin-1")
    )
    refusal = refused(path)
    assert refusal.code == "invalid_encoding"
