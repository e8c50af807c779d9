"""The API paths and shapes integrators rely on (issue 2, point 8)."""

import pytest

from tests.conftest import import_now, token_client
from tests.sample_data import shapefile_zip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path), "Parcelles")
    return job.dataset


def test_token_for_valid_credentials(api_client, producer_a):
    response = api_client.post("/api/v1/token/", {"username": "producteur-a", "password": "producteur-a-demo"})
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/datasets/").status_code == 200


def test_token_refused_with_a_stable_code(api_client, producer_a):
    response = api_client.post("/api/v1/token/", {"username": "producteur-a", "password": "wrong"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert "mot de passe" in response.json()["error"]["message"]


def test_openapi_schema_and_docs(api_client, db):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/token/",
        "/api/v1/datasets/",
        "/api/v1/datasets/{id}/",
        "/api/v1/datasets/{id}/publish/",
        "/api/v1/jobs/{id}/",
    ):
        assert path in paths, path
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_dataset_record_fields_and_links(dataset, producer_a):
    client = token_client(producer_a)
    record = client.get(f"/api/v1/datasets/{dataset.pk}/").json()
    for field in (
        "id",
        "title",
        "organisation",
        "public",
        "feature_count",
        "geometry_type",
        "srid",
        "bbox",
        "attributes",
    ):
        assert field in record, field
    assert record["organisation"] == "commune-a"
    assert record["feature_count"] == 12
    assert record["srid"] == 2154
    assert len(record["bbox"]) == 4
    assert record["links"]["page"].endswith(f"/donnees/{dataset.pk}/")
    wms = record["links"]["wms"]
    assert "/ows/dataset/" in wms and "GetCapabilities" in wms
    capabilities = client.get(wms)
    assert capabilities.status_code == 200
    assert dataset.layer_name.encode() in capabilities.content


def test_publish_makes_a_dataset_public(dataset, producer_a, api_client):
    assert api_client.get(f"/api/v1/datasets/{dataset.pk}/").status_code == 404
    response = token_client(producer_a).post(f"/api/v1/datasets/{dataset.pk}/publish/")
    assert response.status_code == 200
    assert response.json()["public"] is True
    assert api_client.get(f"/api/v1/datasets/{dataset.pk}/").status_code == 200
    assert any(item["id"] == dataset.pk for item in api_client.get("/api/v1/datasets/").json()["results"])


def test_list_shows_only_what_the_caller_may_see(dataset, producer_b, reader):
    for user in (producer_b, reader):
        ids = [item["id"] for item in token_client(user).get("/api/v1/datasets/").json()["results"]]
        assert dataset.pk not in ids


def test_private_dataset_is_404_in_the_api_with_an_error_document(dataset, producer_b):
    response = token_client(producer_b).get(f"/api/v1/datasets/{dataset.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_upload_requires_authentication(api_client, db):
    response = api_client.post("/api/v1/datasets/", {}, format="multipart")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_upload_refused_to_non_producers(reader, tmp_path):
    with shapefile_zip(tmp_path).open("rb") as fh:
        response = token_client(reader).post("/api/v1/datasets/", {"file": fh}, format="multipart")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_title_is_editable_by_its_producer(dataset, producer_a, producer_b):
    response = token_client(producer_a).patch(f"/api/v1/datasets/{dataset.pk}/", {"title": "Parcelles 2026"})
    assert response.status_code == 200
    assert response.json()["title"] == "Parcelles 2026"
    refused = token_client(producer_b).patch(f"/api/v1/datasets/{dataset.pk}/", {"title": "Piraté"})
    assert refused.status_code == 404
