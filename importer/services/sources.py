"""Recognise an uploaded file, and unpack archives without trusting them (zip slip, zip bombs)."""

import codecs
import shutil
import stat
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath, PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _
from osgeo import gdal

from .errors import fail

# Main file extension -> (kind, GDAL driver). The order is the preference when an archive holds several.
FORMATS: dict[str, tuple[str, str]] = {
    ".shp": ("vector", "ESRI Shapefile"),
    ".gpkg": ("vector", "GPKG"),
    ".geojson": ("vector", "GeoJSON"),
    ".json": ("vector", "GeoJSON"),
    ".gml": ("vector", "GML"),
    # LIBKML reads ExtendedData attributes and is the driver ogr2ogr picks; the plain KML driver is the fallback.
    ".kml": ("vector", "LIBKML" if gdal.GetDriverByName("LIBKML") else "KML"),
    ".tab": ("vector", "MapInfo File"),
    ".mif": ("vector", "MapInfo File"),
    ".csv": ("vector", "CSV"),
    ".fgb": ("vector", "FlatGeobuf"),
    ".tif": ("raster", "GTiff"),
    ".tiff": ("raster", "GTiff"),
}
ARCHIVE_EXTENSIONS = {".zip", ".kmz"}
# How a GDAL driver's format is called in records, facets and distributions.
FORMAT_NAMES = {"ESRI Shapefile": "Shapefile", "GPKG": "GeoPackage", "LIBKML": "KML", "MapInfo File": "MapInfo"}


def format_name(driver: str) -> str:
    return FORMAT_NAMES.get(driver, driver)

CSV_OPEN_OPTIONS = [
    "X_POSSIBLE_NAMES=x,lon,long,longitude,coord_x,xcoord",
    "Y_POSSIBLE_NAMES=y,lat,latitude,coord_y,ycoord",
    "GEOM_POSSIBLE_NAMES=wkt,geom,geometry,the_geom,geometrie",
    "KEEP_GEOM_COLUMNS=NO",
    "AUTODETECT_TYPE=YES",
]


@dataclass
class Source:
    """A file GDAL can open, with how to open it."""

    path: Path
    kind: str
    driver: str
    open_options: list[str] = field(default_factory=list)
    # Files that each hold one layer, when an archive carries several (name -> path).
    alternatives: dict[str, Path] = field(default_factory=dict)


def _format_of(path: PurePath) -> tuple[str, str] | None:
    return FORMATS.get(path.suffix.lower())


def _is_zip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def is_archive(path: Path) -> bool:
    """A .zip/.kmz, or a zip under a name that is no data format of ours."""
    return path.suffix.lower() in ARCHIVE_EXTENSIONS or (_format_of(path) is None and _is_zip(path))


def check_archive(path: Path) -> list[zipfile.ZipInfo]:
    """Refuse unsafe archives before anything is written: bad paths, links, bombs."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise fail("corrupt_file", _("L'archive ZIP est illisible ou tronquée.")) from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > settings.IMPORT_MAX_ZIP_ENTRIES:
            raise fail("zip_too_many_entries", _("L'archive contient trop de fichiers."))
        total = 0
        for entry in entries:
            name = entry.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
                raise fail(
                    "zip_unsafe_path",
                    _("L'archive contient un chemin dangereux (%(name)s) : elle est refusée.") % {"name": name},
                )
            if stat.S_ISLNK(entry.external_attr >> 16):
                raise fail("zip_unsafe_path", _("L'archive contient un lien symbolique : elle est refusée."))
            if entry.flag_bits & 0x1:
                raise fail("zip_encrypted", _("L'archive est protégée par un mot de passe."))
            total += entry.file_size
        compressed = max(path.stat().st_size, 1)
        if total > settings.IMPORT_MAX_UNZIPPED_SIZE or total / compressed > settings.IMPORT_MAX_ZIP_RATIO:
            raise fail(
                "zip_bomb",
                _("L'archive se décompresse en un volume anormalement grand : elle est refusée."),
            )
    return entries


def _extract(path: Path, target: Path) -> None:
    """Extract an archive already checked by `check_archive`, never writing more than it declared."""
    entries = check_archive(path)
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    with zipfile.ZipFile(path) as archive:
        for entry in entries:
            destination = (target / entry.filename.replace("\\", "/")).resolve()
            if not destination.is_relative_to(root):
                raise fail("zip_unsafe_path", _("L'archive contient un chemin dangereux : elle est refusée."))
            if entry.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with archive.open(entry) as src, destination.open("wb") as dst:
                    while chunk := src.read(1024 * 1024):
                        written += len(chunk)
                        if written > entry.file_size:
                            raise fail("zip_bomb", _("L'archive ment sur la taille de son contenu : refusée."))
                        dst.write(chunk)
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise fail("corrupt_file", _("L'archive ZIP est illisible ou tronquée.")) from exc


def _data_files(paths: list[PurePosixPath]) -> list[PurePosixPath]:
    """The data files among an archive's paths, one per layer, in order of preference."""
    found = [p for p in paths if _format_of(p) and not any(part.startswith(("__MACOSX", ".")) for part in p.parts)]
    # A MapInfo table can come as .tab and .mif/.mid: one layer, prefer the .tab.
    tabs = {p.with_suffix("").as_posix().lower() for p in found if p.suffix.lower() == ".tab"}
    found = [p for p in found if not (p.suffix.lower() == ".mif" and p.with_suffix("").as_posix().lower() in tabs)]
    order = list(FORMATS)
    return sorted(found, key=lambda p: (order.index(p.suffix.lower()), p.as_posix()))


def _main_files(folder: Path) -> list[Path]:
    # Paths inside the archive: where the platform unpacks it (a hidden folder, say) must not matter.
    inside = [PurePosixPath(p.relative_to(folder).as_posix()) for p in folder.rglob("*") if p.is_file()]
    return [folder / p for p in _data_files(inside)]


def _check_shapefile(shp: Path) -> None:
    siblings = {p.suffix.lower(): p for p in shp.parent.glob(shp.stem + ".*")}
    if ".dbf" not in siblings or ".shx" not in siblings:
        raise fail(
            "shapefile_incomplete",
            _("Le Shapefile %(name)s est incomplet : les fichiers .shp, .shx et .dbf sont nécessaires.")
            % {"name": shp.name},
        )
    if _shapefile_truncated(shp, siblings[".shx"], siblings[".dbf"]):
        raise fail(
            "corrupt_file",
            _("Le Shapefile %(name)s est tronqué : un de ses fichiers est plus court que ne l'annonce son en-tête.")
            % {"name": shp.name},
        )


def _shapefile_truncated(shp: Path, shx: Path, dbf: Path) -> bool:
    """A part shorter than its header says: GDAL would read the missing shapes as empty, silently."""
    for part in (shp, shx):
        with part.open("rb") as fh:
            header = fh.read(28)
        if len(header) < 28 or int.from_bytes(header[24:28], "big") * 2 > part.stat().st_size:
            return True
    with dbf.open("rb") as fh:
        header = fh.read(12)
    if len(header) < 12:
        return True
    records, header_size, record_size = (
        int.from_bytes(header[4:8], "little"),
        int.from_bytes(header[8:10], "little"),
        int.from_bytes(header[10:12], "little"),
    )
    return header_size + records * record_size > dbf.stat().st_size


def archive_layers(path: Path) -> list[str]:
    """Names of the data files in an archive, read from its directory without extracting it."""
    names = [PurePosixPath(e.filename.replace("\\", "/")) for e in check_archive(path) if not e.is_dir()]
    return [n.as_posix() for n in _data_files(names)]


def prepare(path: Path, workdir: Path) -> Source:
    """Turn an uploaded file into a Source GDAL can open (unpacking archives into `workdir`)."""
    if not path.exists() or path.stat().st_size == 0:
        raise fail("empty_file", _("Le fichier est vide."))
    suffix = path.suffix.lower()
    if is_archive(path):
        unpacked = workdir / "unpacked"
        if unpacked.exists():
            shutil.rmtree(unpacked)
        _extract(path, unpacked)
        candidates = _main_files(unpacked)
        if not candidates:
            if any(p.suffix.lower() in {".dbf", ".shx"} for p in unpacked.rglob("*")):
                raise fail(
                    "shapefile_incomplete",
                    _(
                        "L'archive ne contient pas de fichier .shp : un Shapefile a besoin des "
                        "fichiers .shp, .shx et .dbf."
                    ),
                )
            raise fail("unknown_format", _("L'archive ne contient aucun fichier de données reconnu."))
        source = _source_for(candidates[0])
        if len(candidates) > 1:
            source.alternatives = {p.relative_to(unpacked).as_posix(): p for p in candidates}
        return source
    fmt = _format_of(path)
    if fmt is None:
        raise fail(
            "unknown_format",
            _(
                "Format de fichier non reconnu (%(ext)s). Formats acceptés : Shapefile zippé, GeoPackage, "
                "GeoJSON, GML, KML/KMZ, MapInfo TAB ou MIF/MID, CSV, FlatGeobuf, GeoTIFF."
            )
            % {"ext": suffix or "?"},
        )
    if suffix in {".shp", ".tab"}:
        raise fail(
            "sidecar_files_missing",
            _("Ce format est fait de plusieurs fichiers : envoyez-les ensemble dans une archive ZIP."),
        )
    return _source_for(path)


def _source_for(path: Path) -> Source:
    kind, driver = _format_of(path)  # type: ignore[misc]
    if path.suffix.lower() == ".shp":
        _check_shapefile(path)
    options = list(CSV_OPEN_OPTIONS) if driver == "CSV" else []
    return Source(path=path, kind=kind, driver=driver, open_options=options)


def select_layer_file(source: Source, layer: str) -> Source:
    """When an archive holds several data files, pick the one the user chose."""
    if not source.alternatives:
        return source
    if layer not in source.alternatives:
        raise fail(
            "unknown_layer",
            _("La couche « %(layer)s » n'existe pas dans le fichier.") % {"layer": layer},
            layers=sorted(source.alternatives),
        )
    chosen = _source_for(source.alternatives[layer])
    return chosen


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def utf8_text(source: Source, workdir: Path) -> Source:
    """A CSV saved by a French spreadsheet is in Windows-1252; GDAL's CSV driver cannot recode, so we do.

    The copy is written to the job's work folder, streaming, never holding the file in memory.
    """
    if source.driver != "CSV" or _is_utf8(source.path):
        return source
    target = workdir / "utf8" / source.path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        source.path.open("r", encoding="cp1252", errors="replace", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        shutil.copyfileobj(src, dst, 1024 * 1024)
    return replace(source, path=target)
