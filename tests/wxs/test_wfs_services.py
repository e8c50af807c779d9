"""WFS 1.1.0 and 2.0.0 on the global, organisation and dataset endpoints, with OWSLib and GDAL."""

import json
import subprocess

import pytest
from owslib.etree import etree
from owslib.fes import PropertyIsEqualTo
from owslib.wfs import WebFeatureService

from catalogue.models import Dataset
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def layers(organisations, producer_a, tmp_path):
    public = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path / "p", squares()), "Parcelles").dataset
    Dataset.objects.filter(pk=public.pk).update(public=True)
    public.refresh_from_db()
    private = import_now(
        producer_a, organisations["a"], shapefile_zip(tmp_path / "q", squares(count=1)), "Secret défense"
    ).dataset
    return public, private


def _typename(version: str, dataset: Dataset) -> str:
    return f"ms:{dataset.layer_name}" if version == "2.0.0" else dataset.layer_name


@pytest.mark.parametrize("version", ["1.1.0", "2.0.0"])
def test_capabilities_and_types(live_server, layers, version):
    public, private = layers
    wfs = WebFeatureService(f"{live_server.url}/ows", version=version)
    names = [name.split(":")[-1] for name in wfs.contents]
    assert public.layer_name in names and private.layer_name not in names
    layer = next(v for k, v in wfs.contents.items() if k.endswith(public.layer_name))
    assert layer.boundingBoxWGS84 is not None
    schema = wfs.get_schema(_typename(version, public))
    assert schema["properties"]["code"] in ("integer", "int", "long")
    assert schema["properties"]["surface"] in ("double", "float", "decimal")
    assert schema["properties"]["nom"] == "string"


def test_inspire_download_extension(client, layers):
    text = client.get("/ows", {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetCapabilities"}).getvalue().decode()
    assert "inspire_dls:ExtendedCapabilities" in text and "SpatialDataSetIdentifier" in text


@pytest.mark.parametrize("version", ["1.1.0", "2.0.0"])
def test_getfeature_bbox_paging_geojson(client, layers, version):
    public, _ = layers
    x, y = ORIGIN
    params = {
        "SERVICE": "WFS",
        "VERSION": version,
        "REQUEST": "GetFeature",
        "TYPENAME" if version == "1.1.0" else "TYPENAMES": _typename(version, public),
        "OUTPUTFORMAT": "geojson",
    }
    response = client.get("/ows", params)
    assert response.streaming  # passed on as MapServer writes it, never held whole in memory
    everything = json.loads(response.getvalue())
    assert len(everything["features"]) == 12
    window = json.loads(client.get("/ows", {**params, "BBOX": f"{x},{y},{x + 1600},{y + 600},EPSG:2154"}).getvalue())
    assert sorted(f["properties"]["code"] for f in window["features"]) == [0, 1]
    if version == "2.0.0":
        page = json.loads(client.get("/ows", {**params, "STARTINDEX": "10", "COUNT": "5"}).getvalue())
        assert len(page["features"]) == 2


def test_hits_filter_csv_gml_and_srsname(client, layers):
    public, _ = layers
    base = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": f"ms:{public.layer_name}"}
    hits = client.get("/ows", {**base, "RESULTTYPE": "hits"}).getvalue().decode()
    assert 'numberMatched="12"' in hits
    fes = etree.tostring(PropertyIsEqualTo("code", "3").toXML()).decode()
    fes = (
        f'<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0">{fes}</fes:Filter>'.replace("ogc:", "fes:")
        .replace("PropertyName", "ValueReference")
        .replace('xmlns:fes="http://www.opengis.net/ogc"', "")
    )
    filtered = json.loads(client.get("/ows", {**base, "OUTPUTFORMAT": "geojson", "FILTER": fes}).getvalue())
    assert [f["properties"]["code"] for f in filtered["features"]] == [3]
    csv = client.get("/ows", {**base, "OUTPUTFORMAT": "csv", "COUNT": "3"})
    rows = csv.getvalue()  # a streamed answer is read once
    assert csv.status_code == 200 and b"WKT" in rows and rows.count(b"\n") >= 4, rows[:300]
    gml = client.get("/ows", {**base, "COUNT": "1", "SRSNAME": "urn:ogc:def:crs:EPSG::4326"}).getvalue().decode()
    assert "http://www.opengis.net/gml/3.2" in gml and "4326" in gml


def test_private_layer_refused(client, layers):
    _, private = layers
    params = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": f"ms:{private.layer_name}"}
    response = client.get("/ows", params)
    assert b"ExceptionReport" in response.getvalue() and b"Secret" not in response.getvalue()
    describe = client.get("/ows", {**params, "REQUEST": "DescribeFeatureType"})
    assert b"Exception" in describe.getvalue()


def test_ogr2ogr_and_ogrinfo(live_server, layers, tmp_path):
    public, _ = layers
    out = tmp_path / "out.gpkg"
    completed = subprocess.run(
        ["ogr2ogr", "-f", "GPKG", str(out), f"WFS:{live_server.url}/ows?VERSION=2.0.0", public.layer_name],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    info = subprocess.run(["ogrinfo", "-so", "-al", str(out)], capture_output=True, text=True).stdout
    assert "Feature Count: 12" in info
    summary = subprocess.run(
        ["ogrinfo", "-so", f"WFS:{live_server.url}/ows?VERSION=2.0.0", public.layer_name],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "Feature Count: 12" in summary and "Extent:" in summary


def test_territory_grant_is_clipped_in_the_global_service(client, reader, organisations, producer_a, tmp_path):
    from django.contrib.gis.geos import GEOSGeometry

    from catalogue.models import Grant
    from tests.wxs.test_territory_vector import TERRITORY_L93, make_territory

    dataset = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path / "t", squares()), "Carrés").dataset
    Grant.objects.create(
        dataset=dataset, action="view_data", grantee="user", user=reader, territory=make_territory(TERRITORY_L93)
    )
    client.force_login(reader)
    params = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": f"ms:{dataset.layer_name}"}
    features = json.loads(client.get("/ows", {**params, "OUTPUTFORMAT": "geojson"}).getvalue())["features"]
    assert sorted(f["properties"]["code"] for f in features) == [0, 1]
    straddling = GEOSGeometry(json.dumps(next(f for f in features if f["properties"]["code"] == 1)["geometry"]))
    assert straddling.extent[2] <= ORIGIN[0] + 1250 + 0.01  # cut at the territory's edge
    client.logout()
    assert b"ExceptionReport" in client.get("/ows", params).getvalue()  # anonymous: not in its variant
