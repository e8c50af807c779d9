"""A grant limited to a territory: maps only draw inside it, WFS only returns features inside it, clipped."""

import io
import json

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from PIL import Image

from catalogue.models import Grant
from geoplatform.models import Territory
from tests.conftest import import_now
from tests.sample_data import ORIGIN, geopackage, points, shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)

X, Y = ORIGIN
# Lambert-93: square 0 (x 0-500) inside, square 1 (x 1000-1500) cut at x = 1250, everything else outside.
TERRITORY_L93 = Polygon.from_bbox((X - 100, Y - 100, X + 1250, Y + 600))
TERRITORY_L93.srid = 2154


def make_territory(polygon: Polygon, name: str = "Territoire test") -> Territory:
    return Territory.objects.create(name=name, geometry=MultiPolygon(polygon.transform(4326, clone=True), srid=4326))


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=12, size=500)), "Carrés")
    return job.dataset


@pytest.fixture
def territory(db):
    return make_territory(TERRITORY_L93)


def _getmap(client, dataset, **extra):
    # 4 km × 2 km at 10 m a pixel: pixel (col, row) = ((x - X) / 10, (Y + 2000 - y) / 10).
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": dataset.layer_name,
        "STYLES": "",
        "CRS": "EPSG:2154",
        "BBOX": f"{X},{Y},{X + 4000},{Y + 2000}",
        "WIDTH": 400,
        "HEIGHT": 200,
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
        **extra,
    }
    response = client.get(f"/ows/dataset/{dataset.pk}", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png", response.getvalue()[:500]
    return response, Image.open(io.BytesIO(response.getvalue())).convert("RGBA")


def _pixel(image, x, y):
    return image.getpixel((int((x - X) / 10), int((Y + 2000 - y) / 10)))


def _features(client, dataset) -> list[dict]:
    response = client.get(
        f"/ows/dataset/{dataset.pk}",
        {
            "SERVICE": "WFS",
            "VERSION": "2.0.0",
            "REQUEST": "GetFeature",
            "TYPENAMES": dataset.layer_name,
            "OUTPUTFORMAT": "geojson",
        },
    )
    assert response.status_code == 200, response.getvalue()[:500]
    return json.loads(response.getvalue())["features"]


def _lambert93(feature: dict) -> GEOSGeometry:
    """A feature's geometry; WFS answers in the layer's CRS (Lambert-93) unless asked otherwise."""
    geometry = GEOSGeometry(json.dumps(feature["geometry"]))
    geometry.srid = 2154
    return geometry


def test_restricted_grant_map_is_drawn_only_inside_the_territory(client, reader, dataset, territory):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="user", user=reader, territory=territory)
    client.force_login(reader)
    response, image = _getmap(client, dataset)
    assert _pixel(image, X + 250, Y + 250)[3] > 0, "the square inside the territory is drawn"
    assert _pixel(image, X + 1100, Y + 250)[3] > 0, "the straddling square is drawn inside the territory"
    assert _pixel(image, X + 1400, Y + 250)[3] == 0, "the straddling square is not drawn outside the territory"
    assert _pixel(image, X + 2250, Y + 250)[3] == 0, "a square outside the territory is not drawn"
    assert _pixel(image, X + 250, Y + 1250)[3] == 0, "a square outside the territory is not drawn"
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_restricted_grant_wfs_returns_only_inside_features_clipped(client, reader, dataset, territory):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="user", user=reader, territory=territory)
    client.force_login(reader)
    features = _features(client, dataset)
    assert sorted(f["properties"]["code"] for f in features) == [0, 1]
    limit = TERRITORY_L93.buffer(0.01)
    for feature in features:
        geometry = _lambert93(feature)
        assert geometry.within(limit), (feature["properties"], geometry.wkt)
    straddling = next(f for f in features if f["properties"]["code"] == 1)
    assert _lambert93(straddling).area == pytest.approx(250 * 500, rel=1e-3), "only its inside half is returned"


def test_unrestricted_grant_and_owner_see_everything(client, reader, producer_a, dataset, territory):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="user", user=reader)
    for user in (reader, producer_a):
        client.force_login(user)
        assert len(_features(client, dataset)) == 12
        _response, image = _getmap(client, dataset)
        assert _pixel(image, X + 1400, Y + 250)[3] > 0 and _pixel(image, X + 2250, Y + 1250)[3] > 0


def test_public_dataset_is_cached_publicly_restricted_answers_are_not(client, reader, dataset, territory):
    dataset.public = True
    dataset.save()
    response, _image = _getmap(client, dataset)
    assert response["Cache-Control"] == "public, max-age=300"
    dataset.territory_restricted = True
    dataset.save()
    reader.territory = territory
    reader.save()
    client.force_login(reader)
    response, image = _getmap(client, dataset)
    assert response["Cache-Control"] == "private, no-store"
    assert _pixel(image, X + 1400, Y + 250)[3] == 0


def test_points_outside_the_territory_are_left_out(client, reader, organisations, producer_a, tmp_path):
    trees = import_now(
        producer_a, organisations["a"], geopackage(tmp_path / "a.gpkg", {"arbres": points(20)}), "Arbres"
    )
    area = Polygon.from_bbox((X - 100, Y - 100, X + 1250, Y + 625))  # points n°0 to 12 (x = 100 i, y = 50 i)
    area.srid = 2154
    grant = Grant(dataset=trees.dataset, action="view_data", grantee="user", user=reader)
    grant.territory = make_territory(area)
    grant.save()
    client.force_login(reader)
    assert sorted(f["properties"]["code"] for f in _features(client, trees.dataset)) == list(range(13))
