"""The dataset's layer drawn by MapServer 8 through WMS, from the mapfile generated for it."""

import io

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from tests.conftest import import_now
from tests.sample_data import ORIGIN, geotiff, shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def squares_dataset(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=1, size=500)), "Un carré")
    dataset = job.dataset
    dataset.public = True
    dataset.save()
    return dataset


def _getmap(client, dataset, bbox, crs="EPSG:2154", size=100, **extra):
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": dataset.layer_name,
        "STYLES": "",
        "CRS": crs,
        "BBOX": ",".join(map(str, bbox)),
        "WIDTH": size,
        "HEIGHT": size,
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
        **extra,
    }
    response = client.get(f"/ows/dataset/{dataset.pk}", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png", response.content[:500]
    return Image.open(io.BytesIO(response.content)).convert("RGBA")


def test_getmap_draws_the_square_where_it_is(client, squares_dataset):
    x, y = ORIGIN
    # A 1 km window whose lower-left quarter is the 500 m square.
    image = _getmap(client, squares_dataset, [x, y, x + 1000, y + 1000])
    inside = image.getpixel((25, 75))  # lower-left quarter (image rows go down)
    outside = image.getpixel((75, 25))  # upper-right quarter
    assert inside[3] > 0 and inside[2] > inside[0], f"the square is not drawn: {inside}"
    assert outside[3] == 0, f"something is drawn where there is no data: {outside}"


def test_getmap_reprojects_on_the_fly(client, squares_dataset):
    west, south, east, north = squares_dataset.bbox_wgs84
    pad = (east - west) * 0.5
    image = _getmap(client, squares_dataset, [south - pad, west - pad, north + pad, east + pad], crs="EPSG:4326")
    assert image.getpixel((50, 50))[3] > 0, "the centre of the square should be painted in EPSG:4326 too"


def test_capabilities_point_back_to_our_endpoint(client, squares_dataset):
    response = client.get(f"/ows/dataset/{squares_dataset.pk}", {"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
    text = response.content.decode()
    assert f"http://testserver/ows/dataset/{squares_dataset.pk}?" in text
    assert "gp-onlineresource.invalid" not in text
    assert "map=" not in text.lower().replace("getmap", "")


def test_a_map_parameter_cannot_switch_mapfiles(client, squares_dataset):
    response = client.get(
        f"/ows/dataset/{squares_dataset.pk}", {"SERVICE": "WMS", "REQUEST": "GetCapabilities", "MAP": "/etc/passwd"}
    )
    assert response.status_code == 200
    assert b"root:" not in response.content
    assert squares_dataset.layer_name.encode() in response.content


def test_raster_is_drawn(client, organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], geotiff(tmp_path / "t.tif"), "Température")
    dataset = job.dataset
    client.force_login(producer_a)
    image = _getmap(client, dataset, dataset.bbox)
    pixels = np.asarray(image).reshape(-1, 4)
    assert (pixels[:, 3] > 0).sum() > 0.9 * 100 * 100
    colours = {tuple(px[:3]) for px in pixels}
    assert len(colours) > 10, "a colour ramp is expected, not a flat fill"


def test_mapfile_command_prints_the_generated_mapfile(squares_dataset, capsys):
    call_command("mapfile", str(squares_dataset.pk))
    out = capsys.readouterr().out
    assert f'NAME "{squares_dataset.layer_name}"' in out
    assert squares_dataset.table_name in out
    assert "CONNECTIONTYPE POSTGIS" in out


def test_capabilities_follow_an_edited_title(client, squares_dataset, producer_a):
    url = f"/ows/dataset/{squares_dataset.pk}"
    params = {"SERVICE": "WMS", "REQUEST": "GetCapabilities"}
    assert "Un carré" in client.get(url, params).content.decode()
    client.force_login(producer_a)
    client.post(f"/donnees/{squares_dataset.pk}/modifier/", {"title": "Carré communal", "abstract": ""})
    assert "Carré communal" in client.get(url, params).content.decode()
