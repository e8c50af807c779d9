"""Clipping: features crossing the clip are cut, communes and drawn polygons, the user's territory always on top."""

import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from osgeo import ogr, osr

from catalogue.models import Dataset
from geoplatform.models import PlatformSettings, Territory
from tests.conftest import import_now
from tests.downloads.conftest import box, data_file, read_features, unzip
from tests.sample_data import ORIGIN, shapefile_zip

pytestmark = pytest.mark.django_db(transaction=True)

COMMUNES = [("37001", "Aubigny"), ("37002", "Bléré"), ("37003", "Chinon")]


def _download(client, dataset, **params) -> bytes:
    response = client.get(f"/donnees/{dataset.pk}/telecharger/", params)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def _refusal(client, dataset, **params) -> str:
    response = client.get(f"/donnees/{dataset.pk}/telecharger/", params)
    assert response.status_code == 400, response.status_code
    return response.content.decode()


def _wgs84(epsg: int, geometry: ogr.Geometry) -> ogr.Geometry:
    source, target = osr.SpatialReference(), osr.SpatialReference()
    source.ImportFromEPSG(epsg)
    target.ImportFromEPSG(4326)
    for ref in (source, target):
        ref.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    geometry = geometry.Clone()
    geometry.Transform(osr.CoordinateTransformation(source, target))
    return geometry


@pytest.fixture
def communes(producer_a, organisations, tmp_path) -> Dataset:
    """Communes of 1 km × 1 km side by side from ORIGIN eastwards, as the communes reference layer."""
    features = []
    for i, (insee, nom) in enumerate(COMMUNES):
        x, y = ORIGIN[0] + i * 1000, ORIGIN[1]
        features.append((f"POLYGON(({x} {y},{x + 1000} {y},{x + 1000} {y + 1000},{x} {y + 1000},{x} {y}))",
                         {"insee": insee, "nom": nom}))  # fmt: skip
    archive = shapefile_zip(
        tmp_path / "communes", features, name="communes", fields={"insee": ogr.OFTString, "nom": ogr.OFTString}
    )
    dataset = import_now(producer_a, organisations["a"], archive, "Communes").dataset
    PlatformSettings.objects.update_or_create(pk=1, defaults={"communes_dataset": dataset})
    return dataset


def test_communes_clip(client, producer_a, parcels, communes, tmp_path):
    """Commune 37002 spans x 526000-527000: square 1 lies inside it; squares 0 and 2 only touch its edges."""
    client.force_login(producer_a)
    files = unzip(_download(client, parcels, format="gpkg", communes="37002"), tmp_path)
    _epsg, rows, geometries = read_features(data_file(files, "gpkg"))
    assert [row["code"] for row in rows] == [1]
    assert "communes 37002" in files["LISEZMOI.txt"].read_text(encoding="utf-8")


def test_unknown_commune_is_refused_by_name(client, producer_a, parcels, communes):
    client.force_login(producer_a)
    assert "99999" in _refusal(client, parcels, format="gpkg", communes="37002,99999")
    assert 'data-error-code="invalid_clip"' in _refusal(client, parcels, format="gpkg", communes="37002;DROP")


def test_drawn_polygon_in_wgs84_cuts_the_crossing_feature(client, producer_a, parcels, tmp_path):
    """A polygon over the left half of square 0 (given in longitude/latitude): square 0 comes out cut."""
    client.force_login(producer_a)
    x, y = ORIGIN
    half = _wgs84(2154, box(x - 100, y - 100, x + 250, y + 600))
    geometry = half.ExportToJson()
    files = unzip(_download(client, parcels, format="geojson", srid=4326, geometry=geometry), tmp_path)
    epsg, rows, geometries = read_features(data_file(files, "geojson"))
    assert epsg == 4326 and [row["code"] for row in rows] == [0]
    whole = _wgs84(2154, box(x, y, x + 500, y + 500))
    assert geometries[0].GetArea() == pytest.approx(whole.GetArea() / 2, rel=0.01)
    assert half.Buffer(1e-6).Contains(geometries[0])  # ~10 cm: edges straight in Lambert-93, not in degrees


def test_territory_restriction_is_always_applied(client, reader, parcels, tmp_path):
    """A reader limited to a territory over squares 0-1 gets them alone, cut, even asking for everything or more."""
    x, y = ORIGIN
    area = _wgs84(2154, box(x - 100, y - 100, x + 1250, y + 600))
    territory = Territory.objects.create(
        name="Ouest", geometry=MultiPolygon(Polygon.from_ewkt(f"SRID=4326;{area.ExportToWkt()}"), srid=4326)
    )
    reader.territory = territory
    reader.save()
    Dataset.objects.filter(pk=parcels.pk).update(public=True, territory_restricted=True)
    client.force_login(reader)

    for params, folder in (({}, "all"), ({"bbox": f"{x - 5000},{y - 5000},{x + 5000},{y + 5000}", "bbox_srid": 2154},
                                         "wider")):  # fmt: skip
        files = unzip(_download(client, parcels, format="gpkg", **params), tmp_path / folder)
        _epsg, rows, geometries = read_features(data_file(files, "gpkg"))
        assert sorted(row["code"] for row in rows) == [0, 1]
        areas = {row["code"]: g.GetArea() for row, g in zip(rows, geometries, strict=True)}
        assert areas[0] == pytest.approx(500 * 500, rel=0.01)  # square 0 lies inside
        assert areas[1] == pytest.approx(250 * 500, rel=0.01)  # square 1 is cut at x + 1250
        assert "territoire" in files["LISEZMOI.txt"].read_text(encoding="utf-8")

    outside = f"{x + 2000},{y},{x + 3000},{y + 500}"
    page = _refusal(client, parcels, format="gpkg", bbox=outside, bbox_srid=2154)
    assert 'data-error-code="empty_clip"' in page and "territoire" in page


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "3,2,1,4", "bbox_srid": 2154},
        {"bbox": "0,0,200,10"},
        {"bbox": "nan,0,1,1"},
        {"bbox": "0,0,1,1", "bbox_srid": 9999},
        {"geometry": '{"type": "Point", "coordinates": [0.7, 47.4]}'},
        {"geometry": '{"type": "Polygon", "coordinates": [[[0.7, 47.4], [1e999, 47.5], [0.8, 47.4], [0.7, 47.4]]]}'},
        {"geometry": '{"type": "Polygon", "coordinates": [[[525000, 6700000], [526000, 6700000], [525000, 6701000]]]}'},
        {"geometry": "<xml/>"},
    ],
)
def test_bad_clips_are_refused(client, producer_a, parcels, params):
    client.force_login(producer_a)
    assert 'data-error-code="invalid_clip"' in _refusal(client, parcels, format="gpkg", **params)


def test_too_many_vertices(client, producer_a, parcels, settings):
    settings.GP_DOWNLOAD_CLIP_MAX_VERTICES = 10
    client.force_login(producer_a)
    ring = [[0.7 + i * 0.001, 47.4 + (i % 2) * 0.001] for i in range(20)] + [[0.7, 47.4]]
    geometry = json.dumps({"type": "Polygon", "coordinates": [ring]})
    page = _refusal(client, parcels, format="gpkg", geometry=geometry)
    assert 'data-error-code="invalid_clip"' in page and "sommets" in page
