"""Every style of a dataset is a WMS style: STYLES=<name> draws it, STYLES empty (tiles, thumbnails) the default."""

import io

import pytest
from lxml import etree
from PIL import Image

from catalogue import editor
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares
from tests.wxs.test_tms import tms_tile
from tests.wxs.test_wmts import INSIDE
from wxs import mapserver, styles
from wxs.models import Style

pytestmark = pytest.mark.django_db(transaction=True)

RED, BLUE, GREEN, YELLOW = "#ff0000", "#0000ff", "#00aa00", "#ffff00"
ROW = [ORIGIN[0], ORIGIN[1], ORIGIN[0] + 4000, ORIGIN[1] + 1000]
WMS = "{http://www.opengis.net/wms}"


@pytest.fixture
def grid(organisations, producer_a, tmp_path):
    """Four public 500 m squares in a row (`code` 0..3): default style "rouge", others "bleu" and "codes"."""
    archive = shapefile_zip(tmp_path, squares(count=4, size=500))
    dataset = import_now(producer_a, organisations["a"], archive, "Grille").dataset
    dataset.public = True
    dataset.save()
    styles.save_style(dataset, "rouge", "single", {"symbol": {"fill": RED, "opacity": 100}})
    for name, kind, definition in (
        ("bleu", "single", {"symbol": {"fill": BLUE, "opacity": 100}}),
        (
            "codes",
            "categorised",
            {
                "attribute": "code",
                "symbol": {"opacity": 100},
                "classes": [{"value": "0", "color": GREEN}, {"value": "1", "color": YELLOW}],
            },
        ),
        (  # a text value with an apostrophe and accents, compared in the class expression
            "noms",
            "categorised",
            {
                "attribute": "nom",
                "symbol": {"opacity": 100},
                "classes": [{"value": "Parcelle n°3 à l'été", "color": BLUE}],
            },
        ),
    ):
        clean = styles.validate(dataset, kind, definition)
        Style.objects.create(dataset=dataset, name=name, kind=kind, definition=clean)
    return dataset


def _image(response) -> Image.Image:
    assert response["Content-Type"] == "image/png", response.content[:400]
    return Image.open(io.BytesIO(response.content)).convert("RGBA")


def _getmap(client, url, dataset, style):
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": dataset.layer_name,
        "STYLES": style,
        "CRS": "EPSG:2154",
        "BBOX": ",".join(map(str, ROW)),
        "WIDTH": 400,
        "HEIGHT": 100,
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
    }
    return client.get(url, params)


def _square(index):
    """Pixel at the centre of square `index` of the 400 x 100 picture of ROW."""
    return (int((index * 1000 + 250) / 4000 * 400), 75)


def _is(pixel, colour, tolerance=12):
    expected = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return all(abs(p - e) <= tolerance for p, e in zip(pixel[:3], expected, strict=True)) and pixel[3] > 200


def _urls(dataset):
    return (f"/ows/dataset/{dataset.pk}", "/ows", f"/ows/org/{dataset.organisation.slug}")


def test_getmap_draws_the_named_style_and_the_default_without_one(client, grid):
    for url in _urls(grid):
        for style, colour in (("", RED), ("rouge", RED), ("bleu", BLUE)):
            pixel = _image(_getmap(client, url, grid, style)).getpixel(_square(0))
            assert _is(pixel, colour), f"{url} STYLES={style!r}: {pixel}"
    codes = _image(_getmap(client, f"/ows/dataset/{grid.pk}", grid, "codes"))
    assert _is(codes.getpixel(_square(0)), GREEN) and _is(codes.getpixel(_square(1)), YELLOW)
    assert codes.getpixel(_square(2))[3] == 0, "a category style draws only its categories"
    names = _image(_getmap(client, "/ows", grid, "noms"))
    assert [names.getpixel(_square(i))[3] > 0 for i in range(4)] == [False, False, False, True]
    assert _is(names.getpixel(_square(3)), BLUE)


def test_an_unknown_style_is_a_service_exception(client, grid):
    response = _getmap(client, "/ows", grid, "inconnu")
    assert response.status_code == 200 and b"ServiceException" in response.content
    assert b"inconnu" in response.content


def test_capabilities_list_every_style_with_its_legend(client, grid):
    for url in _urls(grid):
        response = client.get(url, {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"})
        root = etree.fromstring(response.content)
        layer = next(e for e in root.iter(f"{WMS}Layer") if e.findtext(f"{WMS}Name") == grid.layer_name)
        names = [style.findtext(f"{WMS}Name") for style in layer.findall(f"{WMS}Style")]
        assert names == ["rouge", "bleu", "codes", "noms"], (url, names)
        legends = [e.get("{http://www.w3.org/1999/xlink}href") for e in layer.iter(f"{WMS}OnlineResource")]
        assert any("GetLegendGraphic" in href and "STYLE=bleu" in href for href in legends), legends


def test_legend_of_a_named_style(client, grid):
    params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic", "LAYER": grid.layer_name}
    params.update(FORMAT="image/png", SLD_VERSION="1.1.0")
    rgb = {colour: tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) for colour in (RED, BLUE)}
    for style, colour, other in (("", RED, BLUE), ("bleu", BLUE, RED)):
        legend = _image(client.get("/ows", {**params, "STYLE": style}))
        colours = {pixel[:3] for pixel in legend.get_flattened_data() if pixel[3] > 200}
        assert rgb[colour] in colours and rgb[other] not in colours, (style, sorted(colours)[:10])


def test_tiles_and_thumbnails_keep_the_default_style(client, grid):
    response, pixel = tms_tile(client, grid, 15, INSIDE)
    assert _is(_image(response).getpixel(pixel), RED)
    answer = mapserver.render(mapserver.mapfile_for(grid), editor.thumbnail_request(grid), "http://localhost/")
    thumbnail = Image.open(io.BytesIO(answer.body)).convert("RGBA")
    reds = sum(1 for p in thumbnail.get_flattened_data() if _is(p, RED))
    blues = sum(1 for p in thumbnail.get_flattened_data() if _is(p, BLUE))
    assert reds > 100 and blues == 0


def test_a_style_change_reaches_the_services(client, grid):
    Style.objects.filter(dataset=grid, name="bleu").update(name="ignored")  # update() sends no signal…
    style = Style.objects.get(dataset=grid, name="ignored")
    style.name = "azur"
    style.save()  # …a save does, and the services follow
    assert _is(_image(_getmap(client, "/ows", grid, "azur")).getpixel(_square(0)), BLUE)
    style.delete()
    assert b"ServiceException" in _getmap(client, "/ows", grid, "azur").content


def test_a_territory_limited_caller_gets_new_styles_within_the_territory(client, grid, reader):
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.db import connection

    from catalogue.models import Dataset, Grant
    from geoplatform.models import Territory

    Dataset.objects.filter(pk=grid.pk).update(public=False)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsText(ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 2154), 4326))",
            [ORIGIN[0] - 10, ORIGIN[1] - 10, ORIGIN[0] + 1600, ORIGIN[1] + 600],
        )
        west = Territory.objects.create(
            name="Ouest", geometry=MultiPolygon(Polygon.from_ewkt(cursor.fetchone()[0]), srid=4326)
        )
    Grant.objects.create(dataset=grid, action="view_data", grantee="user", user=reader, territory=west)
    client.force_login(reader)
    url = f"/ows/dataset/{grid.pk}"
    before = _image(_getmap(client, url, grid, ""))  # writes the caller's territory variant
    assert _is(before.getpixel(_square(0)), RED) and before.getpixel(_square(3))[3] == 0
    green = styles.validate(grid, "single", {"symbol": {"fill": GREEN, "opacity": 100}})
    Style.objects.create(dataset=grid, name="vert", kind="single", definition=green)
    after = _image(_getmap(client, url, grid, "vert"))
    assert _is(after.getpixel(_square(0)), GREEN) and after.getpixel(_square(3))[3] == 0
