"""The worker writes a job's messages in the language of the person who started it."""

import json

import pytest
from django.test import Client

from importer.models import ImportJob
from importer.services.pipeline import run_import

pytestmark = pytest.mark.django_db


def _start(client: Client, tmp_path) -> ImportJob:
    csv = tmp_path / "arbres.csv"
    csv.write_text("x,y,nom\n525000,6700000,Chêne\n", encoding="utf-8")  # no CRS in a CSV: unknown_crs in the job
    data = csv.read_bytes()
    upload = client.post(
        "/import/uploads/", json.dumps({"filename": csv.name, "size": len(data)}), content_type="application/json"
    ).json()
    client.put(
        upload["url"],
        data,
        content_type="application/octet-stream",
        headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"},
    )
    body = client.post(upload["url"] + "complete/", {"title": "Arbres"}).json()
    return run_import(body["job"])


@pytest.mark.parametrize(("language", "expected"), [("fr", "système de coordonnées"), ("en", "coordinate")])
def test_job_error_in_the_starters_language(producer_a, tmp_path, language, expected):
    client = Client()
    client.force_login(producer_a)
    client.cookies["django_language"] = language
    job = _start(client, tmp_path)
    assert job.status == "failed" and job.error_code == "unknown_crs"
    assert job.language == language
    assert expected in job.error_message, job.error_message
