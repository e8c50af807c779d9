"""TMS through MapProxy: the service documents and tiles counted from the south, with the same rights as WMTS."""

import io

import pytest
from lxml import etree
from PIL import Image

from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares
from tests.wxs.test_wmts import INSIDE, OUTSIDE, tile_of
from wxs import mapproxy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def private_layer(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=4, size=500)), "Carrés")
    return job.dataset


@pytest.fixture
def public_layer(private_layer):
    private_layer.public = True
    private_layer.save()
    return private_layer


def tms_tile(client, dataset, level: int, point):
    """The tile holding `point` at WMTS level `level`, addressed the way the TileMap document says (its TileSet of
    the same resolution, rows from the south)."""
    row, col, pixel = tile_of(mapproxy.WEB_MERCATOR, level, point)
    base = f"/tms/dataset/{dataset.pk}/1.0.0/{dataset.layer_name}/GoogleMapsCompatible"
    tile_map = etree.fromstring(client.get(base).content)
    resolution = 2 * 20037508.342789244 / 256 / 2**level
    tile_set = next(
        t for t in tile_map.iter("TileSet") if abs(float(t.get("units-per-pixel")) - resolution) < resolution * 1e-6
    )
    href = tile_set.get("href").removeprefix("http://testserver")
    return client.get(f"{href}/{col}/{2**level - 1 - row}.png"), pixel


def test_tms_documents_carry_public_urls(client, public_layer):
    root = client.get(f"/tms/dataset/{public_layer.pk}/1.0.0/")
    assert root.status_code == 200, root.content[:300]
    tile_maps = etree.fromstring(root.content).findall(".//TileMap")
    hrefs = {tile_map.get("href") for tile_map in tile_maps}
    base = f"http://testserver/tms/dataset/{public_layer.pk}/1.0.0/{public_layer.layer_name}"
    assert hrefs == {f"{base}/GoogleMapsCompatible", f"{base}/LAMB93"}
    tile_map = client.get(f"/tms/dataset/{public_layer.pk}/1.0.0/{public_layer.layer_name}/LAMB93")
    assert tile_map.status_code == 200
    assert b"EPSG:2154" in tile_map.content and mapproxy.INTERNAL_HOST.encode() not in tile_map.content


def test_tms_tile_is_drawn_where_the_features_are(client, public_layer):
    response, pixel = tms_tile(client, public_layer, 15, INSIDE)
    assert response.status_code == 200 and response["Content-Type"] == "image/png", response.content[:300]
    assert Image.open(io.BytesIO(response.content)).convert("RGBA").getpixel(pixel)[3] > 0
    response, pixel = tms_tile(client, public_layer, 15, OUTSIDE)
    assert Image.open(io.BytesIO(response.content)).convert("RGBA").getpixel(pixel)[3] == 0
    assert response["Cache-Control"].startswith("public")


def test_tms_refuses_a_private_layer_like_an_unknown_one(client, private_layer):
    response = client.get(f"/tms/dataset/{private_layer.pk}/1.0.0/{private_layer.layer_name}/LAMB93/0/0/0.png")
    unknown = client.get("/tms/dataset/999999/1.0.0/")
    assert response.status_code == unknown.status_code == 404
    assert response.content == unknown.content and b"TileMapServerError" in response.content
