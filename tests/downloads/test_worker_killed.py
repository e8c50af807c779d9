"""A worker killed while it builds a zip: the job is retried to completion, and no truncated archive is ever offered."""

import os
import signal
import time
from urllib.parse import urlsplit

import pytest
from osgeo import ogr

from downloads import services
from downloads.models import DownloadJob
from tests.conftest import import_now, token_client
from tests.downloads.conftest import data_file, epsg_of, unzip
from tests.importer.test_worker_killed import _children, _command, _descendants
from tests.sample_data import many_points_gpkg

pytestmark = pytest.mark.django_db(transaction=True)


def test_killed_worker_leaves_no_truncated_zip(celery_worker, client, producer_a, organisations, tmp_path):
    points = import_now(producer_a, organisations["a"], many_points_gpkg(tmp_path / "points.gpkg", 200_000), "Points")
    api = token_client(producer_a)
    response = api.post(
        "/api/v1/downloads/", {"items": [{"dataset": points.dataset.pk, "format": "shp", "srid": 4326}]}, format="json"
    )
    assert response.status_code == 202
    job = DownloadJob.objects.get(pk=response.json()["id"])

    deadline = time.monotonic() + 60
    ogr2ogr = []
    while not ogr2ogr:
        assert time.monotonic() < deadline, "ogr2ogr never started"
        ogr2ogr = [p for p in _descendants(celery_worker.pid) if "ogr2ogr" in _command(p)]
        time.sleep(0.05)
    pool_process = next(p for p in _children(celery_worker.pid) if ogr2ogr[0] in _descendants(p))
    os.kill(pool_process, signal.SIGKILL)

    job.refresh_from_db()
    assert job.status != "succeeded" and not job.result
    assert not services.result_path(job).exists(), "an unfinished zip is under its final name"
    assert api.get(f"/api/v1/downloads/{job.pk}/").json()["result"] is None
    time.sleep(1)
    assert not _command(ogr2ogr[0]) or "ogr2ogr" not in _command(ogr2ogr[0]), "ogr2ogr outlived its worker"

    deadline = time.monotonic() + 180
    while not job.finished:
        assert time.monotonic() < deadline, f"job still {job.status}"
        time.sleep(0.3)
        job.refresh_from_db()
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert job.attempts == 2
    assert not services.partial_path(job).exists()
    result = client.get(urlsplit(api.get(f"/api/v1/downloads/{job.pk}/").json()["result"]).path)
    source = ogr.Open(str(data_file(unzip(b"".join(result.streaming_content), tmp_path), "shp")))
    layer = source.GetLayer(0)  # the layer lives only as long as `source` is referenced
    assert epsg_of(layer.GetSpatialRef()) == 4326 and layer.GetFeatureCount() == 200_000
