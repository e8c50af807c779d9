"""Shared fixtures: real PostGIS (pytest-django test database), real Redis, a real Celery worker process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from geoplatform.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory) -> Path:
    """Each test session writes uploads, rasters and mapfiles in its own folder."""
    path = tmp_path_factory.mktemp("gpdata")
    settings.DATA_DIR = path
    settings.MEDIA_ROOT = path / "media"
    settings.MAPFILE_DIR = path / "mapfiles"
    settings.MAPSERVER_CONFIG_FILE = path / "mapserver.conf"
    return path


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test database; pygeoapi's connections to it are closed first, or it could not be dropped."""
    yield
    from wxs import pygeoapi
    from wxs.mapserver import runtime

    pygeoapi.engine.reset()
    runtime.stop_started_pool()  # its mapserv workers keep PostGIS connections open


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, data_dir):
    """A real `celery worker` process on the test database, its own Redis db and queue."""
    from django.db import connection

    queue = f"geoplatform-test-{os.getpid()}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    celery_app.conf.task_default_queue = queue
    env = dict(
        os.environ,
        GP_TESTING="1",
        GP_DATA_DIR=str(data_dir),
        GP_CELERY_QUEUE=queue,
        GP_DB_NAME=connection.settings_dict["NAME"],
        GP_REDIS_URL=settings.REDIS_URL,
    )
    log = open(data_dir / "celery-worker.log", "wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "geoplatform",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--pool",
            "prefork",
            "--queues",
            queue,
            "--hostname",
            f"test-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker exited: {(data_dir / 'celery-worker.log').read_text()[-2000:]}")
        if celery_app.control.ping(destination=[f"test-{os.getpid()}@{os.uname().nodename}"], timeout=0.5):
            break
    else:
        process.kill()
        raise RuntimeError("Celery worker did not start")
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def wait_for_job(job_id, timeout: float = 120):
    """Poll the job row until the worker finishes it."""
    from importer.models import ImportJob

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.status} after {timeout}s")


@pytest.fixture
def organisations(db):
    from geoplatform.models import Organisation

    return {
        "a": Organisation.objects.create(name="Commune A", slug="commune-a"),
        "b": Organisation.objects.create(name="Département B", slug="departement-b"),
    }


def _user(username: str, *, organisation=None, role: str = "producer", staff: bool = False):
    from allauth.account.models import EmailAddress

    from geoplatform.models import Membership, User

    user = User.objects.create_user(
        username, f"{username}@example.org", f"{username}-demo", is_staff=staff, is_superuser=staff
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if organisation is not None:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def producer_a(organisations):
    return _user("producteur-a", organisation=organisations["a"])


@pytest.fixture
def producer_b(organisations):
    return _user("producteur-b", organisation=organisations["b"])


@pytest.fixture
def member_a(organisations):
    return _user("membre-a", organisation=organisations["a"], role="member")


@pytest.fixture
def reader(db):
    return _user("lecteur")


@pytest.fixture
def admin_user(db):
    return _user("admin", staff=True)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


def token_client(user):
    from rest_framework.test import APIClient

    from geoplatform.models import ApiToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user, 'tests')[1]}")
    return client


def import_now(user, organisation, path: Path, title: str):
    """Run the real import pipeline in-process (as the worker does) and insist it succeeded."""
    from importer.services.pipeline import create_import

    job = create_import(user=user, path=path, filename=path.name, organisation=organisation, title=title, run_now=True)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    return job
