"""`/api/v1/datasets/{id}/permissions/`: read and replace a dataset's sharing, add and remove grants."""

import pytest

from geoplatform.models import AuditEvent, UserGroup
from tests.conftest import import_now, token_client
from tests.geoplatform.test_grants import communes_layer
from tests.sample_data import shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    return import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=2)), "Arbres").dataset


def url(dataset, suffix: str = "") -> str:
    return f"/api/v1/datasets/{dataset.pk}/permissions/{suffix}"


def test_new_dataset_sharing_document(dataset, producer_a):
    response = token_client(producer_a).get(url(dataset))
    assert response.status_code == 200
    assert response.json() == {"preset": "organisation", "public": False, "territory_restricted": False, "grants": []}


def test_only_who_administers_reads_or_writes_it(dataset, api_client, member_a, reader, producer_b, admin_user):
    for method, suffix, body in [
        ("get", "", None),
        ("put", "", {"preset": "public"}),
        ("post", "grants/", {"action": "view_data", "grantee": "anyone"}),
        ("delete", "grants/1/", None),
    ]:
        anonymous = getattr(api_client, method)(url(dataset, suffix), body, format="json")
        assert anonymous.status_code == 401, (method, suffix)
        assert anonymous.json()["error"]["code"] == "not_authenticated"
        for user in (member_a, reader, producer_b):
            response = getattr(token_client(user), method)(url(dataset, suffix), body, format="json")
            assert response.status_code == 404, (method, suffix, user)
            assert response.json()["error"]["code"] == "not_found"
    dataset.refresh_from_db()
    assert not dataset.public and not dataset.grants.exists()
    assert token_client(admin_user).get(url(dataset)).status_code == 200


def test_put_a_preset(dataset, producer_a, reader, api_client):
    client = token_client(producer_a)
    response = client.put(url(dataset), {"preset": "registered"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["preset"] == "registered" and body["public"] is False
    assert [(g["grantee"], g["action"]) for g in body["grants"]] == [("registered", "download")]
    assert token_client(reader).get(f"/api/v1/datasets/{dataset.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/datasets/{dataset.pk}/").status_code == 404

    body = client.put(url(dataset), {"preset": "public"}, format="json").json()
    assert body == {"preset": "public", "public": True, "territory_restricted": False, "grants": []}
    assert api_client.get(f"/api/v1/datasets/{dataset.pk}/").status_code == 200

    client.put(url(dataset), {"preset": "organisation"}, format="json")
    assert api_client.get(f"/api/v1/datasets/{dataset.pk}/").status_code == 404
    assert token_client(reader).get(f"/api/v1/datasets/{dataset.pk}/").status_code == 404


def test_get_then_put_changes_nothing(dataset, producer_a, organisations):
    client = token_client(producer_a)
    client.put(
        url(dataset),
        {
            "preset": "custom",
            "territory_restricted": True,
            "grants": [
                {"action": "download", "grantee": "organisation", "organisation": "departement-b"},
                {"action": "view_metadata", "grantee": "anyone"},
            ],
        },
        format="json",
    )
    document = client.get(url(dataset)).json()
    assert document["preset"] == "custom" and document["territory_restricted"] is True
    assert len(document["grants"]) == 2
    events = AuditEvent.objects.filter(action="dataset.sharing").count()
    again = client.put(url(dataset), document, format="json")
    assert again.status_code == 200 and again.json() == document
    assert AuditEvent.objects.filter(action="dataset.sharing").count() == events


def test_put_custom_grants_with_all_grantee_kinds(dataset, producer_a, producer_b, reader, organisations):
    group = UserGroup.objects.create(name="Services de l'État", slug="etat")
    grants = [
        {"action": "view_data", "grantee": "registered"},
        {"action": "download", "grantee": "partners"},
        {"action": "edit", "grantee": "organisation", "organisation": "departement-b"},
        {"action": "download", "grantee": "group", "group": "etat"},
        {"action": "administer", "grantee": "user", "user": "lecteur"},
    ]
    response = token_client(producer_a).put(url(dataset), {"preset": "custom", "grants": grants}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(g["grantee"], g["organisation"], g["group"], g["user"]) for g in body["grants"]] == [
        ("registered", None, None, None),
        ("partners", None, None, None),
        ("organisation", "departement-b", None, None),
        ("group", None, group.slug, None),
        ("user", None, None, "lecteur"),
    ]
    # The grantee of "administer" now manages the sharing; producer B may edit but not administer.
    assert token_client(reader).get(url(dataset)).status_code == 200
    assert token_client(producer_b).get(url(dataset)).status_code == 404
    assert token_client(producer_b).patch(f"/api/v1/datasets/{dataset.pk}/", {"title": "X"}).status_code == 200


def test_preset_other_than_custom_refuses_extra_grants(dataset, producer_a):
    response = token_client(producer_a).put(
        url(dataset),
        {"preset": "registered", "grants": [{"action": "edit", "grantee": "user", "user": "producteur-a"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "preset_grants_fixed"
    assert not dataset.grants.exists()


def test_bad_documents_get_stable_codes(dataset, producer_a):
    client = token_client(producer_a)
    response = client.put(url(dataset), {"preset": "tout-le-monde"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"
    assert "preset" in response.json()["error"]["fields"]
    response = client.post(url(dataset, "grants/"), {"action": "view_data", "grantee": "group"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "group_required"
    assert "groupe" in response.json()["error"]["message"]
    response = client.post(
        url(dataset, "grants/"), {"action": "view_data", "grantee": "user", "user": "personne"}, format="json"
    )
    assert response.status_code == 400 and "user" in response.json()["error"]["fields"]
    response = client.post(
        url(dataset, "grants/"), {"action": "view_data", "grantee": "anyone", "territory": {"id": 999}}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "territory_not_found"


def test_post_and_delete_one_grant(dataset, producer_a, reader):
    client = token_client(producer_a)
    response = client.post(url(dataset, "grants/"), {"action": "view_data", "grantee": "user", "user": "lecteur"})
    assert response.status_code == 201
    grant = response.json()
    assert grant["user"] == "lecteur" and grant["action"] == "view_data" and grant["territory"] is None
    assert token_client(reader).get(f"/api/v1/datasets/{dataset.pk}/").status_code == 200
    assert client.get(url(dataset)).json()["preset"] == "custom"

    again = client.post(url(dataset, "grants/"), {"action": "view_data", "grantee": "user", "user": "lecteur"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "grant_exists"

    assert client.delete(url(dataset, f"grants/{grant['id']}/")).status_code == 204
    assert token_client(reader).get(f"/api/v1/datasets/{dataset.pk}/").status_code == 404
    missing = client.delete(url(dataset, f"grants/{grant['id']}/"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "grant_not_found"

    events = AuditEvent.objects.filter(action="dataset.sharing", target_id=str(dataset.pk)).order_by("created_at")
    assert [len(e.after["grants"]) for e in events] == [1, 0]
    assert all(e.actor == producer_a for e in events)


def test_grant_on_communes_by_insee_code(dataset, producer_a, organisations, tmp_path):
    communes_layer(producer_a, organisations["a"], tmp_path / "communes")
    client = token_client(producer_a)
    response = client.post(
        url(dataset, "grants/"),
        {"action": "download", "grantee": "registered", "territory": {"insee_codes": ["37002", "37001"]}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    territory = response.json()["territory"]
    assert territory["insee_codes"] == ["37001", "37002"] and territory["name"] == "Communes 37001, 37002"
    # The same territory is reused by id.
    response = client.post(
        url(dataset, "grants/"),
        {"action": "view_data", "grantee": "anyone", "territory": {"id": territory["id"]}},
        format="json",
    )
    assert response.json()["territory"]["id"] == territory["id"]
    bad = client.post(
        url(dataset, "grants/"),
        {"action": "view_data", "grantee": "partners", "territory": {"insee_codes": ["00000"]}},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "territory_invalid"
    assert "00000" in bad.json()["error"]["message"]


def test_permissions_paths_are_in_the_openapi_schema(api_client, db):
    paths = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert set(paths["/api/v1/datasets/{id}/permissions/"]) >= {"get", "put"}
    assert "post" in paths["/api/v1/datasets/{id}/permissions/grants/"]
    assert "delete" in paths["/api/v1/datasets/{id}/permissions/grants/{grant_id}/"]
