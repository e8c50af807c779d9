"""Maps through the API: a producer creates and saves them as OWS Context GeoJSON; each caller sees what they may."""

import pytest

from catalogue import records
from catalogue.models import Dataset
from tests.conftest import import_now, token_client
from tests.sample_data import shapefile_zip, squares
from viewer import owscontext, services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def layers(organisations, producer_a, tmp_path):
    """A public and a private layer of Commune A."""
    public = import_now(
        producer_a, organisations["a"], shapefile_zip(tmp_path / "p", squares(count=2)), "Parcs"
    ).dataset
    public.public = True
    public.save()
    private = import_now(
        producer_a, organisations["a"], shapefile_zip(tmp_path / "q", squares(count=2)), "Réseau"
    ).dataset
    return public, private


def _context(title, *datasets):
    return owscontext.new_context(title, [owscontext.dataset_resource(d) for d in datasets], bbox=[0, 45, 3, 48])


def test_producer_creates_a_map_from_an_ows_context_body_and_saves_new_versions(producer_a, layers):
    client = token_client(producer_a)
    response = client.post("/api/v1/maps/?public=1", _context("Espaces verts", *layers), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["title"] == "Espaces verts" and created["public"] is True and created["version"] == 1
    assert created["links"]["viewer"].endswith(f"/cartes/{created['id']}/")
    assert response["Location"] == created["links"]["self"]

    record = Dataset.objects.get(pk=created["id"])
    assert record.resource_type == "map" and record.bbox_wgs84 == [0, 45, 3, 48]

    changed = _context("Espaces verts 2026", layers[0])
    response = client.put(f"/api/v1/maps/{created['id']}/", changed, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert Dataset.objects.get(pk=created["id"]).title == "Espaces verts 2026"
    old = client.get(f"/cartes/{created['id']}/contexte.json?version=1").json()
    assert len(old["features"]) == 2


def test_a_public_map_hides_private_layers_from_those_who_may_not_view_them(producer_a, api_client, layers):
    map_ = services.create_map(producer_a, _context("Carte mixte", *layers), public=True)

    anonymous = api_client.get(f"/cartes/{map_.pk}/contexte.json")
    assert anonymous.status_code == 200
    titles = [f["properties"]["title"] for f in anonymous.json()["features"]]
    assert titles == ["Parcs"]
    assert "Réseau" not in anonymous.content.decode()

    producer = token_client(producer_a).get(f"/cartes/{map_.pk}/contexte.json").json()
    assert [f["properties"]["title"] for f in producer["features"]] == ["Parcs", "Réseau"]
    assert producer["bbox"] == [0, 45, 3, 48]
    assert producer["properties"]["publisher"] == "Commune A"


def test_private_maps_are_listed_and_served_only_to_those_who_may_see_them(producer_a, producer_b, api_client, layers):
    private = services.create_map(producer_a, _context("Carte interne", layers[0]))
    public = services.create_map(producer_a, _context("Carte ouverte", layers[0]), public=True)

    listed = {m["id"] for m in api_client.get("/api/v1/maps/").json()}
    assert public.pk in listed and private.pk not in listed
    assert api_client.get(f"/cartes/{private.pk}/contexte.json").status_code == 404
    assert api_client.get(f"/api/v1/maps/{private.pk}/").status_code == 404
    mine = {m["id"] for m in token_client(producer_a).get("/api/v1/maps/").json()}
    assert {public.pk, private.pk} <= mine
    other = token_client(producer_b)
    assert other.put(f"/api/v1/maps/{public.pk}/", _context("Volée", layers[0]), format="json").status_code == 404


def test_bad_documents_and_callers_get_stable_codes(producer_a, reader, api_client, layers):
    assert api_client.post("/api/v1/maps/", _context("X", layers[0]), format="json").status_code == 401
    forbidden = token_client(reader).post("/api/v1/maps/", _context("X", layers[0]), format="json")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "permission_denied"
    bad = token_client(producer_a).post("/api/v1/maps/", {"type": "FeatureCollection"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "not_owc"


def test_a_map_without_initial_extent_opens_on_its_layers(producer_a, api_client, layers):
    context = owscontext.new_context("Sans emprise", [owscontext.dataset_resource(layers[0])])
    map_ = services.create_map(producer_a, context, public=True)
    opened = api_client.get(f"/cartes/{map_.pk}/contexte.json").json()
    assert opened["bbox"] == layers[0].bbox_wgs84


def test_maps_are_catalogue_records_of_type_map(producer_a, layers):
    map_ = services.create_map(producer_a, _context("Carte des parcs", layers[0]), public=True)
    records.refresh([map_.pk])
    record = Dataset.objects.get(pk=map_.pk)
    assert record.anonymous_visible
    assert "type:map" in record.facet_terms
    assert "<gmd:MD_ScopeCode" in record.iso_xml and 'codeListValue="map"' in record.iso_xml
    assert f"/cartes/{map_.pk}/" in record.iso_xml  # the viewer is an online resource of the record


def test_the_record_page_of_a_map_opens_it_in_the_viewer(client, producer_a, layers):
    map_ = services.create_map(producer_a, _context("Carte des parcs", layers[0]), public=True)
    page = client.get(f"/donnees/{map_.pk}/").content.decode()
    assert f'href="/cartes/{map_.pk}/"' in page
    assert "Modifier la carte" not in page  # anonymous visitors may not edit it
    api = client.get(f"/api/v1/datasets/{map_.pk}/").json()
    assert api["links"]["viewer"].endswith(f"/cartes/{map_.pk}/")
    assert api["links"]["context"].endswith(f"/cartes/{map_.pk}/contexte.json")
