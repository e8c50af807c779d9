"""The map pages: list, viewer, embeddable view, composer and import, each showing what the caller may see."""

import html
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalogue.models import Dataset
from geoplatform.models import PlatformSettings
from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares
from viewer import owscontext, services
from viewer.models import Map

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def maps(organisations, producer_a, tmp_path):
    """A public map showing a public and a private layer, and a private map."""
    parks = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path / "p", squares(count=2)), "Parcs").dataset
    Dataset.objects.filter(pk=parks.pk).update(public=True)
    network = import_now(
        producer_a, organisations["a"], shapefile_zip(tmp_path / "q", squares(count=2)), "Réseau secret"
    ).dataset
    parks.refresh_from_db()
    public = services.create_map(
        producer_a,
        owscontext.new_context(
            "Carte des parcs", [owscontext.dataset_resource(parks), owscontext.dataset_resource(network)]
        ),
        public=True,
    )
    private = services.create_map(
        producer_a, owscontext.new_context("Carte interne", [owscontext.dataset_resource(network)])
    )
    return public, private


def _viewer_context(response) -> dict:
    page = response.content.decode()
    start = page.index('data-context="') + len('data-context="')
    return json.loads(html.unescape(page[start : page.index('"', start)]))


def test_the_list_shows_the_maps_each_visitor_may_see(client, producer_a, maps):
    public, private = maps
    page = client.get("/cartes/").content.decode()
    assert "Carte des parcs" in page and "Carte interne" not in page
    assert f"/cartes/{public.pk}/modifier/" not in page and "Nouvelle carte" not in page

    client.force_login(producer_a)
    page = client.get("/cartes/").content.decode()
    assert "Carte des parcs" in page and "Carte interne" in page
    assert f"/cartes/{private.pk}/modifier/" in page and "Importer un contexte OWS" in page


def test_the_viewer_gets_only_the_layers_the_visitor_may_view(client, producer_a, maps):
    public, private = maps
    response = client.get(f"/cartes/{public.pk}/")
    assert response.status_code == 200
    assert [f["properties"]["title"] for f in _viewer_context(response)["features"]] == ["Parcs"]
    assert "Réseau secret" not in response.content.decode()
    assert client.get(f"/cartes/{private.pk}/").status_code == 404
    assert response["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in response["Content-Security-Policy"]

    client.force_login(producer_a)
    response = client.get(f"/cartes/{public.pk}/")
    assert [f["properties"]["title"] for f in _viewer_context(response)["features"]] == ["Parcs", "Réseau secret"]
    assert f'href="/cartes/{public.pk}/modifier/"' in response.content.decode()


def test_administrators_base_maps_are_allowed_by_the_map_pages_policy(client, maps):
    public, _private = maps
    base_maps = [{"name": "Plan IGN", "type": "wmts", "url": "https://data.geopf.fr/wmts"}]
    PlatformSettings.objects.update_or_create(pk=1, defaults={"base_maps": base_maps})
    for path in (f"/cartes/{public.pk}/", f"/cartes/{public.pk}/integration/"):
        response = client.get(path)
        policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
        assert "https://data.geopf.fr" in policy["img-src"].split() and "https://data.geopf.fr" in policy["connect-src"]
        assert "https://data.geopf.fr" not in policy["script-src"]
        assert (
            json.loads(html.unescape(response.content.decode().split('data-base-maps="')[1].split('"')[0])) == base_maps
        )


def test_the_embedded_view_may_be_framed_and_has_no_platform_chrome(client, maps):
    public, private = maps
    response = client.get(f"/cartes/{public.pk}/integration/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert "Navigation principale" not in page and "data-print-url" not in page
    assert [f["properties"]["title"] for f in _viewer_context(response)["features"]] == ["Parcs"]
    assert client.get(f"/cartes/{private.pk}/integration/").status_code == 404


def test_the_composer_is_for_producers_and_editors_of_the_map(client, reader, producer_a, producer_b, maps):
    public, _private = maps
    assert client.get("/cartes/nouvelle/").status_code == 302  # to the login page
    client.force_login(reader)
    assert client.get("/cartes/nouvelle/").status_code == 403
    client.force_login(producer_b)
    assert client.get("/cartes/nouvelle/").status_code == 200
    assert client.get(f"/cartes/{public.pk}/modifier/").status_code == 404

    client.force_login(producer_a)
    page = client.get(f"/cartes/{public.pk}/modifier/").content.decode()
    assert "data-gp-composer" in page and f'data-map-id="{public.pk}"' in page
    assert f'data-save-url="/api/v1/maps/{public.pk}/"' in page and 'data-search-url="/api/v1/datasets/"' in page
    assert 'data-capabilities-url="/cartes/capacites/"' in page and "data-csrf=" in page
    new = client.get("/cartes/nouvelle/").content.decode()
    assert 'data-save-url="/api/v1/maps/"' in new and "data-map-id" not in new


def test_a_producer_imports_an_ows_context_file_as_a_new_map(client, producer_a, reader, maps):
    public, _private = maps
    exported = client.get(f"/cartes/{public.pk}/contexte.json").content
    client.force_login(reader)
    assert client.get("/cartes/importer/").status_code == 403

    client.force_login(producer_a)
    response = client.post(
        "/cartes/importer/",
        {
            "file": SimpleUploadedFile("carte.json", exported, "application/json"),
            "organisation": producer_a.memberships.get().organisation_id,
        },
    )
    created = Map.objects.exclude(pk__in=[m.pk for m in maps]).get()
    assert response.status_code == 302 and response["Location"] == f"/cartes/{created.pk}/modifier/"
    assert created.record.title == "Carte des parcs" and not created.record.public
    assert [f["properties"]["title"] for f in created.context["features"]] == ["Parcs"]

    response = client.post(
        "/cartes/importer/",
        {
            "file": SimpleUploadedFile("carte.json", b"<xml/>", "application/json"),
            "organisation": producer_a.memberships.get().organisation_id,
        },
    )
    assert response.status_code == 200
    assert Map.objects.count() == 3
    assert "Le fichier n&#x27;est pas un document JSON." in response.content.decode()


def test_the_viewer_speaks_the_visitors_language(client, maps):
    public, _private = maps
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get(f"/cartes/{public.pk}/")
    page = response.content.decode()
    assert "Measure a distance" in page and "Mesurer une distance" not in page
    texts = json.loads(html.unescape(page.split('data-messages="')[1].split('"')[0]))
    assert texts["up"] == "Move “{title}” up" and texts["resultOf"] == "Feature {index} of {count} — {title}"
