"""Read what a vector or raster source holds (layers, CRS, geometry, fields) through GDAL/OGR."""

from dataclasses import dataclass, field
from pathlib import Path

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _
from osgeo import gdal, ogr, osr

from .errors import fail, multiple_layers
from .sources import Source

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

FAMILIES = {
    ogr.wkbPoint: "point",
    ogr.wkbMultiPoint: "point",
    ogr.wkbLineString: "line",
    ogr.wkbMultiLineString: "line",
    ogr.wkbPolygon: "polygon",
    ogr.wkbMultiPolygon: "polygon",
}


@dataclass
class VectorInfo:
    source: Source
    layer: str
    feature_count: int
    family: str  # point, line or polygon
    multi: bool
    srid: int
    fields: list[str] = field(default_factory=list)
    encoding: str | None = None


@dataclass
class RasterInfo:
    source: Source
    srid: int
    width: int
    height: int
    bands: int


def _dbf_text(dbf: Path, limit: int) -> bytes:
    """Field names and records of a .dbf: its binary header's counts would read as non-ASCII text."""
    with dbf.open("rb") as fh:
        header = fh.read(32)
        if len(header) < 32:
            return b""
        descriptors = fh.read(max(int.from_bytes(header[8:10], "little") - 32, 0))
        records = fh.read(limit)
    names = []
    for start in range(0, len(descriptors) - 31, 32):
        if descriptors[start] == 0x0D:  # end of the field descriptors
            break
        names.append(descriptors[start : start + 11].split(b"\0", 1)[0])
    return b" ".join(names) + b"\n" + records


def _dbf_encoding(shp: Path) -> str | None:
    """The encoding of a Shapefile's attributes: its .cpg when present, else guessed (UTF-8 or CP1252)."""
    if any(p.suffix.lower() == ".cpg" for p in shp.parent.glob(shp.stem + ".*")):
        return None
    dbf = next((p for p in shp.parent.glob(shp.stem + ".*") if p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        return None
    sample = _dbf_text(dbf, 4 * 1024 * 1024)
    if not any(b > 0x7F for b in sample):
        return None
    try:
        sample.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # a multi-byte character cut by the sample's end
            return "UTF-8"
    best = from_bytes(sample, cp_isolation=["cp1252", "latin_1", "utf_8"]).best()
    return "CP1252" if best is None or best.encoding in {"cp1252", "latin_1"} else best.encoding.upper()


def open_options(source: Source) -> list[str]:
    options = list(source.open_options)
    if source.driver == "ESRI Shapefile":
        encoding = _dbf_encoding(source.path)
        if encoding:
            options.append(f"ENCODING={encoding}")
    return options


def _open(source: Source, options: list[str]) -> gdal.Dataset:
    try:
        ds = gdal.OpenEx(str(source.path), gdal.OF_VECTOR, allowed_drivers=[source.driver], open_options=options)
    except RuntimeError as exc:
        raise fail("corrupt_file", _("Le fichier est illisible, corrompu ou tronqué."), detail=str(exc)) from exc
    if ds is None:
        raise fail("corrupt_file", _("Le fichier est illisible, corrompu ou tronqué."))
    return ds


def layer_names(source: Source) -> list[str]:
    if source.alternatives:
        return sorted(source.alternatives)
    ds = _open(source, open_options(source))
    return [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]


def srid_of(srs: osr.SpatialReference | None, override: int | None) -> int:
    """The EPSG code to store: the user's choice, else the one the file declares."""
    if override:
        check = osr.SpatialReference()
        try:
            check.ImportFromEPSG(int(override))
        except RuntimeError as exc:
            raise fail("unknown_crs", _("Le code EPSG %(srid)s est inconnu.") % {"srid": override}) from exc
        return int(override)
    if srs is None:
        raise fail(
            "unknown_crs",
            _("Le fichier n'indique pas son système de coordonnées : précisez son code EPSG (par exemple 2154)."),
        )
    srs = srs.Clone()
    try:
        srs.AutoIdentifyEPSG()
    except RuntimeError:
        pass
    code = srs.GetAuthorityCode(None)
    if code and (srs.GetAuthorityName(None) or "").upper() == "EPSG":
        return int(code)
    for match, confidence in srs.FindMatches() or []:
        if confidence >= 70 and (match.GetAuthorityName(None) or "").upper() == "EPSG":
            return int(match.GetAuthorityCode(None))
    raise fail(
        "unknown_crs",
        _("Le système de coordonnées du fichier n'a pas pu être identifié : précisez son code EPSG."),
    )


def _families(layer: ogr.Layer) -> tuple[set[str], bool]:
    declared = ogr.GT_Flatten(layer.GetGeomType())
    if declared in FAMILIES:
        return {FAMILIES[declared]}, declared in (
            ogr.wkbMultiPoint,
            ogr.wkbMultiLineString,
            ogr.wkbMultiPolygon,
        )
    families: set[str] = set()
    multi = False
    layer.ResetReading()
    for feature in layer:
        geom = feature.GetGeometryRef()
        if geom is None:
            continue
        flat = ogr.GT_Flatten(geom.GetGeometryType())
        if flat not in FAMILIES:
            families.add(geom.GetGeometryName().lower())
            continue
        families.add(FAMILIES[flat])
        multi = multi or flat in (ogr.wkbMultiPoint, ogr.wkbMultiLineString, ogr.wkbMultiPolygon)
    layer.ResetReading()
    return families, multi


def inspect_vector(source: Source, layer_name: str | None, srid: int | None) -> VectorInfo:
    options = open_options(source)
    ds = _open(source, options)
    count = ds.GetLayerCount()
    if count == 0:
        raise fail("empty_layer", _("Le fichier ne contient aucune couche."))
    names = [ds.GetLayer(i).GetName() for i in range(count)]
    if layer_name:
        if layer_name not in names:
            raise fail(
                "unknown_layer",
                _("La couche « %(layer)s » n'existe pas dans le fichier.") % {"layer": layer_name},
                layers=names,
            )
        layer = ds.GetLayerByName(layer_name)
    elif count > 1:
        raise multiple_layers(names)
    else:
        layer = ds.GetLayer(0)
    try:
        fields = [layer.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(layer.GetLayerDefn().GetFieldCount())]
        features = layer.GetFeatureCount(force=1)
    except (UnicodeDecodeError, RuntimeError) as exc:
        raise fail(
            "invalid_encoding",
            _("Les noms ou valeurs d'attributs ne sont pas dans un encodage lisible."),
            detail=str(exc),
        ) from exc
    if features <= 0:
        raise fail("empty_layer", _("La couche ne contient aucun objet."))
    if layer.GetGeomType() == ogr.wkbNone:
        raise fail("no_geometry", _("La couche n'a pas de géométrie (pour un CSV : colonnes X/Y ou WKT)."))
    families, multi = _families(layer)
    if not families:
        raise fail("no_geometry", _("Aucun objet de la couche n'a de géométrie."))
    if len(families) > 1 or not families <= {"point", "line", "polygon"}:
        raise fail(
            "mixed_geometry",
            _("La couche mélange plusieurs types de géométrie (%(types)s) : séparez-les en plusieurs couches.")
            % {"types": ", ".join(sorted(families))},
        )
    return VectorInfo(
        source=source,
        layer=layer.GetName(),
        feature_count=features,
        family=families.pop(),
        multi=multi,
        srid=srid_of(layer.GetSpatialRef(), srid),
        fields=fields,
        encoding=next((o.split("=", 1)[1] for o in options if o.startswith("ENCODING=")), None),
    )


def inspect_raster(source: Source, srid: int | None) -> RasterInfo:
    try:
        ds = gdal.Open(str(source.path))
    except RuntimeError as exc:
        raise fail("corrupt_file", _("Le fichier raster est illisible, corrompu ou tronqué.")) from exc
    if ds is None or ds.RasterCount == 0:
        raise fail("corrupt_file", _("Le fichier raster est illisible ou ne contient aucune bande."))
    try:
        ds.GetRasterBand(1).Checksum(0, 0, min(ds.RasterXSize, 64), min(ds.RasterYSize, 64))
    except RuntimeError as exc:
        raise fail("corrupt_file", _("Le fichier raster est corrompu ou tronqué.")) from exc
    srs = ds.GetSpatialRef()
    return RasterInfo(
        source=source,
        srid=srid_of(srs, srid),
        width=ds.RasterXSize,
        height=ds.RasterYSize,
        bands=ds.RasterCount,
    )
