"""GET /healthz reports database, Redis, Celery worker and MapServer, and answers 503 when one is down."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_all_up_with_a_worker(client, celery_worker):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "celery", "mapserver"}
    assert body["checks"]["mapserver"]["version"].startswith("8.")


def test_redis_down_is_503(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["status"] == "down"


def test_no_worker_on_our_queue_is_503(client, settings, celery_worker):
    settings.CELERY_TASK_DEFAULT_QUEUE = "a-queue-nobody-consumes"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["celery"]["status"] == "down"


def test_mapserver_missing_is_503(client, settings):
    settings.MAPSERVER_BIN = "/nonexistent/mapserv"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["mapserver"]["status"] == "down"
