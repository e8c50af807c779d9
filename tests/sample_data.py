"""Small vector and raster files written with GDAL/OGR for the tests (no binary fixtures in the repo)."""

import zipfile
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

# A few points and squares around Tours in Lambert-93.
ORIGIN = (525000.0, 6700000.0)


def srs(epsg: int) -> osr.SpatialReference:
    ref = osr.SpatialReference()
    ref.ImportFromEPSG(epsg)
    ref.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return ref


def squares(count: int = 12, size: float = 500.0) -> list[tuple[str, dict]]:
    """WKT squares in Lambert-93 on a grid, with attributes."""
    items = []
    for i in range(count):
        x = ORIGIN[0] + (i % 4) * 1000
        y = ORIGIN[1] + (i // 4) * 1000
        wkt = f"POLYGON(({x} {y},{x + size} {y},{x + size} {y + size},{x} {y + size},{x} {y}))"
        items.append((wkt, {"nom": f"Parcelle n°{i} à l'été", "code": i, "surface": size * size / 1e4}))
    return items


def points(count: int = 20) -> list[tuple[str, dict]]:
    return [
        (
            f"POINT({ORIGIN[0] + i * 100} {ORIGIN[1] + i * 50})",
            {"nom": f"Arbre {i} – Érable", "code": i, "surface": float(i)},
        )
        for i in range(count)
    ]


def write_vector(
    path: Path,
    driver: str,
    features: list[tuple[str, dict]],
    epsg: int | None = 2154,
    layer: str = "donnees",
    geom_type: int = ogr.wkbUnknown,
    options: list[str] | None = None,
    dataset_options: list[str] | None = None,
    extra_layers: dict | None = None,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = ogr.GetDriverByName(driver).CreateDataSource(str(path), options=dataset_options or [])
    for name, feats in {layer: features, **(extra_layers or {})}.items():
        lyr = ds.CreateLayer(name, srs(epsg) if epsg else None, geom_type, options=options or [])
        lyr.CreateField(ogr.FieldDefn("nom", ogr.OFTString))
        lyr.CreateField(ogr.FieldDefn("code", ogr.OFTInteger))
        lyr.CreateField(ogr.FieldDefn("surface", ogr.OFTReal))
        for wkt, attrs in feats:
            feature = ogr.Feature(lyr.GetLayerDefn())
            for key, value in attrs.items():
                feature.SetField(key, value)
            feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
            lyr.CreateFeature(feature)
    ds = None
    return path


def zip_files(target: Path, files: list[Path], arcnames: list[str] | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, file in enumerate(files):
            archive.write(file, arcnames[i] if arcnames else file.name)
    return target


def shapefile_zip(
    folder: Path,
    features=None,
    name: str = "parcelles",
    encoding: str | None = "UTF-8",
    with_cpg: bool = True,
    epsg: int | None = 2154,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    options = [f"ENCODING={encoding}"] if encoding else []
    write_vector(
        folder / f"{name}.shp",
        "ESRI Shapefile",
        features or squares(),
        epsg=epsg,
        layer=name,
        geom_type=ogr.wkbPolygon,
        options=options,
    )
    parts = [p for p in folder.glob(f"{name}.*") if with_cpg or p.suffix != ".cpg"]
    return zip_files(folder / f"{name}.zip", parts)


def geotiff(path: Path, width: int = 64, height: int = 48, epsg: int | None = 2154) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), width, height, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((ORIGIN[0], 100, 0, ORIGIN[1] + height * 100, 0, -100))
    if epsg:
        ds.SetProjection(srs(epsg).ExportToWkt())
    values = np.fromfunction(lambda y, x: 15 + x * 0.2 + y * 0.1, (height, width), dtype=np.float32)
    ds.GetRasterBand(1).WriteArray(values)
    ds.GetRasterBand(1).SetNoDataValue(-9999)
    ds = None
    return path
