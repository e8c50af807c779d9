"""WCS 2.0 for raster datasets: DescribeCoverage and GetCoverage as GeoTIFF with subsetting, read back by GDAL."""

import pytest
from osgeo import gdal

from catalogue.models import Dataset
from tests.conftest import import_now
from tests.sample_data import ORIGIN, geotiff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def raster(organisations, producer_a, tmp_path):
    dataset = import_now(producer_a, organisations["a"], geotiff(tmp_path / "t.tif"), "Température").dataset
    Dataset.objects.filter(pk=dataset.pk).update(public=True)
    dataset.refresh_from_db()
    return dataset


@pytest.mark.parametrize("url", ["/ows", "/ows/dataset/{pk}"])
def test_describe_and_get_coverage(client, raster, tmp_path, url):
    url = url.format(pk=raster.pk)
    wcs = {"SERVICE": "WCS", "VERSION": "2.0.1"}
    capabilities = client.get(url, {**wcs, "REQUEST": "GetCapabilities"}).getvalue().decode()
    assert f"<wcs:CoverageId>{raster.layer_name}</wcs:CoverageId>" in capabilities
    described = client.get(url, {**wcs, "REQUEST": "DescribeCoverage", "COVERAGEID": raster.layer_name})
    assert b"CoverageDescription" in described.getvalue(), described.getvalue()[:500]
    x, y = ORIGIN
    response = client.get(
        url,
        [
            *wcs.items(),
            ("REQUEST", "GetCoverage"),
            ("COVERAGEID", raster.layer_name),
            ("FORMAT", "image/tiff"),
            ("SUBSET", f"x({x},{x + 2000})"),
            ("SUBSET", f"y({y},{y + 1000})"),
        ],
    )
    assert response["Content-Type"].startswith("image/tiff"), response.getvalue()[:500]
    path = tmp_path / "out.tif"
    path.write_bytes(response.getvalue())
    out = gdal.Open(str(path))
    assert (out.RasterXSize, out.RasterYSize) == (20, 10)
    value = out.GetRasterBand(1).ReadAsArray()[-1, 0]
    assert abs(value - (15 + 47 * 0.1)) < 0.5  # lower-left pixel of the source grid


def test_private_coverage_refused(client, organisations, producer_a, tmp_path):
    dataset = import_now(producer_a, organisations["a"], geotiff(tmp_path / "s.tif"), "Secret").dataset
    params = {"SERVICE": "WCS", "VERSION": "2.0.1", "REQUEST": "GetCoverage", "COVERAGEID": dataset.layer_name}
    response = client.get("/ows", {**params, "FORMAT": "image/tiff"})
    assert b"ExceptionReport" in response.getvalue()
