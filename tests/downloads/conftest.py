"""Download fixtures: datasets imported through the real pipeline, and helpers that open what was produced."""

import io
import zipfile
from pathlib import Path

import pytest
from osgeo import gdal, ogr, osr

from catalogue.models import Dataset
from tests.conftest import import_now
from tests.sample_data import FIELDS, geotiff, points, squares, write_vector

gdal.UseExceptions()
ogr.UseExceptions()

LONG_FIELDS = {"nom_de_la_parcelle": FIELDS["nom"], "code": FIELDS["code"], "surface_en_hectares": FIELDS["surface"]}
# A box in Lambert-93 that cuts the first two rows of squares: columns 0 and 2 are cut in width, row 1 in height.
CLIP_BOX = [525250.0, 6699000.0, 527250.0, 6701250.0]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def parcel_features() -> list[tuple[str, dict]]:
    return [
        (wkt, {"nom_de_la_parcelle": attrs["nom"], "code": attrs["code"], "surface_en_hectares": attrs["surface"]})
        for wkt, attrs in squares()
    ]


@pytest.fixture
def parcels(producer_a, organisations, tmp_path) -> Dataset:
    """12 squares of 500 m in Lambert-93, with attribute names longer than a Shapefile allows."""
    path = write_vector(
        tmp_path / "parcelles.gpkg", "GPKG", parcel_features(), layer="parcelles", geom_type=ogr.wkbPolygon,
        fields=LONG_FIELDS,
    )  # fmt: skip
    return import_now(producer_a, organisations["a"], path, "Parcelles cadastrales").dataset


@pytest.fixture
def trees(producer_a, organisations, tmp_path) -> Dataset:
    path = write_vector(tmp_path / "arbres.gpkg", "GPKG", points(), layer="arbres", geom_type=ogr.wkbPoint)
    return import_now(producer_a, organisations["a"], path, "Arbres remarquables").dataset


@pytest.fixture
def elevation(producer_a, organisations, tmp_path) -> Dataset:
    """A 64 × 48 Float32 raster of 100 m pixels in Lambert-93."""
    return import_now(producer_a, organisations["a"], geotiff(tmp_path / "mnt.tif"), "Altitude").dataset


def unzip(data: bytes, folder: Path) -> dict[str, Path]:
    """Extract a package safely (names checked) and return its files by name."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        files = {}
        for name in archive.namelist():
            assert not name.startswith("/") and ".." not in name
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
            files[name] = target
    return files


def data_file(files: dict[str, Path], extension: str) -> Path:
    found = [path for name, path in files.items() if name.endswith(f".{extension}")]
    assert len(found) == 1, f"expected one .{extension} in {sorted(files)}"
    return found[0]


def epsg_of(srs: osr.SpatialReference | None) -> int | None:
    assert srs is not None, "no coordinate system in the file"
    srs = srs.Clone()
    srs.AutoIdentifyEPSG()
    code = srs.GetAuthorityCode(None)
    if code is None:
        matches = srs.FindMatches()
        code = matches[0][0].GetAuthorityCode(None) if matches and matches[0][1] >= 90 else None
    return int(code) if code else None


def read_features(path: Path) -> tuple[int | None, list[dict], list[ogr.Geometry]]:
    """EPSG code, attribute rows and geometries of the single layer of a vector file."""
    source = ogr.Open(str(path))
    layer = source.GetLayer(0)
    rows, geometries = [], []
    for feature in layer:
        rows.append({k: v for k, v in feature.items().items()})
        geometries.append(feature.GetGeometryRef().Clone())
    srs = layer.GetSpatialRef()
    return (epsg_of(srs) if srs is not None else None), rows, geometries


def box(xmin: float, ymin: float, xmax: float, ymax: float) -> ogr.Geometry:
    return ogr.CreateGeometryFromWkt(
        f"POLYGON(({xmin} {ymin},{xmax} {ymin},{xmax} {ymax},{xmin} {ymax},{xmin} {ymin}))"
    )
