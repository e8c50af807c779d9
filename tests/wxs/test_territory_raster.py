"""A raster shared within a territory: the map is masked, pixels outside the territory stay transparent."""

import io

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from PIL import Image

from catalogue.models import Grant
from geoplatform.models import Territory
from tests.conftest import import_now
from tests.sample_data import ORIGIN, geotiff

pytestmark = pytest.mark.django_db(transaction=True)

X, Y = ORIGIN
# The sample raster covers 6.4 km × 4.8 km (100 m pixels); the territory is its western half.
WEST_HALF = Polygon.from_bbox((X - 100, Y - 100, X + 3200, Y + 4900))
WEST_HALF.srid = 2154


@pytest.fixture
def raster(organisations, producer_a, tmp_path):
    return import_now(producer_a, organisations["a"], geotiff(tmp_path / "t.tif"), "Température").dataset


@pytest.fixture
def territory(db):
    geometry = MultiPolygon(WEST_HALF.transform(4326, clone=True), srid=4326)
    return Territory.objects.create(name="Ouest", geometry=geometry)


def _getmap(client, dataset, layers=None):
    response = client.get(
        f"/ows/dataset/{dataset.pk}",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": layers or dataset.layer_name,
            "STYLES": "",
            "CRS": "EPSG:2154",
            "BBOX": f"{X},{Y},{X + 6400},{Y + 4800}",
            "WIDTH": 64,
            "HEIGHT": 48,
            "FORMAT": "image/png",
            "TRANSPARENT": "TRUE",
        },
    )
    assert response.status_code == 200
    return response


def _image(response):
    assert response["Content-Type"] == "image/png", response.getvalue()[:500]
    return Image.open(io.BytesIO(response.getvalue())).convert("RGBA")


def test_restricted_raster_is_masked_outside_the_territory(client, reader, raster, territory):
    Grant.objects.create(dataset=raster, action="view_data", grantee="user", user=reader, territory=territory)
    client.force_login(reader)
    image = _image(_getmap(client, raster))
    assert image.getpixel((10, 24))[3] > 0, "inside the territory the raster is drawn"
    assert image.getpixel((50, 24))[3] == 0, "outside the territory nothing is drawn"
    assert image.getpixel((40, 10))[3] == 0


def test_owner_sees_the_whole_raster(client, producer_a, raster, territory):
    client.force_login(producer_a)
    image = _image(_getmap(client, raster))
    assert image.getpixel((10, 24))[3] > 0 and image.getpixel((50, 24))[3] > 0


def test_the_mask_is_not_a_layer_one_can_ask_for(client, reader, raster, territory):
    Grant.objects.create(dataset=raster, action="view_data", grantee="user", user=reader, territory=territory)
    client.force_login(reader)
    capabilities = client.get(f"/ows/dataset/{raster.pk}", {"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
    assert raster.layer_name.encode() in capabilities.getvalue()
    assert b"territoire" not in capabilities.getvalue().lower()
    assert _getmap(client, raster, layers="territoire")["Content-Type"] != "image/png"


def test_restricted_raster_gives_no_coverage_nor_pixel_values(client, reader, producer_a, raster, territory):
    Grant.objects.create(dataset=raster, action="view_data", grantee="user", user=reader, territory=territory)
    coverage = {
        "SERVICE": "WCS",
        "VERSION": "2.0.1",
        "REQUEST": "GetCoverage",
        "COVERAGEID": raster.layer_name,
        "FORMAT": "image/tiff",
    }
    client.force_login(producer_a)
    assert client.get(f"/ows/dataset/{raster.pk}", coverage)["Content-Type"].startswith("image/tiff")
    client.force_login(reader)
    refused = client.get(f"/ows/dataset/{raster.pk}", coverage)
    assert not refused["Content-Type"].startswith("image/tiff") and b"ExceptionReport" in refused.getvalue()
    info = client.get(
        f"/ows/dataset/{raster.pk}",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetFeatureInfo",
            "LAYERS": raster.layer_name,
            "QUERY_LAYERS": raster.layer_name,
            "STYLES": "",
            "CRS": "EPSG:2154",
            "BBOX": f"{X},{Y},{X + 6400},{Y + 4800}",
            "WIDTH": 64,
            "HEIGHT": 48,
            "I": 50,
            "J": 24,
            "INFO_FORMAT": "application/vnd.ogc.gml",
        },
    )
    assert b"ServiceException" in info.getvalue()
