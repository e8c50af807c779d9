"""A producer styles their dataset in the editor; the style reaches the services; others cannot touch it."""

import io

import pytest
from PIL import Image

from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares
from wxs.models import Style

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=4, size=500)), "Grille")
    dataset = job.dataset
    dataset.public = True
    dataset.save()
    return dataset


FORM = {
    "name": "Par code",
    "kind": "graduated",
    "fill": "#5691d4",
    "stroke": "#143c78",
    "width": "1",
    "size": "8",
    "opacity": "100",
    "attribute": "code",
    "method": "equal",
    "count": "2",
    "ramp": "rouges",
    "classes": "",
    "label_attribute": "",
    "label_size": "9",
    "label_color": "#000000",
    "min_scale": "",
    "max_scale": "",
}


def _pixel(client, dataset, index):
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": dataset.layer_name,
        "STYLES": "",
        "CRS": "EPSG:2154",
        "BBOX": f"{ORIGIN[0]},{ORIGIN[1]},{ORIGIN[0] + 4000},{ORIGIN[1] + 1000}",
        "WIDTH": 400,
        "HEIGHT": 100,
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
    }
    image = Image.open(io.BytesIO(client.get(f"/ows/dataset/{dataset.pk}", params).content)).convert("RGBA")
    return image.getpixel((index * 100 + 25, 75))


def test_producer_computes_previews_and_saves_a_graduated_style(client, producer_a, grid):
    client.force_login(producer_a)
    url = f"/donnees/{grid.pk}/styles/"
    page = client.get(url)
    assert page.status_code == 200 and b"data-style-preview" in page.content and b"data-style-legend" in page.content
    computed = client.post(url, {**FORM, "action": "compute"})
    assert computed.status_code == 200, computed.content.decode()[:2000]
    assert "0 – 1.5" in computed.content.decode() and "1.5 – 3" in computed.content.decode()
    classes = computed.context["form"]["classes"].value()
    saved = client.post(url, {**FORM, "classes": classes, "action": "save"})
    assert saved.status_code == 302
    style = Style.objects.get(dataset=grid, is_default=True)
    assert style.kind == "graduated" and len(style.definition["classes"]) == 2
    dark_red = style.definition["classes"][1]["color"]
    pixel = _pixel(client, grid, 3)
    expected = [int(dark_red[i : i + 2], 16) for i in (1, 3, 5)]
    assert all(abs(a - b) < 12 for a, b in zip(pixel[:3], expected, strict=True)), (pixel, dark_red)


def test_errors_are_shown_in_french(client, producer_a, grid):
    client.force_login(producer_a)
    response = client.post(f"/donnees/{grid.pk}/styles/", {**FORM, "attribute": "nom", "action": "compute"})
    assert response.status_code == 400
    assert "numérique" in response.content.decode()


def test_sld_export_and_import_through_the_pages(client, producer_a, grid):
    client.force_login(producer_a)
    exported = client.get(f"/donnees/{grid.pk}/styles/sld/", {"version": "1.1.0"})
    assert exported.status_code == 200 and b'version="1.1.0"' in exported.content
    document = exported.content.replace(b"#5691d4", b"#00ff00")
    upload = io.BytesIO(document)
    upload.name = "style.sld"
    response = client.post(f"/donnees/{grid.pk}/styles/sld/", {"name": "Vert", "document": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    style = Style.objects.get(dataset=grid, is_default=True)
    assert style.kind == "sld" and style.name == "Vert"
    pixel = _pixel(client, grid, 0)
    assert pixel[1] > 200 and pixel[0] < 60, pixel


def test_hostile_sld_upload_is_refused_with_a_message(client, producer_a, grid):
    client.force_login(producer_a)
    upload = io.BytesIO(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    upload.name = "style.sld"
    response = client.post(f"/donnees/{grid.pk}/styles/sld/", {"name": "x", "document": upload})
    assert response.status_code == 400 and "DOCTYPE" in response.content.decode()
    assert not Style.objects.filter(dataset=grid).exists()


@pytest.mark.parametrize("who", ["producer_b", "member_a", "reader"])
def test_others_cannot_edit_the_style(client, request, grid, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/donnees/{grid.pk}/styles/").status_code in (403, 404)
    assert client.post(f"/donnees/{grid.pk}/styles/", {**FORM, "action": "save"}).status_code in (403, 404)
    assert client.get(f"/donnees/{grid.pk}/styles/sld/").status_code in (403, 404)
    assert not Style.objects.filter(dataset=grid).exists()


def test_anonymous_is_sent_to_login(client, grid):
    assert client.get(f"/donnees/{grid.pk}/styles/").status_code == 302
