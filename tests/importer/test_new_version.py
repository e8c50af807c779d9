"""A new version of a dataset's data replaces the current one atomically: until it is complete and
valid, clients keep getting the current one, and a failed version changes nothing."""

import re
from pathlib import Path

import pytest
from django.test import Client

from catalogue.models import Dataset
from tests.conftest import token_client, wait_for_job
from tests.importer.conftest import assert_french, layer_tables, stored
from tests.sample_data import ORIGIN, geopackage, shapefile_zip, squares
from wxs import mapserver

pytestmark = pytest.mark.django_db(transaction=True)

BBOX = f"{ORIGIN[0] - 500},{ORIGIN[1] - 500},{ORIGIN[0] + 4500},{ORIGIN[1] + 3500}"


def upload(client, url: str, path: Path, **fields):
    with path.open("rb") as fh:
        return client.post(url, {"file": fh, **fields}, format="multipart")


def job_of(response) -> str:
    assert response.status_code == 202, response.content
    return response.json()["job"].rstrip("/").rsplit("/", 1)[-1]


def served(dataset: Dataset, producer) -> dict:
    """What a client notices of the current version: record, table, mapfile, WMS image, WFS count."""
    dataset.refresh_from_db()
    browser = Client()
    browser.force_login(producer)
    ows = f"/ows/dataset/{dataset.pk}"
    image = browser.get(
        ows,
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": dataset.layer_name,
            "STYLES": "",
            "CRS": "EPSG:2154",
            "BBOX": BBOX,
            "WIDTH": "256",
            "HEIGHT": "256",
            "FORMAT": "image/png",
        },
    )
    assert image.status_code == 200 and image["Content-Type"] == "image/png", image.content[:500]
    hits = browser.get(
        ows,
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": dataset.layer_name}
        | {"RESULTTYPE": "hits"},
    )
    matched = re.search(rb'numberMatched="(\d+)"', hits.getvalue())
    assert matched, hits.getvalue()[:500]
    return {
        "version": dataset.version,
        "table": dataset.table_name,
        "feature_count": dataset.feature_count,
        "stored_count": stored(dataset).count,
        "mapfile": mapserver.mapfile_path(dataset).read_text(encoding="utf-8"),
        "wms_png": bytes(image.content),
        "wfs_hits": int(matched.group(1)),
    }


@pytest.fixture
def version_1(celery_worker, producer_a, tmp_path):
    client = token_client(producer_a)
    response = upload(client, "/api/v1/datasets/", shapefile_zip(tmp_path / "v1"), title="Parcelles")
    job = wait_for_job(job_of(response))
    assert job.status == "succeeded", (job.error_code, job.error_message)
    dataset = Dataset.objects.get(pk=response.json()["id"])
    assert (dataset.version, dataset.table_name) == (1, f"ds{dataset.pk}_v1")
    return dataset


def test_failed_new_version_keeps_the_current_one(version_1, producer_a, tmp_path):
    before = served(version_1, producer_a)
    assert before["wfs_hits"] == before["stored_count"] == 12
    tables = layer_tables()
    broken = tmp_path / "parcelles.geojson"  # passes the upload checks, fails in the worker
    broken.write_bytes(b'{"type": "FeatureCollection", "features": [{"type": "Feat' + b"\x00\xff" * 500)

    client = token_client(producer_a)
    job = wait_for_job(job_of(upload(client, f"/api/v1/datasets/{version_1.pk}/data/", broken)))
    assert job.status == "failed"
    document = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert document["error"]["code"] == "corrupt_file"
    assert_french(document["error"]["message"])

    assert served(version_1, producer_a) == before
    assert layer_tables() == tables


def test_refused_upload_keeps_the_current_one(version_1, producer_a, tmp_path):
    before = served(version_1, producer_a)
    garbage = tmp_path / "parcelles.gpkg"
    garbage.write_bytes(b"pas un GeoPackage" * 100)
    response = upload(token_client(producer_a), f"/api/v1/datasets/{version_1.pk}/data/", garbage)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "corrupt_file"
    assert served(version_1, producer_a) == before


def test_successful_new_version_swaps_the_table(version_1, producer_a, tmp_path):
    before = served(version_1, producer_a)
    tables_before = layer_tables()
    client = token_client(producer_a)
    new_data = geopackage(tmp_path / "parcelles-2025.gpkg", {"parcelles": squares(5, size=800.0)})
    job = wait_for_job(job_of(upload(client, f"/api/v1/datasets/{version_1.pk}/data/", new_data)))
    assert job.status == "succeeded", (job.error_code, job.error_message)

    after = served(version_1, producer_a)
    assert after["version"] == 2
    assert after["table"] == f"ds{version_1.pk}_v2"
    assert after["feature_count"] == after["stored_count"] == after["wfs_hits"] == 5
    assert f"layers.ds{version_1.pk}_v2 " in after["mapfile"]
    assert after["wms_png"] != before["wms_png"]
    assert layer_tables() == tables_before - {f"ds{version_1.pk}_v1"} | {f"ds{version_1.pk}_v2"}
    dataset = client.get(f"/api/v1/datasets/{version_1.pk}/").json()
    assert (dataset["version"], dataset["feature_count"], dataset["title"]) == (2, 5, "Parcelles")
