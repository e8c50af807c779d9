"""What counting a use costs a request: the dataset page with and without UsageMiddleware, same process.

Times are printed, never asserted (run with `make bench`, or `pytest tests/bench/test_statistics_overhead.py -s`).
"""

import os
import time

import pytest
from django.conf import settings
from django.test import Client, override_settings

from catalogue.models import Dataset
from geoplatform import statistics

REQUESTS = int(os.environ.get("GP_BENCH_REQUESTS", "500"))
MIDDLEWARE = "geoplatform.statistics.UsageMiddleware"

pytestmark = pytest.mark.django_db


def _per_request(client: Client, path: str) -> float:
    for _ in range(20):  # warm up: templates, connections, the organisation cache
        assert client.get(path).status_code == 200
    start = time.perf_counter()
    for _ in range(REQUESTS):
        client.get(path)
    return (time.perf_counter() - start) / REQUESTS


def test_middleware_overhead(organisations):
    dataset = Dataset.objects.create(title="Banc d'essai", organisation=organisations["a"], public=True)
    path = f"/donnees/{dataset.pk}/"
    statistics.reset()
    without_middleware = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    timings = {}
    for _round in range(2):  # alternate, keep the best of each
        for name, middleware in [("with", settings.MIDDLEWARE), ("without", without_middleware)]:
            with override_settings(MIDDLEWARE=middleware):
                best = _per_request(Client(), path)
            timings[name] = min(best, timings.get(name, best))
    start = time.perf_counter()
    for _ in range(REQUESTS):
        statistics.record("page", dataset_id=dataset.pk, organisation_id=dataset.organisation_id, user_id=None)
    record_alone = (time.perf_counter() - start) / REQUESTS
    client = statistics.redis_client()
    keys = list(client.scan_iter(statistics.redis_key("*")))
    if keys:
        client.delete(*keys)
    print(
        f"\nDataset page, {REQUESTS} requests: {timings['without'] * 1000:.2f} ms without UsageMiddleware, "
        f"{timings['with'] * 1000:.2f} ms with it (ratio {timings['with'] / timings['without']:.3f}); "
        f"statistics.record() alone: {record_alone * 1e6:.0f} µs"
    )
