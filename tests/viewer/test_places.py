"""Place search of the viewer: communes and searchable layers, accent-blind, ranked, only what the caller may see."""

import html
import statistics
import time

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection
from osgeo import ogr

from catalogue.models import Dataset, Grant
from geoplatform.models import AuditEvent, GazetteerLayer, PlatformSettings, Territory
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares
from viewer import gazetteer

pytestmark = pytest.mark.django_db(transaction=True)

# Names chosen so that "tours" matches each way once: whole name, start, a word, inside a word.
COMMUNES = [
    ("37261", "Tours"),
    ("37262", "Toursac"),
    ("37018", "Saint-Avertin-lès-Tours"),
    ("37025", "Bétours"),
    ("37027", "Bléré"),
    ("37214", "Saint-Cyr-sur-Loire"),
]


@pytest.fixture
def communes(organisations, producer_a, tmp_path):
    features = []
    for i, (insee, nom) in enumerate(COMMUNES):
        x, y = ORIGIN[0] + i * 1000, ORIGIN[1]
        wkt = f"POLYGON(({x} {y},{x + 1000} {y},{x + 1000} {y + 1000},{x} {y + 1000},{x} {y}))"
        features.append((wkt, {"insee": insee, "nom": nom}))
    archive = shapefile_zip(
        tmp_path / "communes", features, name="communes", fields={"insee": ogr.OFTString, "nom": ogr.OFTString}
    )
    dataset = import_now(producer_a, organisations["a"], archive, "Communes").dataset
    Dataset.objects.filter(pk=dataset.pk).update(public=True)
    PlatformSettings.objects.update_or_create(pk=1, defaults={"communes_dataset": dataset})
    return Dataset.objects.get(pk=dataset.pk)


@pytest.fixture
def parcels(organisations, producer_a, tmp_path):
    """A private layer of 8 squares named "Parcelle n°<i> à l'été", made searchable by their name."""
    dataset = import_now(
        producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=8)), "Cadastre privé"
    ).dataset
    GazetteerLayer.objects.create(dataset=dataset, label_field="nom")
    return dataset


def _search(client, q):
    response = client.get("/cartes/lieux/", {"q": q})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_communes_are_found_accent_and_case_blind_and_ranked(client, communes):
    results = _search(client, "TOURS")
    assert [r["label"] for r in results] == ["Tours", "Toursac", "Saint-Avertin-lès-Tours", "Bétours"]
    tours = results[0]
    assert tours["kind"] == "commune" and tours["insee"] == "37261"
    west, south, east, north = tours["bbox"]
    assert 0.6 < west < east < 0.8 and 47.3 < south < north < 47.5, tours["bbox"]
    lon, lat = tours["center"]
    assert west <= lon <= east and south <= lat <= north
    assert [r["label"] for r in _search(client, "blere")] == ["Bléré"]
    assert [r["label"] for r in _search(client, "saint cyr")] == ["Saint-Cyr-sur-Loire"]
    assert [r["label"] for r in _search(client, "sur-loire")] == ["Saint-Cyr-sur-Loire"]
    assert _search(client, "%") == [] and _search(client, "zzz") == []


def test_bad_queries_get_a_code(client, communes):
    response = client.get("/cartes/lieux/", {"q": "  "})
    assert response.status_code == 400 and response.json()["error"]["code"] == "missing_query"
    response = client.get("/cartes/lieux/", {"q": "x" * 101})
    assert response.status_code == 400 and response.json()["error"]["code"] == "query_too_long"


def test_a_searchable_layer_is_searched_only_for_those_who_may_view_its_data(client, communes, parcels, member_a):
    assert _search(client, "parcelle") == []  # anonymous: the layer is private
    assert b"Cadastre" not in client.get("/cartes/lieux/", {"q": "parcelle"}).content
    client.force_login(member_a)
    results = _search(client, "PARCELLE N°3 A L'ETE")
    assert results[0]["label"] == "Parcelle n°3 à l'été" and results[0]["kind"] == "Cadastre privé"
    assert "insee" not in results[0]
    assert len(_search(client, "parcelle")) == 8
    GazetteerLayer.objects.filter(dataset=parcels).update(enabled=False)
    assert _search(client, "parcelle") == []


def test_a_territory_grant_finds_only_the_places_inside_the_territory(client, communes, parcels, reader):
    # The left half of the first row of squares (squares 0 and 1 of 0..3), in WGS84 from the layer itself.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsText(ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 2154), 4326))",
            [ORIGIN[0] - 10, ORIGIN[1] - 10, ORIGIN[0] + 1600, ORIGIN[1] + 600],
        )
        wkt = cursor.fetchone()[0]
    territory = Territory.objects.create(name="Ouest", geometry=MultiPolygon(Polygon.from_ewkt(wkt), srid=4326))
    Grant.objects.create(dataset=parcels, action="view_data", grantee="user", user=reader, territory=territory)
    client.force_login(reader)
    labels = sorted(r["label"] for r in _search(client, "parcelle"))
    assert labels == ["Parcelle n°0 à l'été", "Parcelle n°1 à l'été"]


def test_the_communes_layer_is_searched_only_when_its_data_is_visible(client, communes):
    Dataset.objects.filter(pk=communes.pk).update(public=False)
    assert _search(client, "tours") == []


def test_search_is_fast_on_the_communes(communes):
    gazetteer.search(_anonymous(), "tou")  # warm: indexes built, connection open
    times = []
    for _ in range(7):
        started = time.perf_counter()
        gazetteer.search(_anonymous(), "saint")
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.05, times


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def test_administrators_make_a_layer_searchable_audited(
    client, admin_user, communes, organisations, producer_a, tmp_path
):
    dataset = import_now(
        producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=2)), "Lieux-dits"
    ).dataset
    client.force_login(admin_user)
    page = client.get("/administration/lieux/nouvelle/")
    assert page.status_code == 200 and "Lieux-dits" in page.content.decode()
    refused = client.post("/administration/lieux/nouvelle/", {"dataset": dataset.pk, "label_field": "nom_x"})
    assert refused.status_code == 200 and "pas d'attribut « nom_x »" in html.unescape(refused.content.decode())
    saved = client.post(
        "/administration/lieux/nouvelle/", {"dataset": dataset.pk, "label_field": "nom", "enabled": "on"}
    )
    assert saved.status_code == 302 and saved["Location"].endswith("/administration/lieux/")
    layer = GazetteerLayer.objects.get(dataset=dataset)
    assert AuditEvent.objects.filter(action="gazetteer.create").exists()
    assert "Lieux-dits" in client.get("/administration/lieux/").content.decode()
    assert [r["kind"] for r in _search(client, "parcelle n°1")] == ["Lieux-dits"]
    client.post(f"/administration/lieux/{layer.pk}/", {"dataset": dataset.pk, "label_field": "nom"})
    assert not GazetteerLayer.objects.get(pk=layer.pk).enabled
    assert AuditEvent.objects.filter(action="gazetteer.update").exists()
