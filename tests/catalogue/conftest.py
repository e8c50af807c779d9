"""Catalogue fixtures: a real pycsw process on the test database."""

import os
import socket
import subprocess
import time

import pytest
import requests
from django.conf import settings

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def pycsw_server(django_db_setup, django_db_blocker, data_dir, live_server):
    """pycsw 2.6.2 (its own venv, gunicorn) reading the test database's `csw_records` view; /csw points at it."""
    from catalogue import csw

    with django_db_blocker.unblock():
        config = csw.write_config(data_dir / "pycsw.cfg", site_url=live_server.url)
    port = _free_port()
    command, extra_env = csw.server_command(config, port, workers=1)
    log = open(data_dir / "pycsw.log", "wb")
    process = subprocess.Popen(
        command, cwd=ROOT, env=dict(os.environ, **extra_env), stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pycsw exited: {(data_dir / 'pycsw.log').read_text()[-2000:]}")
        try:
            if requests.get(url, params={"service": "CSW", "request": "GetCapabilities"}, timeout=10).ok:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("pycsw did not start")
    previous = settings.CSW_URL
    settings.CSW_URL = url
    yield url
    settings.CSW_URL = previous
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
