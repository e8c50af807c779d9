"""The browser sends big files in slices it can resume, then starts the import from the finished upload."""

import json
from pathlib import Path

import pytest
from django.test import Client

from catalogue.models import Dataset
from importer.models import Upload
from tests.conftest import wait_for_job
from tests.importer.conftest import assert_french
from tests.sample_data import geopackage, points, shapefile_zip, squares


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create(client: Client, filename: str, size: int):
    return client.post(
        "/import/uploads/", json.dumps({"filename": filename, "size": size}), content_type="application/json"
    )


def put(client: Client, url: str, data: bytes, start: int, total: int, end: int | None = None):
    end = start + len(data) - 1 if end is None else end
    return client.put(
        url, data, content_type="application/octet-stream", headers={"Content-Range": f"bytes {start}-{end}/{total}"}
    )


def slices(data: bytes, count: int = 3) -> list[tuple[int, bytes]]:
    step = -(-len(data) // count)
    return [(start, data[start : start + step]) for start in range(0, len(data), step)]


@pytest.fixture
def archive(tmp_path) -> Path:
    return shapefile_zip(tmp_path / "src", features=squares(40))


@pytest.mark.django_db(transaction=True)
def test_upload_in_three_slices_resumed_then_imported(celery_worker, producer_a, organisations, archive):
    client = browser(producer_a)
    data = archive.read_bytes()
    response = create(client, "Parcelles été.zip", len(data))
    assert response.status_code == 201
    upload = response.json()
    assert upload["offset"] == 0
    url = upload["url"]
    (s1, first), (s2, second), (s3, third) = slices(data)

    assert put(client, url, first, s1, len(data)).json() == {"offset": len(first), "size": len(data)}
    # The connection dropped: the browser asks where to resume.
    assert client.get(url).json() == {"offset": len(first), "size": len(data)}
    skipped = put(client, url, third, s3, len(data))
    assert skipped.status_code == 409
    assert skipped.json()["offset"] == len(first)
    assert skipped.json()["error"]["code"] == "bad_range"
    assert_french(skipped.json()["error"]["message"])
    assert put(client, url, second, s2, len(data)).json()["offset"] == s3
    assert put(client, url, third, s3, len(data)).json()["offset"] == len(data)
    assert Upload.objects.get(pk=upload["id"]).path.read_bytes() == data

    done = client.post(f"{url}complete/", {"title": "Parcelles d'été", "organisation": organisations["a"].pk})
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["redirect"] == f"/import/jobs/{body['job']}/"
    assert client.get(body["redirect"]).status_code == 200

    job = wait_for_job(body["job"])
    assert job.status == "succeeded", (job.error_code, job.error_message)
    dataset = Dataset.objects.get(pk=job.dataset_id)
    assert (dataset.title, dataset.feature_count, dataset.organisation) == ("Parcelles d'été", 40, organisations["a"])
    assert job.source_filename == "Parcelles_été.zip"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["reader", "member_a"])
def test_only_producers_can_upload(request, role):
    assert create(browser(request.getfixturevalue(role)), "parcelles.zip", 1000).status_code == 403
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_anonymous_is_sent_to_log_in():
    response = create(Client(), "parcelles.zip", 1000)
    assert response.status_code == 302 and "/comptes/login/" in response["Location"]


@pytest.mark.django_db
def test_upload_over_the_size_limit(producer_a, settings):
    settings.IMPORT_MAX_UPLOAD_SIZE = 1000
    response = create(browser(producer_a), "parcelles.zip", 1001)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert_french(response.json()["error"]["message"])


@pytest.mark.django_db
def test_others_cannot_touch_my_upload(producer_a, producer_b, archive):
    data = archive.read_bytes()
    url = create(browser(producer_a), "parcelles.zip", len(data)).json()["url"]
    intruder = browser(producer_b)
    assert put(intruder, url, data, 0, len(data)).status_code == 404
    assert intruder.get(url).status_code == 404
    assert intruder.post(f"{url}complete/").status_code == 404
    assert browser(producer_a).get(url).json()["offset"] == 0


@pytest.mark.django_db
def test_slice_that_does_not_match_the_announced_file(producer_a, archive):
    client = browser(producer_a)
    data = archive.read_bytes()
    url = create(client, "parcelles.zip", len(data)).json()["url"]
    assert put(client, url, data[:100], 0, len(data) + 1).status_code == 409  # another total
    assert put(client, url, data[-10:], len(data) - 10, len(data), end=len(data)).status_code == 409
    missing = client.put(url, data[:100], content_type="application/octet-stream")
    assert missing.status_code == 409 and missing.json()["error"]["code"] == "bad_range"
    assert client.get(url).json()["offset"] == 0


@pytest.mark.django_db
def test_complete_before_the_last_slice(producer_a, organisations, archive):
    client = browser(producer_a)
    data = archive.read_bytes()
    url = create(client, "parcelles.zip", len(data)).json()["url"]
    put(client, url, data[:100], 0, len(data))
    response = client.post(f"{url}complete/", {"organisation": organisations["a"].pk})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "upload_incomplete"


@pytest.mark.django_db
def test_complete_with_a_file_holding_several_layers(producer_a, organisations, tmp_path):
    """The page gets the layer list back and offers the choice; the upload stays for the second try."""
    data = geopackage(tmp_path / "commune.gpkg", {"parcelles": squares(), "arbres": points()}).read_bytes()
    client = browser(producer_a)
    url = create(client, "commune.gpkg", len(data)).json()["url"]
    put(client, url, data, 0, len(data))
    refused = client.post(f"{url}complete/", {"organisation": organisations["a"].pk})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "multiple_layers"
    assert refused.json()["layers"] == ["parcelles", "arbres"]

    chosen = client.post(f"{url}complete/", {"organisation": organisations["a"].pk, "layer": "arbres"})
    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["redirect"].startswith("/import/jobs/")


@pytest.mark.django_db
def test_completing_twice_gives_the_same_job(producer_a, organisations, archive):
    """A double click or a retried request must not create a second dataset."""
    client = browser(producer_a)
    data = archive.read_bytes()
    url = create(client, archive.name, len(data)).json()["url"]
    put(client, url, data, 0, len(data))
    first = client.post(url + "complete/", {"title": "Parcelles"}).json()
    second = client.post(url + "complete/", {"title": "Parcelles"}).json()
    assert first["job"] == second["job"]
    assert Dataset.objects.filter(title="Parcelles").count() == 1
