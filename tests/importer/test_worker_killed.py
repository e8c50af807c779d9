"""A worker killed in the middle of an import: the job is retried to completion, nothing half-loaded is ever
served, and the GDAL process it had started dies with it."""

import os
import signal
import time
from pathlib import Path

import pytest

from catalogue.models import Dataset
from importer.models import ImportJob
from importer.services import pipeline
from tests.conftest import token_client, wait_for_job
from tests.importer.conftest import layer_tables, stored
from tests.sample_data import many_points_gpkg, shapefile_zip


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _descendants(pid: int) -> list[int]:
    result = []
    for child in _children(pid):
        result += [child, *_descendants(child)]
    return result


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def _upload(client, url: str, path: Path) -> dict:
    with path.open("rb") as fh:
        response = client.post(url, {"file": fh}, format="multipart")
    assert response.status_code == 202, response.content
    return response.json()


@pytest.mark.django_db(transaction=True)
def test_killed_worker_process_means_a_retried_job(celery_worker, producer_a, tmp_path):
    client = token_client(producer_a)
    first = _upload(client, "/api/v1/datasets/", shapefile_zip(tmp_path / "v1"))
    assert wait_for_job(first["job"].rstrip("/").rsplit("/", 1)[-1]).status == "succeeded"
    dataset = Dataset.objects.get(pk=first["id"])

    big = many_points_gpkg(tmp_path / "points.gpkg", 300_000)
    second = _upload(client, f"/api/v1/datasets/{dataset.pk}/data/", big)
    pk = second["job"].rstrip("/").rsplit("/", 1)[-1]

    deadline = time.monotonic() + 60
    ogr2ogr = []
    while not ogr2ogr:
        assert time.monotonic() < deadline, "ogr2ogr never started"
        ogr2ogr = [p for p in _descendants(celery_worker.pid) if "ogr2ogr" in _command(p)]
        time.sleep(0.05)
    pool_process = next(p for p in _children(celery_worker.pid) if ogr2ogr[0] in _descendants(p))
    os.kill(pool_process, signal.SIGKILL)

    # While the new version is not complete, the old one is what the dataset serves.
    dataset.refresh_from_db()
    assert dataset.version == 1 and stored(dataset).count == 12

    time.sleep(1)
    assert not _command(ogr2ogr[0]) or "ogr2ogr" not in _command(ogr2ogr[0]), "ogr2ogr outlived its worker"

    job = wait_for_job(pk, timeout=180)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    dataset.refresh_from_db()
    assert dataset.version == 2 and dataset.feature_count == 300_000
    assert pipeline.temporary_table(ImportJob.objects.get(pk=pk)) not in layer_tables()
    assert f"ds{dataset.pk}_v1" not in layer_tables()
