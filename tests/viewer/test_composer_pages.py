"""Map pages let the browser draw external layers: their origins (and, while composing, any web origin) are allowed
for images and data, and nothing else of the platform's Content-Security-Policy moves."""

import pytest

from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares
from viewer import owscontext, services

pytestmark = pytest.mark.django_db(transaction=True)

OFFERING = owscontext.OFFERING_BASE


def _external(href: str, title: str) -> dict:
    return {
        "type": "Feature",
        "id": f"{href}#{title}",
        "geometry": None,
        "properties": {
            "title": title,
            "offerings": [{"code": OFFERING + "wms", "operations": [{"code": "GetMap", "href": href}]}],
        },
    }


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {words[0]: words[1:] for words in (part.split() for part in policy.split(";")) if words}


@pytest.fixture
def map_with_external_layers(producer_a, organisations, tmp_path):
    ours = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=2)), "Bornes").dataset
    context = owscontext.new_context(
        "Carte mêlée",
        [
            owscontext.dataset_resource(ours),
            _external("https://data.geopf.fr/wms-r?LAYERS=ORTHOIMAGERY.ORTHOPHOTOS", "Orthophotos"),
            _external("http://carto.example.org:8080/wms?LAYERS=routes", "Routes"),
            # A host no CSP source can be made of: it must not end the directive and add its own.
            _external("http://evil.example;script-src%20*/wms?LAYERS=x", "Piège"),
        ],
    )
    assert "Piège" in [f["properties"]["title"] for f in context["features"]], "the context keeps the hostile layer"
    return services.create_map(producer_a, context, public=True)


def test_a_map_page_allows_its_external_layers_origins_for_images_and_data_only(client, map_with_external_layers):
    for url in (f"/cartes/{map_with_external_layers.pk}/", f"/cartes/{map_with_external_layers.pk}/integration/"):
        response = client.get(url)
        assert response.status_code == 200
        directives = _directives(response)
        for name in ("img-src", "connect-src"):
            assert {"https://data.geopf.fr", "http://carto.example.org:8080"} <= set(directives[name]), url
            assert not any("evil" in source for source in directives[name]), url
        assert directives["script-src"] == ["'self'"], url
        assert "https://data.geopf.fr" not in directives["default-src"]
    assert _directives(client.get(f"/cartes/{map_with_external_layers.pk}/integration/"))["frame-ancestors"] == ["*"]


def test_the_composer_page_allows_any_web_origin_for_layers(client, producer_a, map_with_external_layers):
    client.force_login(producer_a)
    for url in ("/cartes/nouvelle/", f"/cartes/{map_with_external_layers.pk}/modifier/"):
        response = client.get(url)
        assert response.status_code == 200
        directives = _directives(response)
        assert {"http:", "https:"} <= set(directives["img-src"]) & set(directives["connect-src"]), url
        assert directives["script-src"] == ["'self'"] and directives["frame-ancestors"] == ["'none'"], url
        assert b"data-gp-composer" in response.content


def test_the_composer_panel_gets_its_texts_in_the_visitors_language(client, producer_a):
    client.force_login(producer_a)
    assert "Composer la carte" in client.get("/cartes/nouvelle/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/cartes/nouvelle/").content.decode()
    assert "Compose the map" in page and "Add the external layer “{title}” to the map" in page
    assert "Composer la carte" not in page
