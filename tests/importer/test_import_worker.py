"""End-to-end import through the API and a real Celery worker process."""

import pytest

from catalogue.models import Dataset
from tests.conftest import token_client, wait_for_job
from tests.sample_data import shapefile_zip

pytestmark = pytest.mark.django_db(transaction=True)


def test_shapefile_import_through_api_and_worker(celery_worker, producer_a, tmp_path):
    client = token_client(producer_a)
    archive = shapefile_zip(tmp_path / "src")
    with archive.open("rb") as fh:
        response = client.post("/api/v1/datasets/", {"file": fh, "title": "Parcelles"}, format="multipart")
    assert response.status_code == 202, response.content
    body = response.json()
    job_url = body["job"]

    job = wait_for_job(job_url.rstrip("/").rsplit("/", 1)[-1])
    assert job.status == "succeeded", (job.error_code, job.error_message, job.error_details)

    document = client.get(job_url).json()
    assert document["status"] == "succeeded"
    assert document["progress"] == 100
    assert document["error"] is None
    dataset = client.get(document["dataset"]).json()
    assert dataset["id"] == body["id"]
    assert dataset["title"] == "Parcelles"
    assert dataset["feature_count"] == 12
    assert dataset["srid"] == 2154
    assert dataset["geometry_type"] == "MULTIPOLYGON"
    assert {a["name"] for a in dataset["attributes"]} == {"nom", "code", "surface"}
    assert dataset["public"] is False
    assert Dataset.objects.get(pk=body["id"]).table_name == f"ds{body['id']}_v1"
