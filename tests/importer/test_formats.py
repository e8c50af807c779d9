"""Each vector format a producer may upload lands in PostGIS as they would expect to read it back."""

import pytest
from osgeo import ogr

from tests.importer.conftest import first_point, stored
from tests.sample_data import (
    ORIGIN,
    ORIGIN_WGS84,
    csv_file,
    geopackage,
    kmz,
    mapinfo_zip,
    points,
    points_wgs84,
    shapefile_zip,
    squares,
    write_vector,
    zip_files,
)

pytestmark = pytest.mark.django_db

ATTRIBUTES = ["nom", "code", "surface"]
# What LIBKML reads from any placemark (as QGIS shows it too).
KML_COLUMNS = ["name", "description", "timestamp", "begin", "end", "altitudemode", "tessellate", "extrude"]
KML_COLUMNS += ["visibility", "draworder", "icon"]


def assert_imported(job, *, count: int, srid: int, geometry_type: str, columns: list[str] | None = ATTRIBUTES):
    """What the producer sees: the job succeeded, and the table holds the file's features as they were.

    `columns=None` for formats that add their own columns (GML ids, KML styling): ours must be among them.
    """
    assert job.status == "succeeded", (job.error_code, job.error_message, job.error_details)
    dataset = job.dataset
    layer = stored(dataset)
    assert (dataset.version, dataset.table_name) == (1, f"ds{dataset.pk}_v1")
    assert layer.count == dataset.feature_count == job.report["features"] == count
    assert layer.srids == {srid} and dataset.srid == srid
    assert layer.geometry_types == {geometry_type} and dataset.geometry_type == geometry_type
    if columns is None:
        assert set(ATTRIBUTES) <= set(layer.columns), f"attributes lost: {layer.columns}"
    else:
        assert layer.columns == columns
    assert [a["name"] for a in dataset.attributes] == layer.columns
    return layer


def test_zipped_shapefile_with_cpg(run_file, tmp_path):
    layer = assert_imported(run_file(shapefile_zip(tmp_path)), count=12, srid=2154, geometry_type="MULTIPOLYGON")
    assert layer.values("nom")[:2] == ["Parcelle n°0 à l'été", "Parcelle n°1 à l'été"]
    assert layer.values("code") == list(range(12))
    assert layer.values("surface")[0] == 25.0


def test_geopackage(run_file, tmp_path):
    job = run_file(geopackage(tmp_path / "arbres.gpkg", {"arbres": points()}))
    layer = assert_imported(job, count=20, srid=2154, geometry_type="POINT")
    assert layer.values("nom")[3] == "Arbre 3 – Érable"
    assert first_point(job.dataset) == pytest.approx(ORIGIN)


def test_geojson_in_wgs84_stays_in_wgs84(run_file, tmp_path):
    path = write_vector(tmp_path / "arbres.geojson", "GeoJSON", points_wgs84(), epsg=4326)
    job = run_file(path)
    layer = assert_imported(job, count=20, srid=4326, geometry_type="POINT")
    assert layer.values("nom")[0] == "Arbre 0 – Érable"
    assert first_point(job.dataset) == pytest.approx(ORIGIN_WGS84)  # longitude first, not reprojected


def test_geojson_in_lambert93(run_file, tmp_path):
    path = write_vector(tmp_path / "parcelles.json", "GeoJSON", squares(), epsg=2154)
    job = run_file(path)
    assert_imported(job, count=12, srid=2154, geometry_type="MULTIPOLYGON")
    assert first_point(job.dataset) == pytest.approx(ORIGIN)


def test_gml(run_file, tmp_path):
    path = write_vector(tmp_path / "parcelles.gml", "GML", squares(), dataset_options=["FORMAT=GML3"])
    (tmp_path / "parcelles.xsd").unlink()  # a lone .gml, as most people send it
    job = run_file(path)
    layer = assert_imported(job, count=12, srid=2154, geometry_type="MULTIPOLYGON", columns=None)
    assert layer.values("nom")[0] == "Parcelle n°0 à l'été"
    assert first_point(job.dataset) == pytest.approx(ORIGIN)


def test_kml(run_file, tmp_path):
    path = write_vector(tmp_path / "arbres.kml", "KML", points_wgs84(), epsg=4326)
    job = run_file(path)
    layer = assert_imported(job, count=20, srid=4326, geometry_type="POINT", columns=None)
    assert layer.values("nom")[5] == "Arbre 5 – Érable"
    assert first_point(job.dataset) == pytest.approx(ORIGIN_WGS84)


def test_kml_as_google_earth_writes_it(run_file, tmp_path):
    """A <Document> without <name>, as many tools export it: the file gives its layer no name."""
    path = tmp_path / "lieux.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        "<Placemark><name>Château de Tours</name><description>Résidence royale</description>"
        "<Point><coordinates>0.6892,47.3960,0</coordinates></Point></Placemark>"
        "<Placemark><name>Cathédrale Saint-Gatien</name>"
        "<Point><coordinates>0.6951,47.3956,0</coordinates></Point></Placemark>"
        "</Document></kml>",
        encoding="utf-8",
    )
    job = run_file(path)
    layer = assert_imported(job, count=2, srid=4326, geometry_type="POINT", columns=KML_COLUMNS)
    assert layer.values("name") == ["Château de Tours", "Cathédrale Saint-Gatien"]
    assert layer.values("description")[0] == "Résidence royale"
    assert first_point(job.dataset) == pytest.approx((0.6892, 47.3960))


def test_kmz(run_file, tmp_path):
    job = run_file(kmz(tmp_path / "arbres.kmz", points_wgs84()))
    layer = assert_imported(job, count=20, srid=4326, geometry_type="POINT", columns=None)
    assert layer.values("nom")[5] == "Arbre 5 – Érable"


@pytest.mark.parametrize("mif", [False, True], ids=["tab", "mif"])
def test_zipped_mapinfo(run_file, tmp_path, mif):
    layer = assert_imported(run_file(mapinfo_zip(tmp_path, mif=mif)), count=12, srid=2154, geometry_type="MULTIPOLYGON")
    assert layer.values("nom")[0] == "Parcelle n°0 à l'été"
    assert layer.values("code") == list(range(12))


def test_csv_with_x_y_columns_and_given_srid(run_file, tmp_path):
    job = run_file(csv_file(tmp_path / "arbres.csv", points(), geometry="xy"), srid=2154)
    layer = assert_imported(job, count=20, srid=2154, geometry_type="POINT")
    assert layer.values("nom")[1] == "Arbre 1 – Érable"
    assert layer.values("code")[:3] == [0, 1, 2]
    assert first_point(job.dataset) == pytest.approx(ORIGIN)


def test_csv_with_wkt_column(run_file, tmp_path):
    job = run_file(csv_file(tmp_path / "parcelles.csv", squares(), geometry="wkt"), srid=2154)
    layer = assert_imported(job, count=12, srid=2154, geometry_type="MULTIPOLYGON")
    assert layer.values("nom")[0] == "Parcelle n°0 à l'été"


def test_flatgeobuf(run_file, tmp_path):
    path = write_vector(tmp_path / "parcelles.fgb", "FlatGeobuf", squares(), geom_type=ogr.wkbPolygon)
    layer = assert_imported(run_file(path), count=12, srid=2154, geometry_type="MULTIPOLYGON")
    names = dict(zip(layer.values("code"), layer.values("nom"), strict=True))  # FlatGeobuf sorts features
    assert names[11] == "Parcelle n°11 à l'été"


def test_lines_are_stored_as_multilines(run_file, tmp_path):
    x, y = ORIGIN
    lines = [(f"LINESTRING({x} {y + i},{x + 100} {y + i + 50})", {"nom": f"Haie {i}", "code": i}) for i in range(5)]
    path = zip_files(
        tmp_path / "haies.zip",
        [write_vector(tmp_path / "haies.gpkg", "GPKG", lines, geom_type=ogr.wkbLineString)],
    )
    assert_imported(run_file(path), count=5, srid=2154, geometry_type="MULTILINESTRING")


def test_zipped_shapefile_when_the_data_folder_is_hidden(run_file, tmp_path, settings):
    """Unpacked files are recognised by their path inside the archive, not by where the platform keeps them."""
    settings.DATA_DIR = tmp_path / ".geoplatform"
    assert_imported(run_file(shapefile_zip(tmp_path / "src")), count=12, srid=2154, geometry_type="MULTIPOLYGON")
