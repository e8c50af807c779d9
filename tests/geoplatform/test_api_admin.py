"""Administration API: organisations (with members), groups and territories, for platform administrators only."""

import json

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point

from catalogue.models import Grant
from geoplatform.models import AuditEvent, Membership, Organisation, Territory, UserGroup
from tests.conftest import import_now, token_client
from tests.geoplatform.test_grants import X, Y, communes_layer, wgs84
from tests.sample_data import shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)

SQUARE = {"type": "Polygon", "coordinates": [[[0.6, 47.3], [0.7, 47.3], [0.7, 47.4], [0.6, 47.4], [0.6, 47.3]]]}


def square_territory(name: str) -> Territory:
    return Territory.objects.create(name=name, geometry=MultiPolygon(GEOSGeometry(json.dumps(SQUARE)), srid=4326))


@pytest.fixture
def admin_api(admin_user):
    return token_client(admin_user)


@pytest.mark.parametrize("path", ["/api/v1/organisations/", "/api/v1/groups/", "/api/v1/territories/"])
def test_reserved_to_platform_administrators(path, api_client, producer_a, reader, admin_user):
    anonymous = api_client.get(path)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
    for user in (producer_a, reader):
        for method, body in (("get", None), ("post", {"name": "X", "slug": "x"})):
            response = getattr(token_client(user), method)(path, body, format="json")
            assert response.status_code == 403, (user, method)
            assert response.json()["error"]["code"] == "permission_denied"
    assert token_client(admin_user).get(path).status_code == 200


def test_organisation_crud(admin_api, admin_user, organisations):
    response = admin_api.post(
        "/api/v1/organisations/",
        {
            "name": "Syndicat des eaux",
            "slug": "syndicat-eaux",
            "description": "Eau potable",
            "website": "https://eaux.example.org",
            "contact_name": "Camille Martin",
            "contact_email": "camille@eaux.example.org",
            "is_partner": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["is_partner"] is True and body["members"] == [] and body["territory"] is None
    pk = body["id"]
    assert any(item["slug"] == "syndicat-eaux" for item in admin_api.get("/api/v1/organisations/").json()["results"])

    response = admin_api.patch(f"/api/v1/organisations/{pk}/", {"contact_name": "Léa Petit"}, format="json")
    assert response.status_code == 200 and response.json()["contact_name"] == "Léa Petit"
    duplicate = admin_api.post("/api/v1/organisations/", {"name": "Commune A", "slug": "autre"}, format="json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()["error"]["fields"]

    assert admin_api.delete(f"/api/v1/organisations/{pk}/").status_code == 204
    assert not Organisation.objects.filter(pk=pk).exists()
    actions = list(
        AuditEvent.objects.filter(target_type="geoplatform.organisation", target_id=str(pk))
        .order_by("created_at")
        .values_list("action", flat=True)
    )
    assert actions == ["organisation.create", "organisation.update", "organisation.delete"]
    update = AuditEvent.objects.get(action="organisation.update", target_id=str(pk))
    assert update.actor == admin_user
    assert update.before["contact_name"] == "Camille Martin" and update.after["contact_name"] == "Léa Petit"


def test_organisation_with_datasets_is_not_deleted(admin_api, organisations, producer_a, tmp_path):
    import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=1)), "Bâti")
    response = admin_api.delete(f"/api/v1/organisations/{organisations['a'].pk}/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "in_use"
    assert Organisation.objects.filter(pk=organisations["a"].pk).exists()
    assert not AuditEvent.objects.filter(action="organisation.delete").exists()


def test_organisation_members_added_changed_and_removed(admin_api, organisations, reader, producer_a):
    org = organisations["a"]
    response = admin_api.post(
        f"/api/v1/organisations/{org.pk}/members/", {"username": "lecteur", "role": "member"}, format="json"
    )
    assert response.status_code == 201
    assert {"username": "lecteur", "role": "member"} in response.json()["members"]
    assert {"username": "producteur-a", "role": "producer"} in response.json()["members"]

    response = admin_api.post(
        f"/api/v1/organisations/{org.pk}/members/", {"username": "lecteur", "role": "producer"}, format="json"
    )
    assert response.status_code == 200
    assert Membership.objects.get(user=reader, organisation=org).role == "producer"

    assert admin_api.delete(f"/api/v1/organisations/{org.pk}/members/lecteur/").status_code == 204
    assert not Membership.objects.filter(user=reader, organisation=org).exists()
    assert admin_api.delete(f"/api/v1/organisations/{org.pk}/members/lecteur/").status_code == 404
    unknown = admin_api.post(f"/api/v1/organisations/{org.pk}/members/", {"username": "personne"}, format="json")
    assert unknown.status_code == 400

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"membership.add", "membership.update", "membership.remove"} <= actions


def test_group_crud_with_members_by_username(admin_api, reader, producer_a):
    territory = square_territory("Ouest")
    response = admin_api.post(
        "/api/v1/groups/",
        {"name": "EPCI du Cher", "slug": "epci-cher", "members": ["lecteur"], "territory": territory.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    group = UserGroup.objects.get(pk=pk)
    assert list(group.members.all()) == [reader] and group.territory == territory

    response = admin_api.patch(f"/api/v1/groups/{pk}/", {"members": ["lecteur", "producteur-a"]}, format="json")
    assert sorted(response.json()["members"]) == ["lecteur", "producteur-a"]
    bad = admin_api.patch(f"/api/v1/groups/{pk}/", {"members": ["personne"]}, format="json")
    assert bad.status_code == 400

    assert admin_api.delete(f"/api/v1/groups/{pk}/").status_code == 204
    actions = list(
        AuditEvent.objects.filter(target_type="geoplatform.usergroup")
        .order_by("created_at")
        .values_list("action", flat=True)
    )
    assert actions == ["group.create", "group.update", "group.delete"]


def test_territory_from_a_geojson_geometry(admin_api):
    response = admin_api.post("/api/v1/territories/", {"name": "Zone test", "geometry": SQUARE}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["geometry"]["type"] == "MultiPolygon" and body["insee_codes"] == []
    territory = Territory.objects.get(pk=body["id"])
    assert territory.geometry.contains(Point(0.65, 47.35, srid=4326))
    bad = admin_api.post(
        "/api/v1/territories/", {"name": "Point", "geometry": {"type": "Point", "coordinates": [0, 0]}}, format="json"
    )
    assert bad.status_code == 400 and "geometry" in bad.json()["error"]["fields"]
    empty = admin_api.post("/api/v1/territories/", {"name": "Rien"}, format="json")
    assert empty.status_code == 400


def test_territory_from_insee_codes(admin_api, organisations, producer_a, tmp_path):
    communes_layer(producer_a, organisations["a"], tmp_path / "communes")
    response = admin_api.post(
        "/api/v1/territories/", {"name": "Vallée", "insee_codes": ["37002", "37001"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["insee_codes"] == ["37001", "37002"] and body["geometry"]["type"] == "MultiPolygon"
    territory = Territory.objects.get(pk=body["id"])
    assert territory.geometry.contains(wgs84(X + 1500, Y + 500))
    assert not territory.geometry.contains(wgs84(X + 2500, Y + 500))

    response = admin_api.patch(f"/api/v1/territories/{territory.pk}/", {"insee_codes": ["37003"]}, format="json")
    assert response.status_code == 200
    territory.refresh_from_db()
    assert territory.geometry.contains(wgs84(X + 2500, Y + 500))
    assert not territory.geometry.contains(wgs84(X + 500, Y + 500))
    renamed = admin_api.patch(f"/api/v1/territories/{territory.pk}/", {"name": "Aval"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["insee_codes"] == ["37003"]

    bad = admin_api.post("/api/v1/territories/", {"name": "X", "insee_codes": ["99999"]}, format="json")
    assert bad.status_code == 400 and "99999" in str(bad.json()["error"]["fields"]["insee_codes"])

    update = AuditEvent.objects.filter(action="territory.update").order_by("created_at").first()
    assert update.before["insee_codes"] == ["37001", "37002"] and update.after["insee_codes"] == ["37003"]


def test_territory_used_by_a_grant_is_not_deleted(admin_api, organisations, producer_a, tmp_path):
    dataset = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=1)), "Bâti").dataset
    territory = square_territory("Zone")
    Grant.objects.create(dataset=dataset, action="view_data", grantee="registered", territory=territory)
    response = admin_api.delete(f"/api/v1/territories/{territory.pk}/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "in_use"
    assert Territory.objects.filter(pk=territory.pk).exists()


def test_admin_paths_are_in_the_openapi_schema(api_client, db):
    paths = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for path in (
        "/api/v1/organisations/",
        "/api/v1/organisations/{id}/",
        "/api/v1/organisations/{id}/members/",
        "/api/v1/organisations/{id}/members/{username}/",
        "/api/v1/groups/{id}/",
        "/api/v1/territories/{id}/",
    ):
        assert path in paths, path
