"""WMTS through MapProxy: capabilities with both tile matrix sets, tiles drawn where the features are, the tile
cache (hits from disk, invalidation, seeding) and the rights in front of it."""

import base64
import io
import json
import math
import subprocess

import pytest
from django.core.management import call_command
from django.test import Client
from osgeo import osr
from owslib.wmts import WebMapTileService
from PIL import Image

from catalogue.models import Grant
from geoplatform.models import ApiToken
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares
from tests.wxs.test_territory_vector import TERRITORY_L93, make_territory
from wxs import changes, mapproxy

pytestmark = pytest.mark.django_db(transaction=True)

X, Y = ORIGIN
MERCATOR_HALF = 20037508.342789244
INSIDE = (X + 250, Y + 250)  # the centre of square 0 (X..X+500)
OUTSIDE = (X + 1750, Y + 250)  # between square 1 (X+1000..X+1500) and square 2 (X+2000..)
STRADDLING_OUT = (X + 1400, Y + 250)  # square 1, beyond the territory's edge at X+1250


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=4, size=500)), "Carrés")
    return job.dataset


@pytest.fixture
def public_dataset(dataset):
    dataset.public = True
    dataset.save()
    return dataset


def _to_mercator(x: float, y: float) -> tuple[float, float]:
    transform = osr.CoordinateTransformation(_srs(2154), _srs(3857))
    mx, my, _z = transform.TransformPoint(x, y)
    return mx, my


def _srs(epsg: int) -> osr.SpatialReference:
    ref = osr.SpatialReference()
    ref.ImportFromEPSG(epsg)
    ref.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return ref


def tile_of(grid: str, level: int, point: tuple[float, float]) -> tuple[int, int, tuple[int, int]]:
    """(row, col, pixel in the tile) of a Lambert-93 point, computed from the grids' published definitions."""
    if grid == mapproxy.WEB_MERCATOR:
        x, y = _to_mercator(*point)
        resolution = 2 * MERCATOR_HALF / 256 / 2**level
        left, top = -MERCATOR_HALF, MERCATOR_HALF
    else:
        x, y = point
        resolution = mapproxy.LAMB93_SCALES[level] * 0.00028
        left, top = 0.0, 12_000_000.0
    col, row = math.floor((x - left) / (256 * resolution)), math.floor((top - y) / (256 * resolution))
    pixel = (int((x - left) / resolution - col * 256), int((top - y) / resolution - row * 256))
    return row, col, pixel


def tile_path(dataset, grid: str, level: int, row: int, col: int) -> str:
    return f"/wmts/dataset/{dataset.pk}/1.0.0/{dataset.layer_name}/default/{grid}/{level}/{row}/{col}.png"


def get_tile(client, dataset, grid: str, level: int, point, **params):
    row, col, pixel = tile_of(grid, level, point)
    response = client.get(tile_path(dataset, grid, level, row, col), params)
    return response, pixel


def painted(response, pixel) -> bool:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).convert("RGBA").getpixel(pixel)[3] > 0


def test_capabilities_list_the_layer_with_both_matrix_sets(live_server, public_dataset):
    url = f"{live_server.url}/wmts/dataset/{public_dataset.pk}/1.0.0/WMTSCapabilities.xml"
    wmts = WebMapTileService(url)
    assert list(wmts.contents) == [public_dataset.layer_name]
    layer = wmts.contents[public_dataset.layer_name]
    assert layer.title == "Carrés"
    assert set(layer.tilematrixsetlinks) == {"GoogleMapsCompatible", "LAMB93"}
    lamb93 = wmts.tilematrixsets["LAMB93"]
    assert "2154" in lamb93.crs
    assert lamb93.tilematrix["00"].topleftcorner == (0.0, 12_000_000.0)
    assert lamb93.tilematrix["10"].scaledenominator == pytest.approx(364565.4170828571, rel=1e-9)
    assert len(lamb93.tilematrix) == 22
    assert "3857" in wmts.tilematrixsets["GoogleMapsCompatible"].crs
    # Links in the document are our public ones, never MapProxy's internal address.
    body = wmts.getServiceXML().decode() if isinstance(wmts.getServiceXML(), bytes) else wmts.getServiceXML()
    assert mapproxy.INTERNAL_HOST not in body
    assert f"{live_server.url}/wmts/dataset/{public_dataset.pk}/1.0.0/{public_dataset.layer_name}/" in body


def test_kvp_capabilities_and_gettile_through_owslib(live_server, public_dataset):
    wmts = WebMapTileService(f"{live_server.url}/wmts/dataset/{public_dataset.pk}?SERVICE=WMTS&REQUEST=GetCapabilities")
    assert public_dataset.layer_name in wmts.contents
    for grid, level in ((mapproxy.WEB_MERCATOR, 15), (mapproxy.LAMBERT93, 14)):
        row, col, pixel = tile_of(grid, level, INSIDE)
        tile = wmts.gettile(
            layer=public_dataset.layer_name, tilematrixset=grid, tilematrix=str(level), row=row, column=col
        )
        image = Image.open(io.BytesIO(tile.read())).convert("RGBA")
        assert image.size == (256, 256)
        assert image.getpixel(pixel)[3] > 0, f"the square is painted in its {grid} tile"
        row, col, pixel = tile_of(grid, level, OUTSIDE)
        tile = wmts.gettile(
            layer=public_dataset.layer_name, tilematrixset=grid, tilematrix=str(level), row=row, column=col
        )
        assert Image.open(io.BytesIO(tile.read())).convert("RGBA").getpixel(pixel)[3] == 0, "nothing between squares"


def test_rest_tiles_are_drawn_where_the_features_are(client, public_dataset):
    for grid, level in ((mapproxy.WEB_MERCATOR, 15), (mapproxy.LAMBERT93, 14)):
        assert painted(*get_tile(client, public_dataset, grid, level, INSIDE))
        assert not painted(*get_tile(client, public_dataset, grid, level, OUTSIDE))
    response, _pixel = get_tile(client, public_dataset, mapproxy.LAMBERT93, 14, INSIDE)
    assert response["Cache-Control"].startswith("public")


def test_gdal_opens_the_capabilities(live_server, public_dataset):
    url = f"{live_server.url}/wmts/dataset/{public_dataset.pk}/1.0.0/WMTSCapabilities.xml"
    info = subprocess.run(
        ["gdalinfo", "-json", f"WMTS:{url},layer={public_dataset.layer_name},tilematrixset=LAMB93"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    description = json.loads(info.stdout)
    assert "2154" in json.dumps(description["coordinateSystem"])
    assert description["size"][0] > 1000


def test_a_cached_tile_is_served_from_disk(client, public_dataset):
    level = 14
    row, col, pixel = tile_of(mapproxy.LAMBERT93, level, INSIDE)
    first = client.get(tile_path(public_dataset, mapproxy.LAMBERT93, level, row, col))
    assert painted(first, pixel)
    cache = mapproxy.cache_for(public_dataset)
    files = list(cache.grid_directory(mapproxy.LAMBERT93).rglob("*.png"))
    assert files, "the tile is stored in the LAMB93 cache directory"
    assert not list(cache.grid_directory(mapproxy.WEB_MERCATOR).rglob("*.png")), "one directory per grid"
    marker = io.BytesIO()
    Image.new("RGBA", (256, 256), (255, 0, 0, 255)).save(marker, "PNG")
    for path in files:  # if MapServer drew the second answer, the marker would not come back
        path.write_bytes(marker.getvalue())
    second = client.get(tile_path(public_dataset, mapproxy.LAMBERT93, level, row, col))
    assert Image.open(io.BytesIO(second.content)).convert("RGBA").getpixel((5, 5)) == (255, 0, 0, 255)


def test_a_cache_hit_answers_as_mapproxy_does(client, public_dataset):
    """A hit is read from the cache without MapProxy: same bytes, validators and conditional answers, REST or KVP."""
    level = 14
    row, col, pixel = tile_of(mapproxy.LAMBERT93, level, INSIDE)
    path = tile_path(public_dataset, mapproxy.LAMBERT93, level, row, col)
    first = client.get(path)  # a miss: MapProxy renders and stores it
    assert painted(first, pixel)
    second = client.get(path)
    assert second.content == first.content
    assert second["Cache-Control"] == first["Cache-Control"] and second["Content-Type"] == "image/png"
    engine = mapproxy.serve(  # MapProxy's own answer to the same hit (its miss answer dates the tile otherwise)
        public_dataset,
        mapproxy.cache_for(public_dataset),
        f"/wmts/1.0.0/{public_dataset.layer_name}/default/LAMB93/{level}/{row}/{col}.png",
    )
    assert engine.body == second.content
    assert (engine.headers["Etag"], engine.headers["Last-Modified"]) == (second["ETag"], second["Last-Modified"])
    kvp = client.get(
        f"/wmts/dataset/{public_dataset.pk}",
        {"SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": public_dataset.layer_name,
         "STYLE": "default", "TILEMATRIXSET": "LAMB93", "TILEMATRIX": str(level), "TILEROW": str(row),
         "TILECOL": str(col), "FORMAT": "image/png"},
    )  # fmt: skip
    assert kvp.status_code == 200 and kvp.content == first.content and kvp["ETag"] == second["ETag"]
    assert client.get(path, HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 304
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=second["Last-Modified"]).status_code == 304
    assert client.get(path, HTTP_IF_NONE_MATCH="other").status_code == 200


def test_a_cached_tile_is_refused_once_the_dataset_is_private(client, public_dataset):
    response, pixel = get_tile(client, public_dataset, mapproxy.LAMBERT93, 14, INSIDE)
    assert painted(response, pixel)
    assert list(mapproxy.cache_for(public_dataset).grid_directory(mapproxy.LAMBERT93).rglob("*.png"))
    type(public_dataset).objects.filter(pk=public_dataset.pk).update(public=False)  # no signal, no invalidation
    assert _refused(get_tile(client, public_dataset, mapproxy.LAMBERT93, 14, INSIDE)[0])


def _poison_cache(dataset) -> None:
    """Overwrite every cached tile with an opaque red one, as a stale cache would look."""
    marker = io.BytesIO()
    Image.new("RGBA", (256, 256), (255, 0, 0, 255)).save(marker, "PNG")
    for path in mapproxy.dataset_dir(dataset).rglob("*.png"):
        path.write_bytes(marker.getvalue())


def test_layer_changed_drops_the_cached_tiles(client, public_dataset):
    response, pixel = get_tile(client, public_dataset, mapproxy.LAMBERT93, 14, OUTSIDE)
    assert not painted(response, pixel)
    old = mapproxy.cache_for(public_dataset).directory
    _poison_cache(public_dataset)
    changes.layer_changed(public_dataset)
    response, pixel = get_tile(client, public_dataset, mapproxy.LAMBERT93, 14, OUTSIDE)
    assert not painted(response, pixel), "the stale tile is not served after the change"
    assert not old.exists()


def test_a_new_data_version_is_never_served_from_the_old_cache(client, public_dataset, producer_a, tmp_path):
    from importer.services.pipeline import create_import

    response, pixel = get_tile(client, public_dataset, mapproxy.LAMBERT93, 14, OUTSIDE)
    assert not painted(response, pixel)
    _poison_cache(public_dataset)
    # The new version has a square where there was none.
    x0, x1 = X + 1600, X + 1900
    moved = [(f"POLYGON(({x0} {Y},{x1} {Y},{x1} {Y + 500},{x0} {Y + 500},{x0} {Y}))", squares(count=1)[0][1])]
    path = shapefile_zip(tmp_path / "v2", moved)
    job = create_import(user=producer_a, path=path, filename=path.name, dataset=public_dataset, run_now=True)
    assert job.status == "succeeded", job.error_message
    public_dataset.refresh_from_db()
    assert painted(*get_tile(client, public_dataset, mapproxy.LAMBERT93, 14, OUTSIDE)), "drawn from the new data"
    assert not painted(*get_tile(client, public_dataset, mapproxy.LAMBERT93, 14, INSIDE)), "the old square is gone"


def test_seed_tiles_command_fills_the_cache(public_dataset):
    out = io.StringIO()
    call_command("seed_tiles", str(public_dataset.pk), "--grid", "LAMB93", "--levels", "10-12", stdout=out)
    cache = mapproxy.cache_for(public_dataset)
    seeded = list(cache.grid_directory(mapproxy.LAMBERT93).rglob("*.png"))
    assert seeded, out.getvalue()
    levels = {path.relative_to(cache.grid_directory(mapproxy.LAMBERT93)).parts[0] for path in seeded}
    assert levels == {"10", "11", "12"}
    assert not cache.grid_directory(mapproxy.WEB_MERCATOR).exists()


def test_mapproxy_config_command_prints_the_yaml(public_dataset):
    out = io.StringIO()
    call_command("mapproxy_config", str(public_dataset.pk), stdout=out)
    text = out.getvalue()
    assert "GoogleMapsCompatible" in text and "LAMB93" in text and "type: mapserver" in text
    assert str(public_dataset.layer_name) in text


def _refused(response) -> bool:
    return response.status_code == 404 and b"ExceptionReport" in response.content and b"Carr" not in response.content


def test_private_layer_is_refused_to_anonymous_and_other_organisations(client, dataset, producer_b):
    caps = f"/wmts/dataset/{dataset.pk}/1.0.0/WMTSCapabilities.xml"
    assert _refused(client.get(caps))
    assert _refused(get_tile(client, dataset, mapproxy.LAMBERT93, 14, INSIDE)[0])
    client.force_login(producer_b)
    assert _refused(client.get(caps))
    assert _refused(get_tile(client, dataset, mapproxy.LAMBERT93, 14, INSIDE)[0])
    assert _refused(client.get("/wmts/dataset/999999/1.0.0/WMTSCapabilities.xml")), "same answer as unknown"


def test_private_layer_with_a_personal_key_or_basic(live_server, dataset, producer_a):
    _token, key = ApiToken.issue(producer_a, "QGIS")
    client = Client()
    response, pixel = get_tile(client, dataset, mapproxy.LAMBERT93, 14, INSIDE, key=key)
    assert painted(response, pixel)
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    for path in mapproxy.tiles_root().rglob("*"):
        assert key not in path.name, "the key is never part of the cache"
    basic = base64.b64encode(f"{producer_a.username}:{key}".encode()).decode()
    row, col, pixel = tile_of(mapproxy.LAMBERT93, 14, INSIDE)
    response = client.get(tile_path(dataset, mapproxy.LAMBERT93, 14, row, col), HTTP_AUTHORIZATION=f"Basic {basic}")
    assert painted(response, pixel)
    # A GIS client given the capabilities URL with the key keeps sending it on every tile.
    url = f"{live_server.url}/wmts/dataset/{dataset.pk}/1.0.0/WMTSCapabilities.xml?key={key}"
    wmts = WebMapTileService(url)
    row, col, pixel = tile_of(mapproxy.LAMBERT93, 14, INSIDE)
    tile = wmts.gettile(layer=dataset.layer_name, tilematrixset="LAMB93", tilematrix="14", row=row, column=col)
    assert Image.open(io.BytesIO(tile.read())).convert("RGBA").getpixel(pixel)[3] > 0


def test_territory_restricted_caller_gets_clipped_tiles_never_the_full_cache(client, reader, producer_a, dataset):
    territory = make_territory(TERRITORY_L93)
    Grant.objects.create(dataset=dataset, action="view_data", grantee="user", user=reader, territory=territory)
    # The owner fills the full cache first, with square 1 drawn beyond the territory's edge.
    client.force_login(producer_a)
    assert painted(*get_tile(client, dataset, mapproxy.LAMBERT93, 14, STRADDLING_OUT))
    assert painted(*get_tile(client, dataset, mapproxy.LAMBERT93, 14, INSIDE))
    client.force_login(reader)
    response, pixel = get_tile(client, dataset, mapproxy.LAMBERT93, 14, STRADDLING_OUT)
    assert not painted(response, pixel), "beyond the territory nothing is drawn, whatever the full cache holds"
    assert painted(*get_tile(client, dataset, mapproxy.LAMBERT93, 14, INSIDE))
    assert "no-store" in response["Cache-Control"]
    full = mapproxy.cache_for(dataset).directory
    restricted = mapproxy.cache_for(dataset, territory_ids=(territory.pk,)).directory
    assert full != restricted and restricted.exists()
    # Cache hits too come from the caller's own cache: a poisoned full cache changes nothing for the reader.
    marker = io.BytesIO()
    Image.new("RGBA", (256, 256), (255, 0, 0, 255)).save(marker, "PNG")
    for path in full.rglob("*.png"):
        path.write_bytes(marker.getvalue())
    response, pixel = get_tile(client, dataset, mapproxy.LAMBERT93, 14, STRADDLING_OUT)
    assert not painted(response, pixel), "a hit for the reader is never read from the full cache"


def test_tile_requests_are_counted_as_wmts(client, public_dataset):
    from geoplatform import statistics
    from geoplatform.models import UsageCount

    response, _pixel = get_tile(client, public_dataset, mapproxy.LAMBERT93, 14, INSIDE)
    assert statistics.classify(response.wsgi_request) == (UsageCount.Kind.OGC, "WMTS")
    caps = client.get(f"/tms/dataset/{public_dataset.pk}/1.0.0/")
    assert statistics.classify(caps.wsgi_request) == (UsageCount.Kind.OGC, "WMTS")


def test_seed_task_fills_the_cache(public_dataset):
    from wxs.tasks import seed_tiles

    result = seed_tiles.apply(args=[public_dataset.pk, ["GoogleMapsCompatible"], "12"])
    assert result.get() > 0
    assert list(mapproxy.cache_for(public_dataset).grid_directory(mapproxy.WEB_MERCATOR).rglob("*.png"))
