"""The global `/ows` and organisation `/ows/org/<slug>` services: WMS with OWSLib and GDAL, rights per caller."""

import io
import json
import subprocess

import pytest
from owslib.wms import WebMapService
from PIL import Image

from catalogue.models import Dataset
from geoplatform import tokens
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def layers(organisations, producer_a, tmp_path):
    """A public layer of organisation A (12 squares) and a private one (1 square)."""
    public = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path / "p", squares()), "Parcelles").dataset
    Dataset.objects.filter(pk=public.pk).update(public=True)
    public.refresh_from_db()
    private = import_now(
        producer_a, organisations["a"], shapefile_zip(tmp_path / "q", squares(count=1)), "Secret défense"
    ).dataset
    return public, private


def _getmap_params(layer: str, bbox, crs="EPSG:2154", fmt="image/png", version="1.3.0") -> dict:
    return {
        "SERVICE": "WMS",
        "VERSION": version,
        "REQUEST": "GetMap",
        "LAYERS": layer,
        "STYLES": "",
        "CRS" if version == "1.3.0" else "SRS": crs,
        "BBOX": ",".join(map(str, bbox)),
        "WIDTH": "100",
        "HEIGHT": "100",
        "FORMAT": fmt,
        "TRANSPARENT": "TRUE",
    }


@pytest.mark.parametrize("version", ["1.1.1", "1.3.0"])
def test_global_capabilities_with_owslib(live_server, layers, version):
    public, private = layers
    wms = WebMapService(f"{live_server.url}/ows", version=version)
    assert public.layer_name in wms.contents
    assert private.layer_name not in wms.contents  # anonymous: the private layer is not listed
    layer = wms.contents[public.layer_name]
    assert layer.title == "Parcelles"
    assert layer.metadataUrls and layer.metadataUrls[0]["url"].endswith(f"/donnees/{public.pk}/iso19139.xml")
    assert "EPSG:2154" in layer.crsOptions and "EPSG:3857" in layer.crsOptions and "EPSG:3948" in layer.crsOptions
    assert layer.boundingBoxWGS84 is not None
    assert "image/png" in wms.getOperationByName("GetMap").formatOptions
    info = wms.getOperationByName("GetFeatureInfo").formatOptions
    assert {"text/html", "application/json"} <= set(info)
    assert wms.provider.contact.organization
    assert "/ows/dataset/" not in wms.getOperationByName("GetMap").methods[0]["url"]


def test_inspire_view_service_extension(client, layers):
    response = client.get("/ows", {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"})
    text = response.content.decode()
    assert "inspire_vs:ExtendedCapabilities" in text
    assert (
        "/csw?" in text
        and "<inspire_common:Language><inspire_common:LanguageCode>fre" in text.replace("\n", "").replace(" ", "")
        or "fre" in text
    )


def test_organisation_service_lists_only_its_layers(client, layers, organisations, producer_b, tmp_path):
    public, _ = layers
    other = import_now(producer_b, organisations["b"], shapefile_zip(tmp_path / "b", squares(2)), "Voirie").dataset
    Dataset.objects.filter(pk=other.pk).update(public=True)
    text = client.get("/ows/org/commune-a", {"SERVICE": "WMS", "REQUEST": "GetCapabilities"}).content.decode()
    assert f"<Name>{public.layer_name}</Name>" in text and f"<Name>{other.layer_name}</Name>" not in text
    assert client.get("/ows/org/nowhere", {"SERVICE": "WMS", "REQUEST": "GetCapabilities"}).status_code == 404


@pytest.mark.parametrize("fmt", ["image/png", "image/jpeg", "image/webp"])
def test_global_getmap_draws_features_where_they_are(client, layers, fmt):
    public, _ = layers
    x, y = ORIGIN
    response = client.get("/ows", _getmap_params(public.layer_name, [x, y, x + 1000, y + 1000], fmt=fmt))
    assert response.status_code == 200 and response["Content-Type"] == fmt, response.content[:300]
    image = Image.open(io.BytesIO(response.content)).convert("RGB")
    inside, outside = image.getpixel((25, 75)), image.getpixel((75, 25))
    assert inside != outside, f"{inside} vs {outside}"


def test_private_layer_for_owner_key_and_basic_only(client, layers, producer_a, producer_b, live_server):
    public, private = layers
    x, y = ORIGIN
    params = _getmap_params(private.layer_name, [x, y, x + 1000, y + 1000])
    refused = client.get("/ows", params)
    assert refused.status_code == 200 and b"ServiceException" in refused.content
    assert b"Secret" not in refused.content
    _, key = tokens.issue_token(None, producer_a, "QGIS")
    assert client.get("/ows", {**params, "key": key})["Content-Type"] == "image/png"
    # HTTP Basic through OWSLib, and another organisation's producer
    owner = WebMapService(
        f"{live_server.url}/ows", version="1.3.0", username="producteur-a", password="producteur-a-demo"
    )
    assert private.layer_name in owner.contents
    other = WebMapService(
        f"{live_server.url}/ows", version="1.3.0", username="producteur-b", password="producteur-b-demo"
    )
    assert private.layer_name not in other.contents and public.layer_name in other.contents
    client.force_login(producer_b)
    assert b"ServiceException" in client.get("/ows", params).content


@pytest.mark.parametrize(
    "fmt,marker",
    [("text/html", b"<table"), ("application/vnd.ogc.gml", b"<msGMLOutput"), ("application/json", b"Feature")],
)
def test_getfeatureinfo_formats(client, layers, fmt, marker):
    public, _ = layers
    x, y = ORIGIN
    params = _getmap_params(public.layer_name, [x, y, x + 1000, y + 1000])
    params.update(REQUEST="GetFeatureInfo", QUERY_LAYERS=public.layer_name, INFO_FORMAT=fmt, I="25", J="75")
    response = client.get("/ows", params)
    assert response.status_code == 200 and marker in response.content, response.content[:400]
    if fmt == "text/html":
        assert (
            "Parcelle n°0 à l&#39;été".encode() in response.content
            or "Parcelle n°0 à l&#x27;été".encode() in response.content
        )
    if fmt == "application/json":
        assert json.loads(response.content)["features"][0]["properties"]["code"] in (0, "0")


def test_legend_graphic(client, layers):
    public, _ = layers
    response = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetLegendGraphic",
            "LAYER": public.layer_name,
            "FORMAT": "image/png",
            "SLD_VERSION": "1.1.0",
        },
    )
    assert response["Content-Type"] == "image/png"


def test_gdal_wms_driver(live_server, layers):
    public, _ = layers
    completed = subprocess.run(
        ["gdalinfo", f"WMS:{live_server.url}/ows?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetCapabilities"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert f"LAYERS={public.layer_name}" in completed.stdout, completed.stdout + completed.stderr


def test_data_change_regenerates_the_service(client, layers):
    public, _ = layers
    params = {"SERVICE": "WMS", "REQUEST": "GetCapabilities"}
    client.get("/ows", params)
    public.title = "Parcelles renommées"
    public.save()
    assert b"Parcelles renomm" in client.get("/ows", params).content


def test_mapfile_command_prints_the_services(layers, capsys):
    from django.core.management import call_command

    public, private = layers
    call_command("mapfile", "--global")
    text = capsys.readouterr().out
    assert f'NAME "{public.layer_name}"' in text and f'NAME "{private.layer_name}"' not in text  # as anonymous
    call_command("mapfile", "--org", "commune-a")
    assert f'NAME "{public.layer_name}"' in capsys.readouterr().out
