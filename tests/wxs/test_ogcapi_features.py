"""OGC API Features at /ogcapi/: pygeoapi serving every vector dataset as collection `ds<id>`, read by OWSLib and
GDAL (real clients), with the rights of every other service: a collection the caller may not view is absent and
answers like one that does not exist; a territory-restricted grant only gets the features inside, clipped."""

import json
import shutil
import subprocess

import pytest
import requests
from django.contrib.gis.geos import MultiPolygon, Polygon
from owslib.ogcapi.features import Features
from pyproj import Transformer
from shapely.geometry import box, shape

from catalogue.models import Dataset, Grant
from geoplatform import statistics
from geoplatform.models import ApiToken, Territory, UsageCount
from importer.services.pipeline import create_import
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)

X, Y = ORIGIN
# Lambert-93: square 0 (x 0-500) inside, square 1 (x 1000-1500) cut at x = 1250, everything else outside.
TERRITORY_L93 = (X - 100, Y - 100, X + 1250, Y + 600)


@pytest.fixture
def private(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=12, size=500)), "Carrés")
    return job.dataset


@pytest.fixture
def public(private):
    private.public = True
    private.save()
    return private


def _features(live_server) -> Features:
    return Features(f"{live_server.url}/ogcapi/")


def _ids(collections: dict) -> set[str]:
    return {c["id"] for c in collections["collections"]}


def _login_cookie(client, live_server, user) -> dict[str, str]:
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


def test_collection_metadata_and_items_through_owslib(live_server, public):
    client = _features(live_server)
    name = public.layer_name
    assert name in _ids(client.collections())

    collection = client.collection(name)
    assert collection["title"] == public.title
    bbox = collection["extent"]["spatial"]["bbox"][0]
    assert bbox == pytest.approx(public.bbox_wgs84)
    hrefs = {link["href"] for link in collection["links"]}
    assert any(href.endswith(f"/donnees/{public.pk}/") for href in hrefs)
    assert any(href.endswith(f"/donnees/{public.pk}/iso19139.xml") for href in hrefs)
    assert "http://www.opengis.net/def/crs/EPSG/0/2154" in collection["crs"]
    assert collection["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/2154"

    everything = client.collection_items(name, limit=100)
    assert everything["numberMatched"] == 12 and len(everything["features"]) == 12
    page = client.collection_items(name, limit=5, offset=10)
    assert page["numberReturned"] == 2

    # A WGS84 box (the default bbox CRS) inside square 0 finds it alone.
    to_wgs84 = Transformer.from_crs(2154, 4326, always_xy=True)
    box0 = [*to_wgs84.transform(X + 100, Y + 100), *to_wgs84.transform(X + 400, Y + 400)]
    square0 = client.collection_items(name, bbox=box0, limit=50)
    assert [f["properties"]["code"] for f in square0["features"]] == [0]

    filtered = client.collection_items(name, code=3)
    assert [f["properties"]["code"] for f in filtered["features"]] == [3]
    cql = client.collection_items(name, filter="code > 9", limit=50)
    assert sorted(f["properties"]["code"] for f in cql["features"]) == [10, 11]
    ordered = client.collection_items(name, sortby=("code", "desc"), limit=3)
    assert [f["properties"]["code"] for f in ordered["features"]] == [11, 10, 9]

    fid = everything["features"][0]["id"]
    item = client.collection_item(name, fid)
    assert item["id"] == fid and item["geometry"]["type"] in {"Polygon", "MultiPolygon"}

    queryables = client.collection_queryables(name)
    assert "code" in queryables["properties"]


def test_crs_reprojection_and_bbox_crs(live_server, public):
    url = f"{live_server.url}/ogcapi/collections/{public.layer_name}/items"
    lambert = requests.get(
        url,
        params={
            "f": "json",
            "crs": "http://www.opengis.net/def/crs/EPSG/0/2154",
            "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/2154",
            "bbox": f"{X + 10},{Y + 10},{X + 400},{Y + 400}",
        },
        timeout=30,
    )
    assert lambert.status_code == 200, lambert.text[:300]
    assert "EPSG/0/2154" in lambert.headers["Content-Crs"]
    features = lambert.json()["features"]
    assert [f["properties"]["code"] for f in features] == [0]
    minx, miny, maxx, maxy = shape(features[0]["geometry"]).bounds
    assert (minx, miny, maxx, maxy) == pytest.approx((X, Y, X + 500, Y + 500), abs=0.01)

    mercator = requests.get(url, params={"f": "json", "crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}, timeout=30)
    assert mercator.status_code == 200
    x, _y = shape(mercator.json()["features"][0]["geometry"]).centroid.coords[0]
    assert 50_000 < x < 100_000  # Tours lies near 0.68° E, about 76 km east of Greenwich in Web Mercator


def test_html_items_page(live_server, public):
    page = requests.get(f"{live_server.url}/ogcapi/collections/{public.layer_name}/items", params={"f": "html"})
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert public.title in page.content.decode()


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's command line tools are not installed")
def test_gdal_oapif_driver_reads_the_collection(live_server, public, settings):
    from wxs import pygeoapi

    settings.SITE_URL = live_server.url  # GDAL follows the links pygeoapi writes from its configured URL
    pygeoapi.engine.reset()
    result = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/ogcapi/collections/{public.layer_name}", public.layer_name],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Feature Count: 12" in result.stdout


def test_private_collection_visible_only_to_those_who_may_view_it(client, live_server, private, producer_a, producer_b):
    name = private.layer_name
    base = f"{live_server.url}/ogcapi"
    anonymous = requests.get(f"{base}/collections", params={"f": "json"}, timeout=30).json()
    assert name not in _ids(anonymous)
    openapi = requests.get(f"{base}/openapi", params={"f": "json"}, timeout=30).json()
    assert not any(path.startswith(f"/collections/{name}") for path in openapi["paths"])

    missing = requests.get(f"{base}/collections/ds999999", params={"f": "json"}, timeout=30)
    assert missing.status_code == 404
    for path in ("", "/items", "/items/1", "/queryables", "/schema"):
        refused = requests.get(f"{base}/collections/{name}{path}", params={"f": "json"}, timeout=30)
        assert refused.status_code == 404, path
        assert refused.headers["Content-Type"].startswith("application/json")
        assert private.title not in refused.text
    refused = requests.get(f"{base}/collections/{name}", params={"f": "json"}, timeout=30)
    assert refused.json()["description"] == missing.json()["description"].replace("ds999999", name)

    other = requests.get(
        f"{base}/collections", params={"f": "json"}, cookies=_login_cookie(client, live_server, producer_b)
    )
    assert name not in _ids(other.json())

    owner = _login_cookie(client, live_server, producer_a)
    assert name in _ids(requests.get(f"{base}/collections", params={"f": "json"}, cookies=owner, timeout=30).json())
    openapi = requests.get(f"{base}/openapi", params={"f": "json"}, cookies=owner, timeout=30).json()
    assert f"/collections/{name}/items" in openapi["paths"]

    key = ApiToken.issue(producer_a, "QGIS")[1]
    with_key = requests.get(
        f"{base}/collections/{name}/items", params={"f": "json", "key": key, "limit": 5}, timeout=30
    )
    assert with_key.status_code == 200 and with_key.json()["numberMatched"] == 12
    assert key not in with_key.text, "pygeoapi's links must not carry the personal access key"
    owslib_items = Features(f"{base}/", auth=None, headers=None).collection_items(name, key=key)
    assert owslib_items["numberMatched"] == 12

    basic = requests.get(f"{base}/collections/{name}/items", params={"f": "json"}, auth=("producteur-a", key))
    assert basic.status_code == 200
    password = requests.get(f"{base}/collections", params={"f": "json"}, auth=("producteur-a", "producteur-a-demo"))
    assert name in _ids(password.json())


def test_territory_restricted_grant_gets_only_clipped_features_inside(client, live_server, private, reader):
    area = Polygon.from_bbox(TERRITORY_L93)
    area.srid = 2154
    territory = Territory.objects.create(
        name="Territoire test", geometry=MultiPolygon(area.transform(4326, clone=True), srid=4326)
    )
    Grant.objects.create(dataset=private, action="view_data", grantee="user", user=reader, territory=territory)
    cookies = _login_cookie(client, live_server, reader)
    url = f"{live_server.url}/ogcapi/collections/{private.layer_name}/items"
    lambert = "http://www.opengis.net/def/crs/EPSG/0/2154"

    answer = requests.get(url, params={"f": "json", "crs": lambert, "limit": 100}, cookies=cookies, timeout=30).json()
    assert answer["numberMatched"] == 2, "the count must not reveal features outside the territory"
    assert sorted(f["properties"]["code"] for f in answer["features"]) == [0, 1]
    inside = box(*TERRITORY_L93).buffer(0.01)
    for feature in answer["features"]:
        assert inside.contains(shape(feature["geometry"])), feature["properties"]
    cut = next(f for f in answer["features"] if f["properties"]["code"] == 1)
    assert shape(cut["geometry"]).bounds[2] == pytest.approx(X + 1250, abs=0.01)

    outside = requests.get(url, params={"f": "json", "code": 5}, cookies=cookies, timeout=30).json()
    assert outside["numberMatched"] == 0
    fids = {f["properties"]["code"]: f["id"] for f in answer["features"]}
    item = requests.get(f"{url}/{fids[1]}", params={"f": "json", "crs": lambert}, cookies=cookies, timeout=30)
    assert item.status_code == 200 and inside.contains(shape(item.json()["geometry"]))
    collection = requests.get(url.removesuffix("/items"), params={"f": "json"}, cookies=cookies, timeout=30).json()
    west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
    txmin, tymin, txmax, tymax = territory.geometry.extent
    assert txmin <= west <= east <= txmax and tymin <= south <= north <= tymax, "the extent stays in the territory"
    everything = Features(f"{live_server.url}/ogcapi/")  # anonymous: not even the collection
    assert private.layer_name not in _ids(everything.collections())
    far = max(fids.values()) + 5
    assert requests.get(f"{url}/{far}", params={"f": "json"}, cookies=cookies, timeout=30).status_code == 404


def test_new_publication_and_new_version_show_up_without_restart(
    live_server, private, producer_a, organisations, tmp_path
):
    base = f"{live_server.url}/ogcapi"
    assert private.layer_name not in _ids(requests.get(f"{base}/collections", params={"f": "json"}).json())
    private.public = True
    private.save()
    assert private.layer_name in _ids(requests.get(f"{base}/collections", params={"f": "json"}).json())

    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path / "v2", squares(count=3)), "Carrés")
    second = job.dataset
    second.public = True
    second.save()
    items = requests.get(f"{base}/collections/{second.layer_name}/items", params={"f": "json"}).json()
    assert items["numberMatched"] == 3

    # A new data version lands in a new table: the collection follows it.
    old_table = second.table_name
    update = shapefile_zip(tmp_path / "v3", squares(count=5))
    job = create_import(user=producer_a, path=update, filename=update.name, dataset=second, run_now=True)
    assert job.status == "succeeded", job.error_message
    second.refresh_from_db()
    assert second.table_name != old_table
    items = requests.get(f"{base}/collections/{second.layer_name}/items", params={"f": "json"}).json()
    assert items["numberMatched"] == 5

    Dataset.objects.filter(pk=second.pk).delete()
    assert requests.get(f"{base}/collections/{second.layer_name}", params={"f": "json"}).status_code == 404


@pytest.fixture
def usage_counters():
    statistics.reset()

    def clean() -> None:
        client = statistics.redis_client()
        keys = list(client.scan_iter(statistics.redis_key("*")))
        if keys:
            client.delete(*keys)

    clean()
    yield
    clean()
    statistics.reset()


def test_requests_on_a_collection_are_counted_on_its_dataset(client, public, usage_counters):
    client.get(f"/ogcapi/collections/{public.layer_name}/items")
    client.get(f"/ogcapi/collections/{public.layer_name}")
    client.get("/ogcapi/collections/ds999999/items")
    statistics.flush()
    counts = UsageCount.objects.filter(kind=UsageCount.Kind.OGC)
    assert list(counts.values_list("dataset_id", "service", "count")) == [(public.pk, "OGC API Features", 2)]


def test_config_lists_dataset_collections(public):
    from wxs import pygeoapi

    config = pygeoapi.build_config()
    provider = config["resources"][public.layer_name]["providers"][0]
    assert provider["table"] == public.table_name and provider["id_field"] == "fid"
    assert provider["data"]["user"] != "postgres"
    assert json.dumps(config)  # plain data
