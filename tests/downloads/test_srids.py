"""The CRS offered for downloads are all known to PROJ, and the API names them by EPSG code."""

import pytest
from osgeo import osr

from downloads.formats import DEFAULT_SRID, FORMATS, SRIDS


@pytest.mark.parametrize("srid", sorted(SRIDS))
def test_offered_crs_are_known_to_proj(srid):
    ref = osr.SpatialReference()
    assert ref.ImportFromEPSG(srid) == 0
    assert ref.IsProjected() or srid == 4326


def test_french_zones_are_offered():
    assert DEFAULT_SRID == 2154
    assert {3942, 3943, 3944, 3945, 3946, 3947, 3948, 3949, 3950} <= set(SRIDS)
    assert {2972, 2975, 4471, 5490, 4326, 3857} <= set(SRIDS)


def test_every_format_of_the_issue_is_a_driver():
    assert set(FORMATS) == {"shp", "gpkg", "geojson", "csv", "kml", "gml", "tab", "mif", "dxf", "fgb", "tif", "cog",
                            "jp2", "png"}  # fmt: skip
