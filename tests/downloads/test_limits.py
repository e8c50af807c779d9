"""Quotas and limits: bytes per day, jobs in flight, requests per minute; a 429 with a stable code and French."""

import pytest

from downloads.models import DownloadJob
from tests.conftest import token_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_daily_quota(client, settings, producer_a, parcels):
    client.force_login(producer_a)
    response = client.get(f"/donnees/{parcels.pk}/telecharger/", {"format": "gpkg"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    job = DownloadJob.objects.get()
    assert job.status == "succeeded" and job.size > 0  # what was sent counts, not the estimate

    settings.GP_DOWNLOAD_QUOTA_BYTES_PER_DAY = job.size + 10
    response = client.get(f"/donnees/{parcels.pk}/telecharger/", {"format": "gpkg"})
    assert response.status_code == 429
    page = response.content.decode()
    assert 'data-error-code="quota_exceeded"' in page and "Quota journalier" in page
    api = token_client(producer_a).post(
        "/api/v1/downloads/", {"items": [{"dataset": parcels.pk, "format": "gpkg"}]}, format="json"
    )
    assert api.status_code == 429 and api.json()["error"]["code"] == "quota_exceeded"
    assert DownloadJob.objects.count() == 1


def test_jobs_in_flight(settings, producer_a, parcels):
    settings.GP_DOWNLOAD_MAX_JOBS_IN_FLIGHT = 2
    for status in ("queued", "running"):
        DownloadJob.objects.create(user=producer_a, status=status, items=[{"dataset": parcels.pk}])
    response = token_client(producer_a).post(
        "/api/v1/downloads/", {"items": [{"dataset": parcels.pk, "format": "gpkg"}]}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_jobs"
    assert "2 téléchargements en cours" in response.json()["error"]["message"]


def test_rate_limit(client, settings, reader, parcels):
    settings.GP_DOWNLOAD_RATE_PER_MINUTE = 2
    client.force_login(reader)  # refusals count too: a script probing datasets is slowed down as well
    codes = [client.get(f"/donnees/{parcels.pk}/telecharger/", {"format": "gpkg"}).status_code for _i in range(3)]
    assert codes == [404, 404, 429]
    response = client.get(f"/donnees/{parcels.pk}/telecharger/", {"format": "gpkg"})
    assert response.status_code == 429
    assert 'data-error-code="rate_limited"' in response.content.decode()
    assert "réessayez dans une minute" in response.content.decode()
