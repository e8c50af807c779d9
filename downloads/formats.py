"""Output formats of downloads: one small driver class per format, in a name → driver table (as pygeoapi plug-ins).

A vector driver turns the SQL of an extract (already reprojected and cut in PostGIS, see `extract.py`) into files
with `ogr2ogr`; a raster driver cuts and reprojects the dataset's GeoTIFF with `gdalwarp -cutline` (then
`gdal_translate` for formats `gdalwarp` cannot write). Adding a format = writing one class and listing it in
`FORMATS`. This module and `extract.py` are the only places that build GDAL command lines for downloads.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from osgeo import gdal

gdal.UseExceptions()

# Coordinate reference systems a download may be reprojected to (EPSG code → label).
SRIDS: dict[int, str] = {
    2154: "RGF93 v1 / Lambert-93",
    4326: "WGS 84 (longitude/latitude)",
    3857: "WGS 84 / Pseudo-Mercator (web)",
    **{3900 + zone: f"RGF93 v1 / CC{zone}" for zone in range(42, 51)},
    2972: "RGFG95 / UTM 22N (Guyane)",
    2975: "RGR92 / UTM 40S (La Réunion)",
    4471: "RGM04 / UTM 38S (Mayotte)",
    5490: "RGAF09 / UTM 20N (Antilles)",
}
DEFAULT_SRID = 2154

Runner = Callable[[list[str]], None]


@dataclass(frozen=True)
class VectorJob:
    """What a vector driver writes: the result of `sql_file` (read through the `PG:` environment) into `folder`."""

    sql_file: Path
    folder: Path
    basename: str
    srid: int
    family: str  # point, line or polygon
    multi: bool
    options: dict = field(default_factory=dict)

    @property
    def ogr_geometry_type(self) -> str:
        name = {"point": "POINT", "line": "LINESTRING", "polygon": "POLYGON"}[self.family]
        return f"MULTI{name}" if self.multi else name


@dataclass(frozen=True)
class RasterJob:
    """What a raster driver writes: `source` cut by `cutline` (a GeoJSON file, or None) and reprojected."""

    source: Path
    folder: Path
    basename: str
    srid: int
    cutline: Path | None
    options: dict = field(default_factory=dict)


class Driver:
    """One output format. `name` is the short name users and the API give (shp, gpkg, tif…)."""

    name = ""
    label = ""
    kind = "vector"
    gdal_driver = ""
    extension = ""
    forced_srid: int | None = None  # formats whose specification fixes the CRS (KML)
    max_field_length: int | None = None  # attribute names longer than this are shortened (and the mapping told)
    note = ""  # one French line for the package README

    def available(self) -> bool:
        return gdal.GetDriverByName(self.gdal_driver) is not None


class VectorDriver(Driver):
    kind = "vector"
    dataset_options: tuple[str, ...] = ()
    layer_options: tuple[str, ...] = ()
    # Formats GDAL writes front to back: ogr2ogr writes them to its standard output, straight into the zip, with
    # no copy on disk. The others (GeoPackage, Shapefile…) seek while writing and go through a temporary folder.
    streamable = False

    def target(self, job: VectorJob) -> Path:
        return job.folder / f"{job.basename}.{self.extension}"

    def extra_layer_options(self, job: VectorJob) -> list[str]:
        return []

    def command(self, job: VectorJob) -> list[str]:
        command = [
            "ogr2ogr", "-f", self.gdal_driver, str(self.target(job)), "PG:",
            "-sql", f"@{job.sql_file}",
            "-nln", job.basename,
            "-a_srs", f"EPSG:{job.srid}",
            "-nlt", job.ogr_geometry_type,
            "-progress",
        ]  # fmt: skip
        for option in self.dataset_options:
            command += ["-dsco", option]
        for option in [*self.layer_options, *self.extra_layer_options(job)]:
            command += ["-lco", option]
        return command

    def build(self, job: VectorJob, run: Runner) -> None:
        run(self.command(job))

    def stream_command(self, job: VectorJob) -> list[str]:
        """The command writing the file to standard output (no `-progress`: it would go there too)."""
        command = self.command(job)
        command[command.index(str(self.target(job)))] = "/vsistdout/"
        command.remove("-progress")
        return command


class Shapefile(VectorDriver):
    name, label, gdal_driver, extension = "shp", "Shapefile (ESRI)", "ESRI Shapefile", "shp"
    max_field_length = 10
    layer_options = ("ENCODING=UTF-8",)  # writes the .cpg file
    note = _("Shapefile : attributs encodés en UTF-8 (fichier .cpg), noms d'attributs limités à 10 caractères.")


class GeoPackage(VectorDriver):
    name, label, gdal_driver, extension = "gpkg", "GeoPackage", "GPKG", "gpkg"
    layer_options = ("GEOMETRY_NAME=geom",)


class GeoJSON(VectorDriver):
    name, label, gdal_driver, extension = "geojson", "GeoJSON", "GeoJSON", "geojson"
    streamable = True
    layer_options = ("WRITE_NAME=NO",)


class Csv(VectorDriver):
    name, label, gdal_driver, extension = "csv", "CSV", "CSV", "csv"
    streamable = True
    note = _("CSV : séparateur virgule, encodage UTF-8 ; géométrie en colonnes X/Y pour les points, en WKT sinon.")

    def extra_layer_options(self, job: VectorJob) -> list[str]:
        geometry = "AS_XY" if job.family == "point" and not job.multi else "AS_WKT"
        return [f"GEOMETRY={geometry}", "WRITE_BOM=NO"]


class Kml(VectorDriver):
    name, label, gdal_driver, extension = "kml", "KML", "KML", "kml"
    streamable = True
    forced_srid = 4326
    note = _("KML : toujours en longitude/latitude WGS 84 (EPSG:4326), comme l'impose le format.")


class Gml(VectorDriver):
    name, label, gdal_driver, extension = "gml", "GML 3.2", "GML", "gml"
    dataset_options = ("FORMAT=GML3.2",)


class MapInfoTab(VectorDriver):
    name, label, gdal_driver, extension = "tab", "MapInfo TAB", "MapInfo File", "tab"
    max_field_length = 31
    layer_options = ("ENCODING=UTF-8",)


class MapInfoMif(VectorDriver):
    name, label, gdal_driver, extension = "mif", "MapInfo MIF/MID", "MapInfo File", "mif"
    max_field_length = 31
    dataset_options = ("FORMAT=MIF",)
    layer_options = ("ENCODING=UTF-8",)


class Dxf(VectorDriver):
    name, label, gdal_driver, extension = "dxf", "AutoCAD DXF", "DXF", "dxf"
    note = _("DXF : le format ne conserve que les géométries, pas les attributs.")

    def command(self, job: VectorJob) -> list[str]:
        # DXF has no attribute table and no layer name option: ogr2ogr must not be asked for either.
        command = super().command(job)
        index = command.index("-nln")
        return command[:index] + command[index + 2 :]


class FlatGeobuf(VectorDriver):
    name, label, gdal_driver, extension = "fgb", "FlatGeobuf", "FlatGeobuf", "fgb"
    layer_options = ("SPATIAL_INDEX=YES",)


class RasterDriver(Driver):
    kind = "raster"
    # gdal_translate output types this driver can write; other sources are rescaled to `scaled_type`.
    native_types: tuple[int, ...] = ()
    scaled_type = ""

    def warp(self, job: RasterJob, target: Path, output_format: str, creation: list[str]) -> list[str]:
        command = ["gdalwarp", "-overwrite", "-t_srs", f"EPSG:{job.srid}", "-r", "near"]
        if job.cutline is not None:
            command += ["-cutline", str(job.cutline), "-crop_to_cutline"]
        command += ["-of", output_format]
        for option in creation:
            command += ["-co", option]
        return [*command, str(job.source), str(target)]

    def needs_scaling(self, job: RasterJob) -> bool:
        source = gdal.Open(str(job.source))
        data_type = source.GetRasterBand(1).DataType
        source = None
        return data_type not in self.native_types

    def translate(self, job: RasterJob, source: Path, target: Path, creation: list[str]) -> list[str]:
        command = ["gdal_translate", "-of", self.gdal_driver]
        if self.needs_scaling(job):
            command += ["-ot", self.scaled_type, "-scale"]
        for option in creation:
            command += ["-co", option]
        return [*command, str(source), str(target)]


class GeoTiff(RasterDriver):
    name, label, gdal_driver, extension = "tif", "GeoTIFF", "GTiff", "tif"
    compressions = {"deflate": "DEFLATE", "lzw": "LZW", "none": "NONE"}
    note = _("GeoTIFF : compression au choix (deflate par défaut, lzw ou aucune).")

    def build(self, job: RasterJob, run: Runner) -> None:
        compression = self.compressions[job.options.get("compression", "deflate")]
        creation = [f"COMPRESS={compression}", "TILED=YES", "BIGTIFF=IF_SAFER"]
        run(self.warp(job, job.folder / f"{job.basename}.tif", "GTiff", creation))


class Cog(RasterDriver):
    name, label, gdal_driver, extension = "cog", "GeoTIFF optimisé pour le cloud (COG)", "COG", "tif"

    def build(self, job: RasterJob, run: Runner) -> None:
        run(self.warp(job, job.folder / f"{job.basename}.tif", "COG", ["COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]))


class _TranslatedRaster(RasterDriver):
    """Formats gdalwarp cannot write: warped into a temporary GeoTIFF first, then translated."""

    creation: tuple[str, ...] = ()

    def build(self, job: RasterJob, run: Runner) -> None:
        warped = job.folder / f".{job.basename}.warped.tif"
        try:
            run(self.warp(job, warped, "GTiff", []))
            run(self.translate(job, warped, job.folder / f"{job.basename}.{self.extension}", list(self.creation)))
        finally:
            warped.unlink(missing_ok=True)


class Jpeg2000(_TranslatedRaster):
    name, label, gdal_driver, extension = "jp2", "JPEG 2000", "JP2OpenJPEG", "jp2"
    native_types = (gdal.GDT_Byte, gdal.GDT_UInt16, gdal.GDT_Int16, gdal.GDT_UInt32, gdal.GDT_Int32)
    scaled_type = "UInt16"
    creation = ("REVERSIBLE=YES", "QUALITY=100")
    note = _("JPEG 2000 : compression sans perte ; les valeurs réelles sont mises à l'échelle sur 16 bits.")


class Png(_TranslatedRaster):
    name, label, gdal_driver, extension = "png", "PNG (avec fichier de géoréférencement)", "PNG", "png"
    native_types = (gdal.GDT_Byte, gdal.GDT_UInt16)
    scaled_type = "Byte"
    creation = ("WORLDFILE=YES",)
    note = _("PNG : géoréférencé par le fichier .wld ; les valeurs autres qu'octets sont mises à l'échelle 0-255.")


FORMATS: dict[str, Driver] = {
    driver.name: driver
    for driver in (
        Shapefile(), GeoPackage(), GeoJSON(), Csv(), Kml(), Gml(), MapInfoTab(), MapInfoMif(), Dxf(), FlatGeobuf(),
        GeoTiff(), Cog(), Jpeg2000(), Png(),
    )
}  # fmt: skip


def formats_for(kind: str) -> list[Driver]:
    """The formats offered for a vector or raster dataset, those this GDAL can write."""
    return [driver for driver in FORMATS.values() if driver.kind == kind and driver.available()]
