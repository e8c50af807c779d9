"""Every vector format, opened with GDAL: CRS, features cut by the clip, attribute values and names."""

from pathlib import Path

import pytest

from downloads.formats import FORMATS
from downloads.models import DownloadJob
from tests.downloads.conftest import CLIP_BOX, box, data_file, read_features, unzip

pytestmark = pytest.mark.django_db(transaction=True)

# The squares the clip box touches: columns 0-2 of rows 0-1; their areas once cut (m²).
CUT_AREAS = {0: 125_000, 1: 250_000, 2: 125_000, 4: 62_500, 5: 125_000, 6: 62_500}
EXTENSIONS = {"shp": "shp", "gpkg": "gpkg", "geojson": "geojson", "csv": "csv", "gml": "gml", "tab": "tab",
              "mif": "mif", "fgb": "fgb"}  # fmt: skip


def _download(client, dataset, **params):
    response = client.get(f"/donnees/{dataset.pk}/telecharger/", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip"
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("name", list(EXTENSIONS))
def test_vector_format_is_cut_to_the_clip(client, producer_a, parcels, tmp_path, name):
    client.force_login(producer_a)
    bbox = ",".join(map(str, CLIP_BOX))
    files = unzip(_download(client, parcels, format=name, bbox=bbox, bbox_srid=2154), tmp_path / name)
    epsg, rows, geometries = read_features(data_file(files, EXTENSIONS[name]))
    if name != "csv":
        assert epsg == 2154
    codes = [int(row["code"]) for row in rows]
    assert sorted(codes) == sorted(CUT_AREAS)
    clip = box(*CLIP_BOX).Buffer(0.01)
    for code, geometry in zip(codes, geometries, strict=True):
        if name == "csv":
            continue
        assert clip.Contains(geometry), f"feature {code} sticks out of the clip"
        # MapInfo stores coordinates on an integer grid within the layer's bounds: a few cm of rounding.
        assert geometry.GetArea() == pytest.approx(CUT_AREAS[code], rel=1e-3 if name in ("tab", "mif") else 1e-6)
    names = {row.get("nom_de_la_parcelle") or row.get("nom_de_la_") for row in rows}
    assert "Parcelle n°0 à l'été" in names
    readme = files["LISEZMOI.txt"].read_text(encoding="utf-8")
    assert "EPSG:2154" in readme and FORMATS[name].label in readme


def test_shapefile_maps_long_names_and_says_so(client, producer_a, parcels, tmp_path):
    client.force_login(producer_a)
    files = unzip(_download(client, parcels, format="shp"), tmp_path)
    extensions = {path.suffix for path in files.values()}
    assert {".shp", ".shx", ".dbf", ".prj", ".cpg"} <= extensions
    assert data_file(files, "cpg").read_text().strip().upper() in ("UTF-8", "UTF8")
    _epsg, rows, _geometries = read_features(data_file(files, "shp"))
    assert len(rows) == 12
    assert set(rows[0]) == {"nom_de_la_", "code", "surface_en"}
    assert {row["nom_de_la_"] for row in rows} >= {"Parcelle n°3 à l'été"}
    readme = files["LISEZMOI.txt"].read_text(encoding="utf-8")
    assert "nom_de_la_parcelle -> nom_de_la_" in readme
    assert "surface_en_hectares -> surface_en" in readme


def test_csv_of_points_has_x_and_y_columns(client, producer_a, trees, tmp_path):
    client.force_login(producer_a)
    files = unzip(_download(client, trees, format="csv", srid=4326), tmp_path)
    header, *lines = data_file(files, "csv").read_text(encoding="utf-8").splitlines()
    assert header.split(",")[:2] == ["X", "Y"]
    assert len(lines) == 20
    x, y = (float(v) for v in lines[0].split(",")[:2])
    assert 0.5 < x < 0.9 and 47.2 < y < 47.5


def test_kml_is_in_wgs84(client, producer_a, parcels, tmp_path):
    client.force_login(producer_a)
    files = unzip(_download(client, parcels, format="kml"), tmp_path)
    epsg, rows, geometries = read_features(data_file(files, "kml"))
    assert epsg == 4326 and len(rows) == 12
    x, y = geometries[0].Centroid().GetX(), geometries[0].Centroid().GetY()
    assert 0.5 < x < 0.9 and 47.2 < y < 47.5


def test_dxf_holds_the_geometries(client, producer_a, parcels, tmp_path):
    client.force_login(producer_a)
    files = unzip(_download(client, parcels, format="dxf", srid=3947), tmp_path)
    _epsg, rows, geometries = read_features(data_file(files, "dxf"))
    assert len(geometries) == 12


def test_direct_download_streams_while_it_is_built(client, settings, producer_a, parcels):
    """The first bytes (the README's) leave before the data exist; GeoJSON goes from ogr2ogr into the zip with no
    copy on disk."""
    client.force_login(producer_a)
    response = client.get(f"/donnees/{parcels.pk}/telecharger/", {"format": "geojson"})
    chunks = iter(response.streaming_content)
    first = next(chunks)
    assert first.startswith(b"PK\x03\x04") and b"LISEZMOI.txt" in first
    assert DownloadJob.objects.get().status == "running"
    work = Path(settings.DATA_DIR) / "work"
    copies = []
    for _chunk in chunks:
        copies += [path for path in work.rglob("*") if path.suffix == ".geojson"]
    assert not copies
    job = DownloadJob.objects.get()
    assert job.status == "succeeded" and job.size > len(first)
    assert not any(work.glob(f"download-{job.pk}-*")), "the work folder is removed"


def test_points_are_selected_by_the_clip(client, producer_a, trees, tmp_path):
    """Points 0-4 lie west of x + 450 (100 m apart); the clip keeps them and only them."""
    client.force_login(producer_a)
    x, y = 525000, 6700000
    data = _download(client, trees, format="fgb", bbox=f"{x - 10},{y - 10},{x + 450},{y + 1000}", bbox_srid=2154)
    epsg, rows, geometries = read_features(data_file(unzip(data, tmp_path), "fgb"))
    assert epsg == 2154 and sorted(row["code"] for row in rows) == [0, 1, 2, 3, 4]
    assert all(g.GetX() <= x + 450 for g in geometries)
