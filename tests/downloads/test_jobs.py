"""Deferred downloads: a large request becomes a job; the e-mail's signed link works, then expires; owners only;
cancel; expired files cleaned up; every download counted in the statistics."""

import io
import re
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.utils import timezone

from downloads import services
from downloads.models import DownloadJob
from geoplatform import statistics
from tests.conftest import token_client
from tests.downloads.conftest import CLIP_BOX, data_file, read_features, unzip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def usage_counters():
    """Our run's usage counters in the test Redis, empty before and after the test."""

    def clean() -> None:
        client = statistics.redis_client()
        keys = list(client.scan_iter(statistics.redis_key("*")))
        if keys:
            client.delete(*keys)

    statistics.reset()
    clean()
    yield lambda: {
        name.decode(): int(value)
        for name, value in statistics.redis_client().hgetall(statistics.day_key(timezone.localdate())).items()
    }
    clean()


def _job(user, dataset, **item) -> DownloadJob:
    """A deferred job as the API records it, run below in this process like the worker would."""
    return DownloadJob.objects.create(
        user=user, mode=DownloadJob.Mode.DEFERRED, items=[{"dataset": dataset.pk, "format": "gpkg", **item}]
    )


def _signed_at(monkeypatch, job: DownloadJob, seconds_ago: int) -> str:
    """The job's signed link as it would have been made `seconds_ago` (the clock of the signature only)."""
    real = signing.TimestampSigner.timestamp
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(time.time()) - seconds_ago)
    )
    link = services.signed_link(job)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", real)
    return urlsplit(link).path


def test_mail_with_a_signed_link_that_works_then_expires(client, monkeypatch, producer_a, parcels, tmp_path,
                                                         usage_counters):  # fmt: skip
    job = services.run_job(str(_job(producer_a, parcels).pk))
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert Path(job.result).is_file() and job.size == Path(job.result).stat().st_size
    assert job.expires_at == job.finished_at + timedelta(days=7)
    assert usage_counters() == {f"download||{parcels.pk}|{producer_a.pk}|{parcels.organisation_id}": 1}

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [producer_a.email] and "prêt" in message.subject
    link = re.search(r"https?://\S+", message.body).group(0)
    assert "7 jours" in message.body

    response = client.get(urlsplit(link).path)  # a browser without the user's session
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    _epsg, rows, _geometries = read_features(data_file(unzip(b"".join(response.streaming_content), tmp_path), "gpkg"))
    assert len(rows) == 12

    assert client.get(_signed_at(monkeypatch, job, 6 * 86400)).status_code == 200
    expired = client.get(_signed_at(monkeypatch, job, 7 * 86400 + 60))
    assert expired.status_code == 410 and "expiré" in expired.content.decode()
    tampered = urlsplit(link).path.replace(str(job.pk)[:8], "00000000")
    assert client.get(tampered).status_code == 404


def test_large_request_becomes_a_job(celery_worker, client, settings, producer_a, parcels):
    settings.GP_DOWNLOAD_DIRECT_MAX_FEATURES = 5
    client.force_login(producer_a)
    response = client.get(f"/donnees/{parcels.pk}/telecharger/", {"format": "fgb"})
    job = DownloadJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/telechargements/{job.pk}/"
    assert job.mode == "deferred"
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'data-job-status="' in page.content.decode()
    deadline = time.monotonic() + 60
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.status == "succeeded"
    page = client.get(f"/telechargements/{job.pk}/").content.decode()
    assert "data-download-link" in page


def test_jobs_are_their_owners_only(client, producer_a, producer_b, parcels):
    job = _job(producer_a, parcels)
    client.force_login(producer_b)
    assert client.get(f"/telechargements/{job.pk}/").status_code == 404
    assert client.post(f"/telechargements/{job.pk}/annuler/").status_code == 404
    api = token_client(producer_b)
    assert api.get(f"/api/v1/downloads/{job.pk}/").status_code == 404
    assert api.post(f"/api/v1/downloads/{job.pk}/cancel/").status_code == 404
    assert api.get("/api/v1/downloads/").json() == []
    job.refresh_from_db()
    assert job.status == "queued"
    assert [j["id"] for j in token_client(producer_a).get("/api/v1/downloads/").json()] == [str(job.pk)]


def test_cancel_before_the_worker_runs_it(client, producer_a, parcels):
    job = _job(producer_a, parcels)
    client.force_login(producer_a)
    assert client.post(f"/telechargements/{job.pk}/annuler/").status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert services.run_job(str(job.pk)).status == "cancelled"
    assert not services.result_path(job).exists()
    response = token_client(producer_a).post(f"/api/v1/downloads/{job.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_rights_are_checked_again_when_the_job_runs(producer_a, member_a, parcels):
    job = _job(member_a, parcels)
    member_a.memberships.all().delete()
    job = services.run_job(str(job.pk))
    assert job.status == "failed" and job.error_code == "forbidden"


def test_expired_files_are_cleaned_up(client, producer_a, parcels):
    job = services.run_job(str(_job(producer_a, parcels).pk))
    link = urlsplit(services.signed_link(job)).path
    DownloadJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    out = io.StringIO()
    call_command("cleanup_downloads", stdout=out)  # what beat runs hourly (downloads.tasks), for operators
    assert out.getvalue().startswith("1 expired")
    assert not Path(job.result).exists()
    assert client.get(link).status_code == 410
    assert DownloadJob.objects.get(pk=job.pk).size == job.size  # the row stays: history and quotas


def test_estimate_counts_exactly_up_to_the_threshold(settings, producer_a, parcels):
    """The clip box touches 6 of the 12 squares: counted exactly under the threshold; past it, the count stops
    and the share of the extent the box covers gives the estimate (what quotas weigh)."""
    item = {"dataset": parcels.pk, "format": "gpkg", "clip": {"bbox": CLIP_BOX, "srid": 2154}}
    exact = services.estimate(services.validate_items(producer_a, [item]))
    assert exact.features == 6 and services.is_direct(exact)
    settings.GP_DOWNLOAD_DIRECT_MAX_FEATURES = 2
    capped = services.estimate(services.validate_items(producer_a, [item]))
    assert 3 <= capped.features <= 12 and not services.is_direct(capped)
