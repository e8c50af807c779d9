"""Printing a map: a one-page PDF or PNG drawn by MapServer, with only the layers the caller may view."""

import io
import json
import math
import re

import numpy as np
import pypdfium2
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from PIL import Image
from pyproj import Transformer

from catalogue.models import Grant
from geoplatform.models import PlatformSettings, Territory
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares
from viewer import owscontext, printing
from wxs import styles
from wxs.models import Style

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/cartes/imprimer/"
# Inside the 2 km square both layers below cover: the whole map is the layer.
INSIDE = [ORIGIN[0] + 200, ORIGIN[1] + 200, ORIGIN[0] + 1800, ORIGIN[1] + 1800]


@pytest.fixture
def layers(organisations, producer_a, tmp_path):
    """A public and a private layer, each one 2 km square at the same place."""
    square = squares(count=1, size=2000)
    public = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path / "a", square), "Parcelles publiques")
    private = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path / "b", square), "Réseau secret")
    public.dataset.public = True
    public.dataset.save()
    return public.dataset, private.dataset


def _feature(dataset, title=None, opacity=1.0, **properties):
    feature = owscontext.dataset_resource(dataset, opacity=opacity)
    feature["properties"].update(title=title or dataset.title, **properties)
    return feature


def _external(title, getmap):
    """A layer of someone else's WMS, as the composer adds it."""
    operation = {"code": "GetMap", "method": "GET", "type": "image/png", "href": getmap}
    offering = {"code": owscontext.OFFERING_BASE + "wms", "operations": [operation]}
    return {"type": "Feature", "id": getmap, "geometry": None, "properties": {"title": title, "offerings": [offering]}}


def _body(*features, basemap="none", **options):
    context = owscontext.new_context("Carte", list(features))
    context["properties"]["gp:basemap"] = basemap
    return {"context": context, "bbox": INSIDE, "srid": 2154, "dpi": 96, "title": "Plan de Tours", **options}


def _post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def _pdf(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    sizes = [page.get_size() for page in document]
    return len(document), sizes, text


def _bluish(png: bytes) -> float:
    """Share of the page painted in the default polygon fill (blue over white)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    red, blue = pixels[..., 0], pixels[..., 2]
    return float(((blue - red > 40) & (blue > 180)).mean())


def test_pdf_of_a_public_layer(client, layers):
    public, _private = layers
    body = _body(_feature(public, "Parcelles de la commune"), paper="A3", orientation="landscape")
    response = _post(client, body)
    pages, sizes, text = _pdf(response)
    assert pages == 1
    width, height = sizes[0]
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (420, 297)  # A3 landscape, in mm
    assert "Plan de Tours" in text
    assert "Parcelles de la commune" in text  # legend
    assert "Commune A" in text  # sources
    assert "Légende" in text and "1:" in text
    assert response["Content-Disposition"].startswith('attachment; filename="carte-plan-de-tours-')


def test_png_has_the_layer_where_it_is_and_a_private_layer_is_never_drawn(client, layers, producer_a):
    public, private = layers
    body = _body(_feature(public), format="png")
    response = _post(client, body)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    page = Image.open(io.BytesIO(response.content))
    assert page.size == (round(297 / 25.4 * 96), round(210 / 25.4 * 96))  # A4 landscape at 96 dpi
    assert _bluish(response.content) > 0.3, "the layer should fill the map"

    # An anonymous caller asking for the private layer gets a page without it: no pixel, no title.
    response = _post(client, _body(_feature(private), format="png"))
    assert response.status_code == 200
    assert _bluish(response.content) == 0
    _pages, _sizes, text = _pdf(_post(client, _body(_feature(private))))
    assert "Réseau secret" not in text and "Commune A" not in text

    # Its producer sees it printed.
    client.force_login(producer_a)
    _pages, _sizes, text = _pdf(_post(client, _body(_feature(private))))
    assert "Réseau secret" in text


def test_a_territory_grant_prints_only_inside_the_territory(client, layers, producer_a, reader):
    _public, private = layers
    west_half = Polygon.from_bbox((ORIGIN[0] - 100, ORIGIN[1] - 100, ORIGIN[0] + 1000, ORIGIN[1] + 2100))
    west_half.srid = 2154
    territory = Territory.objects.create(
        name="Ouest", geometry=MultiPolygon(west_half.transform(4326, clone=True), srid=4326)
    )
    Grant.objects.create(dataset=private, action="view_data", grantee="user", user=reader, territory=territory)
    shares = {}
    for user in (producer_a, reader):
        client.force_login(user)
        shares[user.username] = _bluish(_post(client, _body(_feature(private), format="png")).content)
    assert 0.35 < shares[reader.username] / shares[producer_a.username] < 0.65, shares


def test_opacity_style_and_filter(client, layers):
    public, _private = layers
    faint = _post(client, _body(_feature(public, opacity=0.2), format="png", orientation="portrait"))
    pixels = np.asarray(Image.open(io.BytesIO(faint.content)).convert("RGB")).astype(int)
    centre = pixels[pixels.shape[0] // 3, pixels.shape[1] // 2]
    assert centre.min() > 200 and centre[2] > centre[0], f"a 20 % layer is a pale blue: {centre}"
    # The viewer's attribute filter applies to the print.
    for value, drawn in (("Parcelle", True), ("aucune", False)):
        only = {"attribute": "nom", "operator": "like", "value": value}
        response = _post(client, _body(_feature(public, **{"gp:filter": only}), format="png"))
        assert (_bluish(response.content) > 0.3) is drawn, value
    # So does the named style the viewer shows (STYLES of the layer's GetMap address).
    definition = styles.validate(public, "single", {"symbol": {"fill": "#ff0000", "opacity": 100}})
    Style.objects.create(dataset=public, name="rouge", kind="single", definition=definition)
    feature = owscontext.dataset_resource(public, "rouge")
    page = _post(client, _body(feature, format="png")).content
    pixels = np.asarray(Image.open(io.BytesIO(page)).convert("RGB"))
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
    assert red.mean() > 0.3 and _bluish(page) < 0.01


def test_external_wms_layers(client, layers, live_server, settings):
    """An external WMS (here our own service behind another address) is fetched through the SSRF-safe client; one
    in a private network is named under "Couches non imprimées" and never fetched."""
    public, _private = layers
    getmap = f"{live_server.url}/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={public.layer_name}&STYLES="
    private_network = "http://0.0.0.0:9/wms?SERVICE=WMS&REQUEST=GetMap&LAYERS=routes"  # refused, never fetched
    body = _body(_external("Routes (réseau interne)", private_network), _external("Parcelles voisines", getmap))
    settings.REMOTE_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]  # the test server's address
    response = _post(client, {**body, "format": "png"})
    assert _bluish(response.content) > 0.3, "the external layer should fill the map"
    _pages, _sizes, text = _pdf(_post(client, body))
    assert "Parcelles voisines" in text and "localhost" in text  # legend, sources
    assert "Couches non imprimées : Routes (réseau interne)" in text

    # A WMS base map of the platform settings is drawn under the layers and named in the sources.
    platform = PlatformSettings.load()
    platform.base_maps = [
        {"name": "Plan test", "type": "wms", "url": f"{live_server.url}/ows", "layers": public.layer_name}
    ]
    platform.save()
    response = _post(client, _body(basemap="Plan test", format="png"))
    assert _bluish(response.content) > 0.3, "the base map should fill the map"
    _pages, _sizes, text = _pdf(_post(client, _body(basemap="Plan test")))
    assert "Fond : Plan test." in text

    settings.REMOTE_ALLOWED_NETWORKS = []
    response = _post(client, {**body, "format": "png"})
    assert _bluish(response.content) == 0, "a loopback address is refused like any private one"
    _pages, _sizes, text = _pdf(_post(client, _body(basemap="Plan test")))
    assert "Fond : Plan test (non imprimé)." in text


def test_local_base_map_only_for_those_who_may_view_the_communes(client, layers, producer_a):
    _public, private = layers
    platform = PlatformSettings.load()
    platform.communes_dataset = private
    platform.save()
    response = _post(client, _body(basemap="local", format="png"))
    assert _bluish(response.content) == 0
    _pages, _sizes, text = _pdf(_post(client, _body(basemap="local")))
    assert "Fond : aucun." in text and "Réseau secret" not in text
    client.force_login(producer_a)
    assert _bluish(_post(client, _body(basemap="local", format="png")).content) > 0.3
    _pages, _sizes, text = _pdf(_post(client, _body(basemap="local")))
    assert "Fond : Réseau secret." in text


def _scale(response) -> float:
    _pages, _sizes, text = _pdf(response)
    return float(
        re.search(r"1:([\d\s\u202f\u00a0]+)", text)
        .group(1)
        .replace(" ", "")
        .replace("\u202f", "")
        .replace("\u00a0", "")
    )


@pytest.mark.django_db  # no layer to draw: a plain rolled-back transaction
def test_scale_is_the_ground_scale_whatever_the_view_crs(client):
    """10 km of ground across the map give the same scale from a Lambert-93 or a Web Mercator view (where 10 km
    at Tours' latitude span 10 km / cos(latitude) of projected metres)."""
    frame = printing.layout("A4", "landscape").map
    expected = 10_000 / (frame.width / 1000)
    x, y = ORIGIN
    height = 10_000 * frame.height / frame.width
    lambert = _post(client, _body(bbox=[x - 5000, y - height / 2, x + 5000, y + height / 2]))
    centre_x, centre_y = Transformer.from_crs(2154, 3857, always_xy=True).transform(x, y)
    stretch = 1 / math.cos(math.radians(Transformer.from_crs(2154, 4326, always_xy=True).transform(x, y)[1]))
    box = [
        centre_x - 5000 * stretch,
        centre_y - height / 2 * stretch,
        centre_x + 5000 * stretch,
        centre_y + height / 2 * stretch,
    ]
    mercator = _post(client, _body(srid=3857, bbox=box))
    assert _scale(lambert) == pytest.approx(expected, rel=0.01)
    assert _scale(mercator) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize(
    "change, code",
    [
        ({"paper": "A0"}, "invalid_paper"),
        ({"orientation": "diagonal"}, "invalid_orientation"),
        ({"format": "svg"}, "invalid_format"),
        ({"bbox": [1, 2, 3]}, "invalid_bbox"),
        ({"bbox": [10, 0, 0, 10]}, "invalid_bbox"),
        ({"srid": 4326, "bbox": [0, 0, 200, 10]}, "invalid_bbox"),
        ({"bbox": [-1e9, -1e9, 1e9, 1e9]}, "invalid_bbox"),  # nowhere near Lambert-93's area
        ({"srid": 3857, "bbox": [0, 0, 1e-9, 1e-9]}, "invalid_bbox"),  # larger than life
        ({"srid": 32631}, "invalid_srid"),
        ({"dpi": 1200}, "invalid_dpi"),
        ({"title": "x" * 201}, "invalid_title"),
        ({"context": {"features": "none"}}, "invalid_context"),
        ({"context": {"type": "FeatureCollection", "features": [{"properties": {"title": "x"}}]}}, "invalid_context"),
        (
            {"context": owscontext.new_context("Carte", [_external(str(i), f"https://a.fr/{i}") for i in range(31)])},
            "too_many_layers",
        ),
    ],
)
@pytest.mark.django_db  # refused before anything is drawn: no MapServer, a plain rolled-back transaction
def test_bad_requests_get_a_code_and_a_french_message(client, change, code):
    response = _post(client, {**_body(), **change})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


@pytest.mark.django_db
def test_a_context_without_title_or_profile_prints(client):
    """The composer's map may not have a title yet: the print has its own."""
    response = _post(client, _body(context={"type": "FeatureCollection", "properties": {}, "features": []}))
    assert _pdf(response)[0] == 1


@pytest.mark.django_db
def test_not_json_get_and_missing_csrf_are_refused(client, reader):
    response = client.post(URL, b"{", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    assert client.get(URL).status_code == 405
    from django.test import Client

    session = Client(enforce_csrf_checks=True)
    session.force_login(reader)
    response = session.post(URL, json.dumps(_body()), content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
