"""The basket: several datasets, each with its own format, CRS and clip, ordered as one job producing one zip."""

import time
from urllib.parse import urlsplit

import pytest
from osgeo import gdal

from downloads.models import BasketItem, DownloadJob
from tests.conftest import token_client
from tests.downloads.conftest import CLIP_BOX, data_file, epsg_of, read_features, unzip

pytestmark = pytest.mark.django_db(transaction=True)


def test_basket_ordered_as_one_zip(celery_worker, client, producer_a, producer_b, parcels, elevation, tmp_path):
    api = token_client(producer_a)
    first = api.post(
        "/api/v1/downloads/basket/",
        {"dataset": parcels.pk, "format": "shp", "srid": 3947, "clip": {"bbox": CLIP_BOX, "srid": 2154}},
        format="json",
    )
    assert first.status_code == 201, first.content
    second = api.post("/api/v1/downloads/basket/", {"dataset": elevation.pk, "format": "cog"}, format="json")
    assert second.status_code == 201
    refused = api.post("/api/v1/downloads/basket/", {"dataset": parcels.pk, "format": "shp", "srid": 1}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "unknown_srid"
    assert [item["format"] for item in api.get("/api/v1/downloads/basket/").json()] == ["shp", "cog"]

    # Nobody else sees or empties this basket.
    other = token_client(producer_b)
    assert other.get("/api/v1/downloads/basket/").json() == []
    assert other.delete(f"/api/v1/downloads/basket/{first.json()['id']}/").status_code == 404
    assert other.post("/api/v1/downloads/basket/order/").json()["error"]["code"] == "empty_basket"

    response = api.post("/api/v1/downloads/basket/order/")
    assert response.status_code == 202
    assert not BasketItem.objects.filter(user=producer_a).exists()
    job_id = response.json()["id"]
    deadline = time.monotonic() + 120
    while (job := DownloadJob.objects.get(pk=job_id)).status in ("queued", "running"):
        assert time.monotonic() < deadline, "the order did not finish"
        time.sleep(0.2)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert len(job.items) == 2

    result = client.get(urlsplit(api.get(f"/api/v1/downloads/{job_id}/").json()["result"]).path)
    files = unzip(b"".join(result.streaming_content), tmp_path)
    epsg, rows, _geometries = read_features(data_file(files, "shp"))
    assert epsg == 3947 and len(rows) == 6

    raster = gdal.Open(str(data_file(files, "tif")))
    assert epsg_of(raster.GetSpatialRef()) == 2154 and raster.RasterXSize == 64


def test_removing_an_item(producer_a, parcels):
    api = token_client(producer_a)
    item = api.post("/api/v1/downloads/basket/", {"dataset": parcels.pk, "format": "gpkg"}, format="json").json()
    assert api.delete(f"/api/v1/downloads/basket/{item['id']}/").status_code == 204
    assert api.get("/api/v1/downloads/basket/").json() == []
