"""Dataset page views and OGC requests are counted in Redis as they are answered, and a Redis outage never
breaks a page."""

import pytest
from django.utils import timezone

from catalogue.models import Dataset
from geoplatform import statistics
from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares


@pytest.fixture(autouse=True)
def usage_keys():
    """Our run's usage keys in the test Redis, empty before and after each test."""
    statistics.reset()

    def clean() -> None:
        client = statistics.redis_client()
        keys = list(client.scan_iter(statistics.redis_key("*")))
        if keys:
            client.delete(*keys)

    clean()
    yield
    clean()
    statistics.reset()


def counters() -> dict[str, int]:
    raw = statistics.redis_client().hgetall(statistics.day_key(timezone.localdate()))
    return {name.decode(): int(value) for name, value in raw.items()}


@pytest.fixture
def dataset(organisations, producer_a):
    return Dataset.objects.create(title="Arbres remarquables", organisation=organisations["a"], public=True)


@pytest.mark.django_db
def test_a_dataset_page_view_is_counted(client, dataset, organisations):
    assert client.get(f"/donnees/{dataset.pk}/").status_code == 200
    assert client.get(f"/donnees/{dataset.pk}/").status_code == 200
    assert counters() == {f"page||{dataset.pk}||{organisations['a'].pk}": 2}


@pytest.mark.django_db
def test_a_signed_in_view_is_counted_for_that_user(client, dataset, reader, organisations):
    client.force_login(reader)
    client.get(f"/donnees/{dataset.pk}/")
    assert counters() == {f"page||{dataset.pk}|{reader.pk}|{organisations['a'].pk}": 1}


@pytest.mark.django_db
def test_refused_missing_and_other_pages_are_not_counted(client, dataset, organisations):
    private = Dataset.objects.create(title="Privé", organisation=organisations["b"])
    assert client.get(f"/donnees/{private.pk}/").status_code == 404
    assert client.get("/donnees/999999/").status_code == 404
    assert client.get("/donnees/").status_code == 200
    assert client.get("/").status_code == 200
    assert counters() == {}


@pytest.mark.django_db(transaction=True)
def test_a_wms_getcapabilities_is_counted_as_an_ogc_request(client, organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=1)), "Parcelles")
    dataset = job.dataset
    dataset.public = True
    dataset.save()
    response = client.get(f"/ows/dataset/{dataset.pk}", {"service": "wms", "request": "GetCapabilities"})
    assert response.status_code == 200
    assert dataset.layer_name.encode() in response.content
    client.get(f"/ows/dataset/{dataset.pk}", {"REQUEST": "GetCapabilities"})  # no SERVICE: counted as OWS
    assert counters() == {
        f"ogc|WMS|{dataset.pk}||{organisations['a'].pk}": 1,
        f"ogc|OWS|{dataset.pk}||{organisations['a'].pk}": 1,
    }


@pytest.mark.django_db(transaction=True)
def test_gis_clients_are_counted_for_the_person_they_authenticate_as(client, organisations, producer_a, tmp_path):
    """A QGIS connection with a personal key in the URL, or with a login and password, counts for that person."""
    import base64

    from geoplatform.models import ApiToken

    dataset = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=1)), "Parcelles").dataset
    _token, key = ApiToken.issue(producer_a, "QGIS")
    with_key = client.get(f"/ows/dataset/{dataset.pk}", {"SERVICE": "WMS", "REQUEST": "GetCapabilities", "key": key})
    assert with_key.status_code == 200
    basic = base64.b64encode(b"producteur-a:producteur-a-demo").decode()
    response = client.get(
        f"/ows/dataset/{dataset.pk}",
        {"SERVICE": "WFS", "REQUEST": "GetCapabilities"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200
    assert counters() == {
        f"ogc|WMS|{dataset.pk}|{producer_a.pk}|{organisations['a'].pk}": 1,
        f"ogc|WFS|{dataset.pk}|{producer_a.pk}|{organisations['a'].pk}": 1,
    }


@pytest.mark.django_db
def test_a_download_is_counted_for_the_downloads_app(dataset, reader, organisations):
    assert statistics.record_download(dataset, reader)
    assert counters() == {f"download||{dataset.pk}|{reader.pk}|{organisations['a'].pk}": 1}


@pytest.mark.django_db
def test_pages_still_answer_when_redis_is_down(client, dataset, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    statistics.reset()
    response = client.get(f"/donnees/{dataset.pk}/")
    assert response.status_code == 200
    assert "Arbres remarquables" in response.content.decode()
    assert client.get(f"/donnees/{dataset.pk}/").status_code == 200
    assert "Usage not counted" in caplog.text
