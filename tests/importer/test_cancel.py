"""A producer can cancel an import: the job ends `cancelled`, nothing half-loaded stays in PostGIS, and
the dataset keeps serving its previous version."""

import os
import time
from pathlib import Path

import pytest
from django.test import Client

from catalogue.models import Dataset
from geoplatform.celery import app as celery_app
from importer.models import ImportJob
from importer.services import load, pipeline, raster
from tests.conftest import token_client, wait_for_job
from tests.importer.conftest import layer_tables, stored
from tests.sample_data import geotiff, many_points_gpkg, shapefile_zip, squares
from wxs import mapserver


def upload(client, url: str, path: Path):
    with path.open("rb") as fh:
        response = client.post(url, {"file": fh}, format="multipart")
    assert response.status_code == 202, response.content
    return response.json()


def job_id(document: dict) -> str:
    return document["job"].rstrip("/").rsplit("/", 1)[-1]


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


def worker_is_idle() -> bool:
    """No task running on the test worker (a cancelled job's task still has to stop and clean up)."""
    worker = f"test-{os.getpid()}@{os.uname().nodename}"
    active = celery_app.control.inspect(destination=[worker], timeout=1).active() or {}
    return worker in active and not active[worker]


@pytest.mark.django_db(transaction=True)
def test_cancel_during_load(celery_worker, producer_a, tmp_path):
    client = token_client(producer_a)
    document = upload(client, "/api/v1/datasets/", shapefile_zip(tmp_path / "v1"))
    assert wait_for_job(job_id(document)).status == "succeeded"
    dataset = Dataset.objects.get(pk=document["id"])
    # The job is marked succeeded in the publishing transaction; its mapfile is written right after the commit.
    wait_for(lambda: mapserver.mapfile_path(dataset).exists(), "the first version's mapfile", timeout=30)
    mapfile = mapserver.mapfile_path(dataset).read_text(encoding="utf-8")
    tables = layer_tables()

    big = many_points_gpkg(tmp_path / "points.gpkg", 300_000)
    pk = job_id(upload(client, f"/api/v1/datasets/{dataset.pk}/data/", big))
    # Inspection is over once the total is known: the load into PostGIS is under way.
    wait_for(lambda: ImportJob.objects.get(pk=pk).features_total is not None, "the load to start")
    response = client.post(f"/api/v1/jobs/{pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"

    wait_for(worker_is_idle, "the worker to stop the job")
    job = ImportJob.objects.get(pk=pk)
    assert job.status == "cancelled"
    assert job.report == {} and job.error_code == ""
    assert client.get(f"/api/v1/jobs/{pk}/").json()["status"] == "cancelled"
    assert pipeline.temporary_table(job) not in layer_tables()
    assert layer_tables() == tables

    dataset.refresh_from_db()
    assert (dataset.version, dataset.table_name, dataset.feature_count) == (1, f"ds{dataset.pk}_v1", 12)
    assert stored(dataset).count == 12
    assert mapserver.mapfile_path(dataset).read_text(encoding="utf-8") == mapfile


@pytest.mark.django_db
def test_cancel_before_the_worker_starts(producer_a, organisations, tmp_path):
    """A queued job cancelled from its page is never run, even if a worker picks it up afterwards."""
    archive = shapefile_zip(tmp_path / "src")
    job = pipeline.create_import(user=producer_a, path=archive, filename=archive.name, organisation=organisations["a"])
    browser = Client()
    browser.force_login(producer_a)
    response = browser.post(f"/import/jobs/{job.pk}/cancel/")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()

    tables = layer_tables()
    job = pipeline.run_import(str(job.pk))
    assert job.status == "cancelled"
    assert job.dataset.version == 0 and job.dataset.table_name == ""
    assert layer_tables() == tables


@pytest.mark.django_db
def test_others_cannot_cancel(producer_a, producer_b, organisations, tmp_path):
    archive = shapefile_zip(tmp_path / "src")
    job = pipeline.create_import(user=producer_a, path=archive, filename=archive.name, organisation=organisations["a"])
    assert token_client(producer_b).post(f"/api/v1/jobs/{job.pk}/cancel/").status_code == 404
    assert ImportJob.objects.get(pk=job.pk).status == "queued"


@pytest.mark.django_db
def test_cancel_once_loaded_but_not_yet_published(existing_dataset, producer_a, tmp_path, monkeypatch):
    """The last moment to cancel: the data are in PostGIS, the swap has not happened. Nothing is published."""
    client = token_client(producer_a)
    real_repair = load.repair_geometries

    def cancel_then_repair(*args) -> int:
        assert client.post(f"/api/v1/jobs/{job.pk}/cancel/").json()["status"] == "cancelled"
        return real_repair(*args)

    monkeypatch.setattr(load, "repair_geometries", cancel_then_repair)
    archive = shapefile_zip(tmp_path / "v2", features=squares(3))
    job = pipeline.create_import(user=producer_a, path=archive, filename=archive.name, dataset=existing_dataset)
    tables = layer_tables()
    job = pipeline.run_import(str(job.pk))

    assert job.status == "cancelled"
    existing_dataset.refresh_from_db()
    assert (existing_dataset.version, existing_dataset.feature_count) == (1, 12)
    assert stored(existing_dataset).count == 12
    assert layer_tables() == tables


@pytest.mark.django_db
def test_cancel_raster_once_converted(existing_dataset, producer_a, tmp_path, monkeypatch):
    """A COG converted but not yet published is removed, not left in the raster folder."""
    client = token_client(producer_a)
    real_describe = raster.describe_cog

    def cancel_then_describe(path):
        assert client.post(f"/api/v1/jobs/{job.pk}/cancel/").json()["status"] == "cancelled"
        return real_describe(path)

    monkeypatch.setattr(raster, "describe_cog", cancel_then_describe)
    tif = geotiff(tmp_path / "mnt.tif")
    job = pipeline.create_import(user=producer_a, path=tif, filename=tif.name, dataset=existing_dataset)
    job = pipeline.run_import(str(job.pk))

    assert job.status == "cancelled"
    assert not pipeline.temporary_raster(job).exists()
    assert not list(raster.raster_directory().glob(f"import_{job.pk.hex}*"))
    existing_dataset.refresh_from_db()
    assert (existing_dataset.kind, existing_dataset.version) == ("vector", 1)
