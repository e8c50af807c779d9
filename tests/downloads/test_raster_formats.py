"""Raster formats, opened with GDAL: cut with a cutline, reprojected, compression, world file."""

import json

import pytest
from osgeo import gdal

from tests.downloads.conftest import data_file, epsg_of, unzip

pytestmark = pytest.mark.django_db(transaction=True)

# The raster covers x 525000-531400, y 6700000-6704800 with 100 m pixels; this box is 20 × 20 pixels of it.
BOX = [526000.0, 6701000.0, 528000.0, 6703000.0]


def _download(client, dataset, **params) -> bytes:
    response = client.get(f"/donnees/{dataset.pk}/telecharger/", params)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def _bounds(raster: gdal.Dataset) -> tuple[float, float, float, float]:
    x0, dx, _a, y0, _b, dy = raster.GetGeoTransform()
    return x0, y0 + raster.RasterYSize * dy, x0 + raster.RasterXSize * dx, y0


def test_geotiff_cut_to_the_box_with_chosen_compression(client, producer_a, elevation, tmp_path):
    client.force_login(producer_a)
    data = _download(client, elevation, format="tif", bbox=",".join(map(str, BOX)), bbox_srid=2154,
                     compression="lzw")  # fmt: skip
    raster = gdal.Open(str(data_file(unzip(data, tmp_path), "tif")))
    assert epsg_of(raster.GetSpatialRef()) == 2154
    assert (raster.RasterXSize, raster.RasterYSize) == (20, 20)
    assert _bounds(raster) == pytest.approx(BOX)
    assert raster.GetMetadata("IMAGE_STRUCTURE")["COMPRESSION"] == "LZW"
    # Values are the source's: 15 + 0.2 x + 0.1 y at the first pixel of the box (column 10, row 18).
    assert raster.GetRasterBand(1).ReadAsArray()[0, 0] == pytest.approx(15 + 0.2 * 10 + 0.1 * 18, abs=1e-4)


def test_cog_in_wgs84(client, producer_a, elevation, tmp_path):
    client.force_login(producer_a)
    raster = gdal.Open(str(data_file(unzip(_download(client, elevation, format="cog", srid=4326), tmp_path), "tif")))
    assert epsg_of(raster.GetSpatialRef()) == 4326
    assert raster.GetMetadata("IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    west, south, east, north = _bounds(raster)
    assert 0.6 < west < east < 0.8 and 47.3 < south < north < 47.5


def test_polygon_cutline_masks_outside_pixels(client, producer_a, elevation, tmp_path):
    """A triangle: the pixels of the box outside it are nodata, those inside keep their values."""
    client.force_login(producer_a)
    ring = [[526000, 6701000], [528000, 6701000], [526000, 6703000], [526000, 6701000]]
    triangle = json.dumps({"type": "Polygon", "coordinates": [ring]})
    data = _download(client, elevation, format="tif", geometry=triangle, geometry_srid=2154)
    raster = gdal.Open(str(data_file(unzip(data, tmp_path), "tif")))
    band = raster.GetRasterBand(1)
    values = band.ReadAsArray()
    nodata = band.GetNoDataValue()
    assert values.shape == (20, 20)
    assert values[19, 0] != nodata  # bottom-left corner: inside
    assert values[0, 19] == nodata  # top-right corner: outside the triangle
    assert 150 < (values != nodata).sum() < 260  # about half of the 400 pixels


def test_jpeg2000_where_gdal_has_it(client, producer_a, elevation, tmp_path):
    client.force_login(producer_a)
    assert gdal.GetDriverByName("JP2OpenJPEG") is not None, "this GDAL has JPEG 2000: the format is offered"
    data = _download(client, elevation, format="jp2", bbox=",".join(map(str, BOX)), bbox_srid=2154)
    raster = gdal.Open(str(data_file(unzip(data, tmp_path), "jp2")))
    assert raster.GetDriver().ShortName == "JP2OpenJPEG"
    assert epsg_of(raster.GetSpatialRef()) == 2154
    assert (raster.RasterXSize, raster.RasterYSize) == (20, 20)


def test_png_with_world_file(client, producer_a, elevation, tmp_path):
    client.force_login(producer_a)
    files = unzip(_download(client, elevation, format="png", bbox=",".join(map(str, BOX)), bbox_srid=2154), tmp_path)
    world = data_file(files, "wld").read_text().split()
    assert [float(v) for v in world[:4]] == pytest.approx([100, 0, 0, -100])
    assert float(world[4]) == pytest.approx(BOX[0] + 50) and float(world[5]) == pytest.approx(BOX[3] - 50)
    raster = gdal.Open(str(data_file(files, "png")))
    assert raster.GetRasterBand(1).DataType == gdal.GDT_Byte
    assert _bounds(raster) == pytest.approx(BOX)


def test_raster_formats_refused_for_vectors_and_back(client, producer_a, elevation, parcels):
    client.force_login(producer_a)
    response = client.get(f"/donnees/{elevation.pk}/telecharger/", {"format": "gpkg"})
    assert response.status_code == 400 and b'data-error-code="format_mismatch"' in response.content
    response = client.get(f"/donnees/{parcels.pk}/telecharger/", {"format": "tif"})
    assert response.status_code == 400 and b'data-error-code="format_mismatch"' in response.content
