"""Small vector and raster files written with GDAL/OGR for the tests (no binary fixtures in the repo)."""

import csv
import zipfile
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

# A few points and squares around Tours in Lambert-93.
ORIGIN = (525000.0, 6700000.0)
# The same place in longitude/latitude (EPSG:4326).
ORIGIN_WGS84 = (0.68, 47.39)
FIELDS = {"nom": ogr.OFTString, "code": ogr.OFTInteger, "surface": ogr.OFTReal}


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


def points_wgs84(count: int = 20) -> list[tuple[str, dict]]:
    """Points around Tours in longitude/latitude, for formats that live in EPSG:4326 (GeoJSON, KML)."""
    return [
        (
            f"POINT({ORIGIN_WGS84[0] + i * 0.001} {ORIGIN_WGS84[1] + i * 0.0005})",
            {"nom": f"Arbre {i} – Érable", "code": i, "surface": float(i)},
        )
        for i in range(count)
    ]


def bow_tie() -> tuple[str, dict]:
    """A self-intersecting polygon (a figure of eight), invalid for OGC Simple Features."""
    x, y = ORIGIN
    wkt = f"POLYGON(({x} {y},{x + 500} {y + 500},{x + 500} {y},{x} {y + 500},{x} {y}))"
    return wkt, {"nom": "Nœud papillon", "code": 99, "surface": 0.0}


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
    fields: dict[str, int] | None = None,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = ogr.GetDriverByName(driver).CreateDataSource(str(path), options=dataset_options or [])
    for name, feats in {layer: features, **(extra_layers or {})}.items():
        lyr = ds.CreateLayer(name, srs(epsg) if epsg else None, geom_type, options=options or [])
        for field_name, field_type in (fields or FIELDS).items():
            lyr.CreateField(ogr.FieldDefn(field_name, field_type))
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
    fields: dict[str, int] | None = None,
    leave_out: tuple[str, ...] = (),
) -> Path:
    """A zipped Shapefile; `leave_out` drops sidecar files (".dbf", ".prj"...) from the archive."""
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
        fields=fields,
    )
    skipped = {*leave_out, *(() if with_cpg else (".cpg",))}
    parts = [p for p in sorted(folder.glob(f"{name}.*")) if p.suffix not in {".zip", *skipped}]
    return zip_files(folder / f"{name}.zip", parts)


def geopackage(path: Path, layers: dict[str, list[tuple[str, dict]]], epsg: int | None = 2154) -> Path:
    """A GeoPackage with one table per entry of `layers` (name -> features)."""
    (first, features), *others = layers.items()
    return write_vector(path, "GPKG", features, epsg=epsg, layer=first, extra_layers=dict(others))


def kmz(path: Path, features: list[tuple[str, dict]]) -> Path:
    """A KMZ: a zip holding doc.kml (features in longitude/latitude)."""
    kml = write_vector(path.parent / f"{path.stem}-doc" / "doc.kml", "KML", features, epsg=4326)
    return zip_files(path, [kml], ["doc.kml"])


def mapinfo_zip(folder: Path, features=None, name: str = "parcelles", mif: bool = False) -> Path:
    """A zipped MapInfo table (.tab/.dat/.map/.id, or .mif/.mid), Windows-1252 like most French files."""
    write_vector(
        folder / f"{name}.{'mif' if mif else 'tab'}",
        "MapInfo File",
        features or squares(),
        layer=name,
        options=["ENCODING=CP1252"],
        dataset_options=["FORMAT=MIF"] if mif else [],
    )
    parts = [p for p in sorted(folder.glob(f"{name}.*")) if p.suffix != ".zip"]
    return zip_files(folder / f"{name}.zip", parts)


def csv_file(path: Path, features: list[tuple[str, dict]], geometry: str = "xy") -> Path:
    """A CSV (UTF-8) with the geometry as `x`/`y` columns (points only) or as a `wkt` column."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        names = list(features[0][1])
        writer.writerow(["x", "y", *names] if geometry == "xy" else ["wkt", *names])
        for wkt, attrs in features:
            values = [attrs[n] for n in names]
            if geometry == "xy":
                point = ogr.CreateGeometryFromWkt(wkt)
                writer.writerow([point.GetX(), point.GetY(), *values])
            else:
                writer.writerow([wkt, *values])
    return path


def many_points_gpkg(path: Path, count: int) -> Path:
    """A GeoPackage of `count` points (Lambert-93), written by GDAL from a CSV for speed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = path.with_suffix(".csv")
    with source.open("w", encoding="utf-8") as fh:
        fh.write("x,y,nom,code\n")
        for i in range(count):
            fh.write(f"{ORIGIN[0] + (i % 1000) * 10},{ORIGIN[1] + (i // 1000) * 10},Point n°{i},{i}\n")
    # Open options must be given when opening the CSV: VectorTranslate ignores `-oo` for a source given by name.
    csv = gdal.OpenEx(
        str(source),
        gdal.OF_VECTOR,
        open_options=["X_POSSIBLE_NAMES=x", "Y_POSSIBLE_NAMES=y", "AUTODETECT_TYPE=YES", "KEEP_GEOM_COLUMNS=NO"],
    )
    gdal.VectorTranslate(
        str(path), csv, format="GPKG", layerName="points", geometryType="POINT", dstSRS="EPSG:2154", reproject=False
    )
    csv = None
    source.unlink()
    return path


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
