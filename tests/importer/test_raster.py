"""A GeoTIFF is stored as a Cloud-Optimised GeoTIFF with overviews, in the CRS the file declares."""

from pathlib import Path

import pytest
from osgeo import gdal

from tests.sample_data import geotiff

pytestmark = pytest.mark.django_db


def test_geotiff_becomes_a_cog_with_overviews(run_file, tmp_path):
    job = run_file(geotiff(tmp_path / "mnt.tif", width=2048, height=2048))
    assert job.status == "succeeded", (job.error_code, job.error_message, job.error_details)
    dataset = job.dataset
    assert (dataset.kind, dataset.version, dataset.srid, dataset.geometry_type) == ("raster", 1, 2154, "raster")
    cog = Path(dataset.raster_path)
    assert cog.name == f"ds{dataset.pk}_v1.tif"

    info = gdal.Info(str(cog), format="json")
    assert info["metadata"]["IMAGE_STRUCTURE"]["LAYOUT"] == "COG"
    assert info["size"] == [2048, 2048]
    assert len(info["bands"][0]["overviews"]) > 0
    assert info["bands"][0]["noDataValue"] == -9999
    ds = gdal.Open(str(cog))
    assert ds.GetSpatialRef().GetAuthorityCode(None) == "2154"
    assert ds.GetRasterBand(1).GetOverviewCount() == dataset.raster_info["overviews"] > 0
    assert dataset.bbox == pytest.approx([525000, 6700000, 525000 + 2048 * 100, 6700000 + 2048 * 100])
    assert not list(cog.parent.glob("import_*")), "the temporary COG was left behind"


def test_geotiff_without_crs_takes_the_given_srid(run_file, tmp_path):
    job = run_file(geotiff(tmp_path / "mnt.tif", epsg=None), srid=2154)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert job.dataset.srid == 2154
    assert gdal.Open(job.dataset.raster_path).GetSpatialRef().GetAuthorityCode(None) == "2154"


def test_geotiff_without_crs_nor_srid_is_refused(refused, tmp_path):
    refusal = refused(geotiff(tmp_path / "mnt.tif", epsg=None))
    assert refusal.code == "unknown_crs"
