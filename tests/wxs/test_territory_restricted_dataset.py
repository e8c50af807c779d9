"""A dataset "restricted to each user's territory": each person gets the data of their own territory, others none."""

import io
import json

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from PIL import Image

from geoplatform.models import Membership, Territory
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)

X, Y = ORIGIN
# Lambert-93: squares 0 and 1 of the first row, the second one cut in half at x = 1250.
TERRITORY_L93 = Polygon.from_bbox((X - 100, Y - 100, X + 1250, Y + 600))
TERRITORY_L93.srid = 2154


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    dataset = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=12)), "Carrés").dataset
    dataset.public = True
    dataset.territory_restricted = True
    dataset.save()
    return dataset


@pytest.fixture
def organisation_with_territory(organisations):
    geometry = MultiPolygon(TERRITORY_L93.transform(4326, clone=True), srid=4326)
    organisation = organisations["b"]
    organisation.territory = Territory.objects.create(name="Territoire de B", geometry=geometry)
    organisation.save()
    return organisation


def _getmap(client, dataset):
    return client.get(
        f"/ows/dataset/{dataset.pk}",
        {
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
        },
    )


def _alpha(response, x, y) -> int:
    assert response["Content-Type"] == "image/png", response.getvalue()[:500]
    image = Image.open(io.BytesIO(response.getvalue())).convert("RGBA")
    return image.getpixel((int((x - X) / 10), int((Y + 2000 - y) / 10)))[3]


def _codes(client, dataset) -> list[int]:
    response = client.get(
        f"/ows/dataset/{dataset.pk}",
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": dataset.layer_name,
         "OUTPUTFORMAT": "geojson"},
    )  # fmt: skip
    assert response.status_code == 200, response.getvalue()[:500]
    features = json.loads(response.getvalue())["features"]
    limit = TERRITORY_L93.buffer(0.01)
    for feature in features:
        geometry = GEOSGeometry(json.dumps(feature["geometry"]))
        geometry.srid = 2154
        assert geometry.within(limit), feature["properties"]
    return sorted(f["properties"]["code"] for f in features)


def test_member_of_an_organisation_with_a_territory_gets_only_that_territory(
    client, reader, dataset, organisation_with_territory
):
    Membership.objects.create(user=reader, organisation=organisation_with_territory, role="member")
    client.force_login(reader)
    response = _getmap(client, dataset)
    assert _alpha(response, X + 250, Y + 250) > 0 and _alpha(response, X + 1100, Y + 250) > 0
    assert _alpha(response, X + 1400, Y + 250) == 0 and _alpha(response, X + 2250, Y + 250) == 0
    assert response["Cache-Control"] == "private, no-store"
    assert _codes(client, dataset) == [0, 1]


def test_someone_without_territory_gets_no_data(client, reader, dataset):
    client.force_login(reader)
    assert _getmap(client, dataset).status_code == 404
    assert client.get(f"/donnees/{dataset.pk}/").status_code == 200


def test_anonymous_gets_no_data_but_sees_the_record(client, dataset):
    assert _getmap(client, dataset).status_code == 404
    assert client.get(f"/donnees/{dataset.pk}/").status_code == 200


def test_the_producing_organisation_sees_everything(client, producer_a, dataset):
    client.force_login(producer_a)
    response = _getmap(client, dataset)
    assert _alpha(response, X + 1400, Y + 250) > 0 and _alpha(response, X + 2250, Y + 1250) > 0
