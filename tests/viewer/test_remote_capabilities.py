"""The composer reads external services through a server-side fetch that never reaches into a private network.

There is no Internet here: the refusals are tested against a local server that counts its visitors (a refused
address is never connected to), and the success path against our own `/ows` served by pytest-django's live server,
once its loopback network is explicitly allowed (GP_REMOTE_ALLOWED_NETWORKS).
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from catalogue.models import Dataset
from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares
from viewer import remote

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_LOOPBACK = "127.0.0.2"  # "outside": the one address the tests allow, serving the hostile answers
CAPABILITIES = b"""<?xml version="1.0"?>
<WMS_Capabilities version="1.3.0" xmlns="http://www.opengis.net/wms"><Service><Name>WMS</Name>
<Title>Service distant</Title></Service><Capability><Request><GetCapabilities><Format>text/xml</Format>
<DCPType><HTTP><Get><OnlineResource xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="http://x/wms?"/></Get>
</HTTP></DCPType></GetCapabilities><GetMap><Format>image/png</Format><DCPType><HTTP><Get>
<OnlineResource xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="http://x/wms?"/></Get></HTTP></DCPType>
</GetMap></Request><Layer><Title>Racine</Title><Layer queryable="1"><Name>routes</Name><Title>Routes</Title>
<EX_GeographicBoundingBox><westBoundLongitude>0</westBoundLongitude><eastBoundLongitude>1</eastBoundLongitude>
<southBoundLatitude>47</southBoundLatitude><northBoundLatitude>48</northBoundLatitude></EX_GeographicBoundingBox>
</Layer></Layer></Capability></WMS_Capabilities>"""
ENTITIES = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<WMS_Capabilities version="1.3.0" xmlns="http://www.opengis.net/wms"><Service><Title>&x;</Title></Service>
</WMS_Capabilities>"""


class Handler(BaseHTTPRequestHandler):
    hits: list[str] = []
    target_port = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        Handler.hits.append(self.path)
        route = self.path.split("?")[0]
        if route == "/to-loopback":
            self._redirect(f"http://127.0.0.1:{Handler.target_port}/")
        elif route == "/loop":
            self._redirect("/loop")
        elif route == "/ok-after-redirect":
            self._redirect("/wms")
        elif route == "/wms":
            self._answer(CAPABILITIES, "text/xml")
        elif route == "/entities":
            self._answer(ENTITIES, "text/xml")
        elif route == "/html":
            self._answer(b"<html><body>Bonjour</body></html>", "text/html")
        elif route == "/huge":
            self._answer(b"<a>" + b" " * (6 * 1024 * 1024) + b"</a>", "text/xml")
        elif route == "/slow":
            time.sleep(2)
            self._answer(CAPABILITIES, "text/xml")
        else:
            self._answer(b"counted", "text/plain")

    def _redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _answer(self, body, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (size or time limits)

    def log_message(self, *args):
        pass


def _serve(host):
    server = ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers():
    """A counting server on 127.0.0.1 (must never be reached) and the hostile "outside" one on 127.0.0.2."""
    Handler.hits = []
    inside, outside = _serve("127.0.0.1"), _serve(OTHER_LOOPBACK)
    Handler.target_port = inside.server_address[1]
    yield inside.server_address[1], outside.server_address[1]
    inside.shutdown()
    outside.shutdown()


@pytest.fixture
def producer_client(client, producer_a):
    client.force_login(producer_a)
    return client


def _error_code(client, url, service="WMS"):
    response = client.get("/cartes/capacites/", {"url": url, "service": service})
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()["error"]["code"]


def test_private_addresses_are_refused_without_being_contacted(producer_client, servers):
    port, _ = servers
    for url in (
        f"http://127.0.0.1:{port}/",
        f"http://localhost:{port}/",
        f"http://[::1]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/",
        f"http://10.1.2.3:{port}/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        f"http://2130706433:{port}/",  # 127.0.0.1 as one number
    ):
        assert _error_code(producer_client, url) == (400, "address_refused"), url
    for url in ("file:///etc/passwd", f"gopher://127.0.0.1:{port}/_GET", f"ftp://127.0.0.1:{port}/"):
        assert _error_code(producer_client, url) == (400, "address_refused"), url
    assert Handler.hits == [], "a refused address was contacted"


@override_settings(REMOTE_ALLOWED_NETWORKS=[f"{OTHER_LOOPBACK}/32"])
def test_redirects_are_checked_again_and_limited(producer_client, servers):
    _, outside = servers
    assert _error_code(producer_client, f"http://{OTHER_LOOPBACK}:{outside}/to-loopback") == (400, "address_refused")
    assert not any(hit == "/" for hit in Handler.hits), "the redirect to loopback was followed"
    assert _error_code(producer_client, f"http://{OTHER_LOOPBACK}:{outside}/loop") == (502, "unreachable")
    assert sum(hit.startswith("/loop") for hit in Handler.hits) == 4  # the first request and three redirects
    response = producer_client.get(
        "/cartes/capacites/", {"url": f"http://{OTHER_LOOPBACK}:{outside}/ok-after-redirect", "service": "WMS"}
    )
    assert response.status_code == 200, response.content
    document = response.json()
    assert document["title"] == "Service distant" and document["url"] == "http://x/wms"
    assert document["layers"] == [
        {
            "name": "routes",
            "title": "Routes",
            "abstract": "",
            "styles": [],
            "bbox_wgs84": [0.0, 47.0, 1.0, 48.0],
            "queryable": True,
            "formats": ["image/png"],
        }
    ]


@override_settings(REMOTE_ALLOWED_NETWORKS=[f"{OTHER_LOOPBACK}/32"])
def test_hostile_or_wrong_answers_get_stable_codes(producer_client, servers):
    _, outside = servers
    base = f"http://{OTHER_LOOPBACK}:{outside}"
    assert _error_code(producer_client, f"{base}/entities") == (502, "not_capabilities")
    assert _error_code(producer_client, f"{base}/html") == (502, "not_capabilities")
    assert _error_code(producer_client, f"{base}/huge") == (502, "too_large")
    assert _error_code(producer_client, f"{base}/wms", "WFS") == (502, "not_capabilities")
    assert _error_code(producer_client, f"{base}/wms", "CSW") == (400, "bad_service")
    assert _error_code(producer_client, "http://nom-inconnu.invalid/") == (502, "unreachable")
    with pytest.raises(remote.RemoteError) as slow:
        remote.safe_fetch(f"{base}/slow", timeout=0.5)
    assert slow.value.code == "timeout"
    response = producer_client.get("/cartes/capacites/", {"url": f"{base}/html", "service": "WMS"})
    assert "GetCapabilities" in response.json()["error"]["message"]  # French message for people


def test_only_producers_may_use_the_proxy(client, reader, servers):
    assert client.get("/cartes/capacites/", {"url": "http://example.org/", "service": "WMS"}).status_code == 401
    client.force_login(reader)
    response = client.get("/cartes/capacites/", {"url": "http://example.org/", "service": "WMS"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_our_own_ows_is_read_when_loopback_is_allowed_and_refused_otherwise(
    producer_client, live_server, organisations, producer_a, tmp_path
):
    dataset = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=2)), "Bornes").dataset
    Dataset.objects.filter(pk=dataset.pk).update(public=True)
    url = live_server.url.replace("localhost", "127.0.0.1") + "/ows"
    assert _error_code(producer_client, url) == (400, "address_refused")
    with override_settings(REMOTE_ALLOWED_NETWORKS=["127.0.0.0/8"]):
        response = producer_client.get("/cartes/capacites/", {"url": url, "service": "WMS"})
        assert response.status_code == 200, response.content
        wms = response.json()
        wfs = producer_client.get("/cartes/capacites/", {"url": url, "service": "WFS"}).json()
        wmts_url = url.removesuffix("/ows") + f"/wmts/dataset/{dataset.pk}/1.0.0/WMTSCapabilities.xml"
        wmts = producer_client.get("/cartes/capacites/", {"url": wmts_url, "service": "WMTS"}).json()
    assert wms["service"] == "WMS" and wms["version"] == "1.3.0"
    assert wms["url"].startswith(url)
    layer = next(item for item in wms["layers"] if item["name"] == dataset.layer_name)
    assert layer["title"] == "Bornes" and layer["queryable"] is True and "image/png" in layer["formats"]
    west, south, east, north = layer["bbox_wgs84"]
    assert 0.6 < west < east < 0.8 and 47.3 < south < north < 47.5
    features = next(item for item in wfs["layers"] if item["name"] == f"ms:{dataset.layer_name}")
    assert "application/json; subtype=geojson" in features["formats"], features  # from GetFeature (none per type)
    tiles = next(item for item in wmts["layers"] if item["name"] == dataset.layer_name)
    assert wmts["service"] == "WMTS" and {"LAMB93", "GoogleMapsCompatible"} <= set(tiles["matrix_sets"])
    assert tiles["resource_urls"] and "image/png" in tiles["formats"], tiles
