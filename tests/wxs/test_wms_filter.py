"""Filtering a layer by attribute over WMS: MapServer's FILTER (OGC Filter Encoding) on GetMap and GetFeatureInfo,
checked before MapServer sees it, and never a way around a territory limit."""

import io
import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection
from PIL import Image

from catalogue.models import Dataset, Grant
from geoplatform.models import Territory
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)

ROW = [ORIGIN[0], ORIGIN[1], ORIGIN[0] + 4000, ORIGIN[1] + 1000]


@pytest.fixture
def grid(organisations, producer_a, tmp_path):
    """Four 500 m squares in a row, `code` 0..3, `nom` "Parcelle n°<code> à l'été" (private)."""
    archive = shapefile_zip(tmp_path, squares(count=4, size=500))
    return import_now(producer_a, organisations["a"], archive, "Grille").dataset


def equal(name, value):
    return (
        f"<Filter><PropertyIsEqualTo><PropertyName>{name}</PropertyName>"
        f"<Literal>{value}</Literal></PropertyIsEqualTo></Filter>"
    )


def _params(dataset, **extra):
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": dataset.layer_name,
        "STYLES": "",
        "CRS": "EPSG:2154",
        "BBOX": ",".join(map(str, ROW)),
        "WIDTH": 400,
        "HEIGHT": 100,
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
    }
    return {**params, **extra}


def _drawn(response) -> list[bool]:
    """Which of the four squares are drawn."""
    assert response["Content-Type"] == "image/png", response.content[:500]
    image = Image.open(io.BytesIO(response.content)).convert("RGBA")
    return [image.getpixel((int((i * 1000 + 250) / 4000 * 400), 75))[3] > 0 for i in range(4)]


def _urls(dataset):
    return (f"/ows/dataset/{dataset.pk}", "/ows", f"/ows/org/{dataset.organisation.slug}")


def test_getmap_draws_only_the_matching_features(client, grid):
    Dataset.objects.filter(pk=grid.pk).update(public=True)
    like = (
        '<Filter xmlns="http://www.opengis.net/ogc"><PropertyIsLike wildCard="*" singleChar="." escape="!">'
        "<PropertyName>nom</PropertyName><Literal>*n°2 à*</Literal></PropertyIsLike></Filter>"
    )
    for url in _urls(grid):
        assert _drawn(client.get(url, _params(grid))) == [True] * 4
        assert _drawn(client.get(url, _params(grid, FILTER=equal("code", 1)))) == [False, True, False, False], url
        assert _drawn(client.get(url, _params(grid, FILTER=like))) == [False, False, True, False], url
    # As the viewer writes `gp:filter` {"attribute": "nom", "operator": "like", "value": …} (see
    # frontend/src/viewer/layers.js)
    viewer = (
        '(<Filter><PropertyIsLike wildCard="*" singleChar="." escapeChar="!" matchCase="false">'
        "<PropertyName>nom</PropertyName><Literal>*PARCELLE N°3*</Literal></PropertyIsLike></Filter>)"
    )
    assert _drawn(client.get("/ows", _params(grid, FILTER=viewer))) == [False, False, False, True]
    literal = equal("code", "1' OR '1'='1")  # a literal stays a literal
    assert _drawn(client.get("/ows", _params(grid, FILTER=literal))) == [False] * 4


def test_getfeatureinfo_answers_only_matching_features(client, grid):
    Dataset.objects.filter(pk=grid.pk).update(public=True)
    info = {"REQUEST": "GetFeatureInfo", "QUERY_LAYERS": grid.layer_name, "INFO_FORMAT": "application/json"}
    on_square_1 = _params(grid, **info, I="125", J="75", FILTER=equal("code", 1))
    found = json.loads(client.get("/ows", on_square_1).content)["features"]
    assert [f["properties"]["code"] for f in found] == [1]
    on_square_0 = {**on_square_1, "I": "25"}
    assert json.loads(client.get("/ows", on_square_0).content)["features"] == []


def test_unknown_or_hostile_filters_are_service_exceptions(client, grid):
    Dataset.objects.filter(pk=grid.pk).update(public=True)
    for url in _urls(grid):
        response = client.get(url, _params(grid, FILTER=equal("inconnu", 1)))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
        assert b"ServiceException" in response.content and "attribut inconnu « inconnu »" in response.content.decode()
    for hostile in (
        equal('code" = 1 OR (SELECT 1) = 1 OR "code', 1),  # MapServer would write this name into its SQL
        equal("surface", 1).replace("surface", "code") + "<!DOCTYPE x>",
        '<Filter><PropertyIsLike wildCard="\'" singleChar="." escape="!"><PropertyName>nom</PropertyName>'
        "<Literal>x</Literal></PropertyIsLike></Filter>",
        "<Filter><PropertyIsEqualTo>",
        "code=1",
    ):
        response = client.get("/ows", _params(grid, FILTER=hostile))
        assert response.status_code == 200 and b"ServiceException" in response.content, hostile
        assert b'locator="FILTER"' in response.content, "refused before MapServer ran it"
    twice = f"/ows?{'&'.join(f'{k}={v}' for k, v in _params(grid).items())}&FILTER={equal('code', 1)}&filter=x"
    assert b"ServiceException" in client.get(twice).content  # each spelling is checked
    wfs = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": f"ms:{grid.layer_name}"}
    fes = '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo>'
    fes += "<fes:ValueReference>inconnu</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo>"
    response = client.get("/ows", {**wfs, "FILTER": fes + "</fes:Filter>"})
    assert response.status_code == 400 and b"ExceptionReport" in response.content


def test_a_filter_cannot_reach_beyond_the_territory(client, grid, reader):
    """A reader granted the data within the western half (squares 0 and 1) filters within it, never beyond."""
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
    either = (
        "<Filter><Or><PropertyIsEqualTo><PropertyName>code</PropertyName><Literal>0</Literal></PropertyIsEqualTo>"
        "<PropertyIsGreaterThan><PropertyName>code</PropertyName><Literal>1</Literal></PropertyIsGreaterThan>"
        "</Or></Filter>"
    )
    for url in (f"/ows/dataset/{grid.pk}", "/ows"):
        assert _drawn(client.get(url, _params(grid))) == [True, True, False, False]
        assert _drawn(client.get(url, _params(grid, FILTER=either))) == [True, False, False, False], url
        assert _drawn(client.get(url, _params(grid, FILTER=equal("code", 3)))) == [False] * 4, url
