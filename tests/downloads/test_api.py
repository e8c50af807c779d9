"""The downloads API: POST answers 202 with the job URL; errors have stable codes; forbidden datasets are absent."""

import io
import time
import zipfile
from datetime import date
from urllib.parse import urlsplit

import pytest

from catalogue.models import Dataset
from downloads.models import DownloadJob
from tests.conftest import token_client
from tests.downloads.conftest import CLIP_BOX, data_file, read_features, unzip

pytestmark = pytest.mark.django_db(transaction=True)


def _post(api, items):
    return api.post("/api/v1/downloads/", {"items": items}, format="json")


def wait_for_download(pk, timeout: float = 120) -> DownloadJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = DownloadJob.objects.get(pk=pk)
        if job.finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"download {pk} still {job.status} after {timeout}s")


def test_order_answers_202_then_the_job_has_the_zip(celery_worker, client, producer_a, parcels, trees, tmp_path):
    """Two datasets, each with its own format, CRS and clip, ordered through the API and built by the worker."""
    api = token_client(producer_a)
    items = [
        {"dataset": parcels.pk, "format": "gpkg", "srid": 4326, "clip": {"bbox": CLIP_BOX, "srid": 2154}},
        {"dataset": trees.pk, "format": "shp"},
    ]
    response = _post(api, items)
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) >= {"id", "url", "status"} and body["status"] == "queued"
    assert body["url"].endswith(f"/api/v1/downloads/{body['id']}/")
    job = DownloadJob.objects.get(pk=body["id"])
    assert job.user == producer_a and job.mode == "deferred"
    assert job.items[0] == {**items[0], "clip": {"bbox": CLIP_BOX, "srid": 2154}}
    assert job.items[1] == {**items[1], "srid": 2154, "clip": None}

    assert wait_for_download(body["id"]).status == "succeeded"
    detail = api.get(body["url"]).json()
    assert detail["status"] == "succeeded" and detail["progress"] == 100
    result = client.get(urlsplit(detail["result"]).path)  # the signed link works without a session
    assert result.status_code == 200
    archive = b"".join(result.streaming_content)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:  # files are dated today, not 1980
        assert {info.date_time[:3] for info in opened.infolist()} == {date.today().timetuple()[:3]}
    files = unzip(archive, tmp_path)
    epsg, rows, _geometries = read_features(data_file(files, "gpkg"))
    assert epsg == 4326 and len(rows) == 6
    _epsg, rows, _geometries = read_features(data_file(files, "shp"))
    assert len(rows) == 20
    assert sum(name.endswith("metadonnees.xml") for name in files) == 2
    assert sum(name.endswith("licence.txt") for name in files) == 2
    assert b"gmd:MD_Metadata" in next(p for n, p in files.items() if n.endswith("metadonnees.xml")).read_bytes()
    assert "Licence Ouverte" in next(p for n, p in files.items() if n.endswith("licence.txt")).read_text()
    readme = files["LISEZMOI.txt"].read_text(encoding="utf-8")
    assert "Parcelles cadastrales" in readme and "Arbres remarquables" in readme and "EPSG:4326" in readme


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"format": "xlsx"}, "unknown_format"),
        ({"format": "tif"}, "format_mismatch"),
        ({"format": "gpkg", "srid": 27572}, "unknown_srid"),
        ({"format": "kml", "srid": 2154}, "unknown_srid"),
        ({"format": "gpkg", "clip": {"bbox": [1, 2]}}, "invalid_clip"),
        (
            {"format": "gpkg", "clip": {"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}},
            "invalid_clip",
        ),  # fmt: skip
        ({"format": "gpkg", "clip": "everything"}, "invalid_clip"),
        ({"format": "gpkg", "options": {"compression": "lzw"}}, "invalid_option"),
    ],
)
def test_bad_items_have_stable_codes(producer_a, parcels, item, code):
    response = _post(token_client(producer_a), [{"dataset": parcels.pk, **item}])
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert not DownloadJob.objects.exists()


def test_datasets_one_may_not_see_are_absent(producer_b, parcels):
    api = token_client(producer_b)
    for pk in (parcels.pk, 999999):
        response = _post(api, [{"dataset": pk, "format": "gpkg"}])
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "forbidden"
        assert parcels.title not in response.content.decode()


def test_no_items(producer_a):
    for body in ({}, {"items": []}, {"items": "1"}, {"items": [1]}):
        response = token_client(producer_a).post("/api/v1/downloads/", body, format="json")
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_items"


def test_anonymous_visitors_download_open_data_only(client, parcels):
    Dataset.objects.filter(pk=parcels.pk).update(public=True)
    response = client.get(f"/donnees/{parcels.pk}/telecharger/", {"format": "geojson"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    for change in ({"licence": Dataset.Licence.OTHER, "licence_other": "Licence maison"},
                   {"access_constraint": Dataset.AccessConstraint.ARTICLE_13_1_E}):  # fmt: skip
        Dataset.objects.filter(pk=parcels.pk).update(licence=Dataset.Licence.LO_2, access_constraint="noLimitations")
        Dataset.objects.filter(pk=parcels.pk).update(**change)
        assert client.get(f"/donnees/{parcels.pk}/telecharger/", {"format": "geojson"}).status_code == 403
    # A signed-in reader may download the same public dataset under a non-open licence: the rights allow it.
    from tests.conftest import _user

    client.force_login(_user("lecteur-licence"))
    response = client.get(f"/donnees/{parcels.pk}/telecharger/", {"format": "geojson"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
