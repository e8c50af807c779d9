"""OGC API Features: what the rights proxy costs per request, against pygeoapi answering the same request bare.

Run with `make bench` or `.venv/bin/python -m pytest tests/bench/test_ogcapi_benchmark.py -s -p no:cacheprovider`.
"""

import statistics as stats
import time

import pytest
from django.test import Client, RequestFactory
from pygeoapi.api import APIRequest
from pygeoapi.api import itemtypes as itemtypes_api

from catalogue.models import Dataset
from tests.bench import report
from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 40
EXTRA_COLLECTIONS = 100  # records pointing at the same layer table, so that listings have many collections


def _median_ms(call, rounds: int = ROUNDS) -> float:
    call()  # warm caches (table reflection, connection pool)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return stats.median(times)


def test_rights_check_cost(organisations, producer_a, tmp_path):
    from wxs import pygeoapi

    layer = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=12)), "Carrés").dataset
    Dataset.objects.filter(pk=layer.pk).update(public=True)
    for i in range(EXTRA_COLLECTIONS):
        Dataset.objects.create(
            title=f"Copie {i}",
            organisation=organisations["a" if i % 2 else "b"],
            public=bool(i % 3),
            kind=Dataset.Kind.VECTOR,
            version=1,
            table_name=layer.table_name,
            srid=layer.srid,
            geometry_type=layer.geometry_type,
            bbox_wgs84=layer.bbox_wgs84,
        )
    pygeoapi.engine.reset()
    start = time.perf_counter()
    api = pygeoapi.engine.get()
    rebuild_ms = (time.perf_counter() - start) * 1000
    items = f"/ogcapi/collections/{layer.layer_name}/items"
    factory = RequestFactory()
    anonymous = Client()
    owner = Client()
    owner.force_login(producer_a)

    def bare() -> None:
        request = APIRequest.from_django(factory.get(items, {"f": "json"}), api.locales)
        itemtypes_api.get_collection_items(api, request, layer.layer_name)

    from django.contrib.auth.models import AnonymousUser

    rows = [
        ("pygeoapi alone, items (anchor)", _median_ms(bare)),
        ("signature check (count + max(updated_at))", _median_ms(pygeoapi.signature)),
        (
            "rights view, one collection, anonymous",
            _median_ms(lambda: pygeoapi.caller_api(api, AnonymousUser(), layer.layer_name)),
        ),
        (
            "rights view, one collection, owner",
            _median_ms(lambda: pygeoapi.caller_api(api, producer_a, layer.layer_name)),
        ),
        (
            f"rights view, listing of {EXTRA_COLLECTIONS + 1} collections, owner",
            _median_ms(lambda: pygeoapi.caller_api(api, producer_a)),
        ),
        (
            "through /ogcapi/, conformance (Django stack + signature)",
            _median_ms(lambda: anonymous.get("/ogcapi/conformance", {"f": "json"})),
        ),
        ("through /ogcapi/, items, anonymous", _median_ms(lambda: anonymous.get(items, {"f": "json"}))),
        ("through /ogcapi/, items, owner (session)", _median_ms(lambda: owner.get(items, {"f": "json"}))),
        (
            f"through /ogcapi/, collections ({EXTRA_COLLECTIONS + 1}), owner",
            _median_ms(lambda: owner.get("/ogcapi/collections", {"f": "json"}), rounds=10),
        ),
    ]
    anchor = rows[0][1]
    lines = [
        f"OGC API Features rights proxy, {time.strftime('%Y-%m-%d %H:%M %Z')}, median of {ROUNDS} calls "
        f"(in-process, Django test client); API rebuild with {EXTRA_COLLECTIONS + 1} collections: {rebuild_ms:.0f} ms",
        "",
        "| step | median ms | × anchor |",
        "| --- | --- | --- |",
        *(f"| {name} | {ms:.2f} | {ms / anchor:.2f} |" for name, ms in rows),
    ]
    table = "\n".join(lines)
    report.EXTRA.append(table)
    print("\n" + table)
