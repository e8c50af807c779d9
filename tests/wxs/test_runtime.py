"""MapServer runs as a supervised pool of FastCGI workers: concurrent answers, a killed worker is replaced, a missing
pool is started on demand, a pool that cannot run gives a 503 ServiceException, big answers stream."""

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import override_settings

from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares
from wxs import mapserver
from wxs.mapserver import pool, runtime

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def squares_dataset(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=4, size=500)), "Carrés")
    return job.dataset


def _getmap(dataset) -> dict[str, str]:
    x, y = ORIGIN
    return {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": dataset.layer_name,
        "STYLES": "",
        "CRS": "EPSG:2154",
        "BBOX": f"{x - 1000},{y - 1000},{x + 5000},{y + 5000}",
        "WIDTH": "256",
        "HEIGHT": "256",
        "FORMAT": "image/png",
    }


def _workers(pool_pid: int) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(pool_pid)], capture_output=True, text=True, check=False).stdout
    return {int(pid) for pid in out.split()}


def test_the_pool_answers_concurrent_requests(squares_dataset):
    mapfile = mapserver.mapfile_for(squares_dataset)
    with ThreadPoolExecutor(8) as executor:
        answers = list(
            executor.map(lambda _: mapserver.render(mapfile, _getmap(squares_dataset), "http://t/"), range(16))
        )
    assert {(a.status, a.content_type) for a in answers} == {(200, "image/png")}
    assert all(a.body.startswith(b"\x89PNG") for a in answers)


def test_a_killed_worker_is_replaced(squares_dataset):
    mapfile = mapserver.mapfile_for(squares_dataset)
    assert mapserver.render(mapfile, _getmap(squares_dataset), "http://t/").status == 200
    supervisor = runtime._started[runtime.socket_path()]
    before = _workers(supervisor.pid)
    assert len(before) == runtime.pool_workers()
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        victim in _workers(supervisor.pid) or len(_workers(supervisor.pid)) < len(before)
    ):
        time.sleep(0.1)
    after = _workers(supervisor.pid)
    assert victim not in after and len(after) == len(before)
    assert mapserver.render(mapfile, _getmap(squares_dataset), "http://t/").body.startswith(b"\x89PNG")


def test_a_missing_pool_is_started_on_demand(squares_dataset, tmp_path_factory):
    socket = f"/tmp/gp-test-{os.getpid()}.sock"
    with override_settings(MAPSERVER_SOCKET=socket):
        assert not pool.answers(socket)
        answer = mapserver.render(mapserver.mapfile_for(squares_dataset), _getmap(squares_dataset), "http://t/")
        assert answer.status == 200 and answer.content_type == "image/png"
        assert pool.answers(socket)
        supervisor = runtime._started.pop(runtime.socket_path())
    supervisor.terminate()
    supervisor.wait(10)
    assert not os.path.exists(socket)


def test_a_pool_that_cannot_run_gives_a_503_service_exception(squares_dataset):
    socket = f"/tmp/gp-test-dead-{os.getpid()}.sock"
    with override_settings(MAPSERVER_SOCKET=socket, MAPSERVER_BIN="/bin/false", MAPSERVER_TIMEOUT=20):
        answer = mapserver.render(mapserver.mapfile_for(squares_dataset), _getmap(squares_dataset), "http://t/")
        started = runtime._started.pop(runtime.socket_path(), None)
    if started:
        started.terminate()
    assert answer.status == 503
    assert b"ServiceException" in answer.body


def test_capabilities_carry_the_public_url(squares_dataset):
    answer = mapserver.render(
        mapserver.mapfile_for(squares_dataset),
        {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"},
        "https://geo.example.fr/",
    )
    assert answer.status == 200
    assert b"https://geo.example.fr" in answer.body
    assert mapserver.ONLINE_RESOURCE_PLACEHOLDER.encode() not in answer.body


def test_a_big_getfeature_streams(organisations, producer_a, tmp_path):
    features = squares(count=5000, size=500)
    dataset = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, features), "Carrés").dataset
    params = {
        "SERVICE": "WFS",
        "VERSION": "2.0.0",
        "REQUEST": "GetFeature",
        "TYPENAMES": f"ms:{dataset.layer_name}",
        "OUTPUTFORMAT": "geojson",
    }
    answer = mapserver.respond(mapserver.mapfile_for(dataset), params, "http://t/")
    assert answer.status == 200 and "json" in answer.content_type
    first = next(answer.chunks)
    rest = [len(chunk) for chunk in answer.chunks]
    total = len(first) + sum(rest)
    # The body arrives in many pieces, the first long before the end: nothing waits for the whole answer.
    assert len(rest) > 10 and len(first) < total / 10, (total, first[:300])
    assert total > 5000 * 100
