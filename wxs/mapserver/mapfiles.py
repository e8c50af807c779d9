"""The mapfiles MapServer serves, generated from the catalogue.

A dataset has one mapfile for callers who see all of it, and one variant per set of territories for callers
restricted to a territory: vectors are clipped to the territories in SQL (maps, feature info and WFS alike),
rasters are masked by them and served as maps only.
"""

import hashlib
import os
import threading
from pathlib import Path

from django.conf import settings
from django.db import connection
from osgeo import osr

from catalogue.models import Dataset
from wxs import styles

# Capabilities carry this base URL; the proxy swaps it for the public URL the client used.
ONLINE_RESOURCE_PLACEHOLDER = "http://gp-onlineresource.invalid"
OUTPUT_SRS = "EPSG:2154 EPSG:4326 EPSG:3857 EPSG:4258 EPSG:900913 " + " ".join(
    f"EPSG:{code}" for code in range(3942, 3951)
)

LAYER_TYPES = {"point": "POINT", "line": "LINE", "polygon": "POLYGON"}


MASK_LAYER = "territoire"
# Requests a masked raster answers: the mask only applies to drawing, so no coverage or pixel values.
MASKED_RASTER_REQUESTS = "GetCapabilities GetMap GetLegendGraphic"


def mapfile_path(dataset: Dataset, territory_ids: tuple[int, ...] = ()) -> Path:
    """The dataset's mapfile, or its variant limited to the union of `territory_ids` (per data version)."""
    folder = Path(settings.MAPFILE_DIR)
    if not territory_ids:
        return folder / f"dataset_{dataset.pk}.map"
    ids = "_".join(str(int(i)) for i in sorted(territory_ids))
    if len(ids) > 100:  # keep file names short whatever the number of territories
        ids = "h" + hashlib.sha256(ids.encode()).hexdigest()[:24]
    return folder / f"dataset_{dataset.pk}_v{dataset.version}_t{ids}.map"


def _quote(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
    return f'"{text}"'


def family(geometry_type: str) -> str:
    kind = geometry_type.upper()
    if "POINT" in kind:
        return "point"
    if "LINE" in kind:
        return "line"
    return "polygon"


def _units(srid: int) -> str:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(srid)
    return "DD" if srs.IsGeographic() else "METERS"


def _connection_string() -> str:
    db = connection.settings_dict
    parts = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or "5432",
        "dbname": db["NAME"],
        "user": settings.RENDER_DB_USER,
        "password": settings.RENDER_DB_PASSWORD,
    }
    return " ".join(f"{key}={value}" for key, value in parts.items())


def _extent(dataset: Dataset) -> str:
    xmin, ymin, xmax, ymax = dataset.bbox or [-180, -90, 180, 90]
    if xmin == xmax:
        xmin, xmax = xmin - 1, xmax + 1
    if ymin == ymax:
        ymin, ymax = ymin - 1, ymax + 1
    return f"{xmin} {ymin} {xmax} {ymax}"


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _territory_sql(territory_ids: tuple[int, ...], srid: int) -> str:
    ids = ", ".join(str(int(i)) for i in sorted(territory_ids))
    return f"SELECT ST_Transform(ST_Union(geometry), {int(srid)}) AS g FROM geoplatform_territory WHERE id IN ({ids})"


def _clipped_geometry(dataset: Dataset) -> str:
    """`l.geom` cut by the territory `t.g`, kept in the column's geometry type."""
    kind = dataset.geometry_type.upper()
    if kind == "POINT":  # a point is inside or not: nothing to cut
        return "l.geom"
    part = {"point": 1, "line": 2, "polygon": 3}[family(kind)]
    cut = f"ST_CollectionExtract(ST_Intersection(l.geom, t.g), {part})"
    return f"ST_Multi({cut})" if kind.startswith("MULTI") else cut


def _vector_data(dataset: Dataset, territory_ids: tuple[int, ...]) -> str:
    """The DATA statement: the layer table, or a subquery clipping it to the union of the territories."""
    table = f"{settings.LAYERS_SCHEMA}.{dataset.table_name}"  # both ours: `layers`, `ds<id>_v<n>`
    using = f"USING UNIQUE fid USING SRID={int(dataset.srid)}"
    if not territory_ids:
        return f"geom FROM {table} {using}"
    columns = ", ".join(["l.fid", *(f"l.{_sql_name(a['name'])}" for a in dataset.attributes)])
    cut = (
        f"SELECT {columns}, {_clipped_geometry(dataset)} AS geom "
        f"FROM {table} AS l, ({_territory_sql(territory_ids, dataset.srid)}) AS t "
        "WHERE l.geom && !BOX! AND l.geom && t.g AND ST_Intersects(l.geom, t.g) AND NOT ST_Touches(l.geom, t.g)"
    )
    return f"geom FROM (SELECT * FROM ({cut}) AS cut WHERE NOT ST_IsEmpty(geom)) AS clipped {using}"


def _mask_block(territory_ids: tuple[int, ...]) -> str:
    """A layer that is never served itself: the territories a raster is masked with."""
    ids = ", ".join(str(int(i)) for i in sorted(territory_ids))
    data = f"geometry FROM (SELECT id, geometry FROM geoplatform_territory WHERE id IN ({ids})) AS territory"
    return f"""  LAYER
    NAME "{MASK_LAYER}"
    TYPE POLYGON
    STATUS OFF
    CONNECTIONTYPE POSTGIS
    CONNECTION {_quote(_connection_string())}
    DATA "{data} USING UNIQUE id USING SRID=4326"
    PROCESSING "CLOSE_CONNECTION=DEFER"
    PROJECTION "init=epsg:4326" END
    METADATA
      "ows_enable_request" "!*"
    END
    CLASS
      STYLE COLOR 0 0 0 END
    END
  END
"""


def _layer_block(dataset: Dataset, territory_ids: tuple[int, ...] = ()) -> str:
    metadata = f"""    METADATA
      "ows_title" {_quote(dataset.title)}
      "ows_abstract" {_quote(dataset.abstract)}
      "ows_srs" "EPSG:{dataset.srid} {OUTPUT_SRS}"
      "ows_extent" {_quote(_extent(dataset))}
      "gml_include_items" "all"
      "gml_featureid" "fid"
      "gml_types" "auto"
      "wms_include_items" "all"
    END"""
    if dataset.kind == Dataset.Kind.RASTER:
        info = dataset.raster_info or {}
        classes = ""
        if info.get("bands") == 1 and info.get("data_type") != "Byte":
            low, high = info.get("min", 0), info.get("max", 1)
            classes = f"""
    CLASS
      NAME {_quote(dataset.title)}
      EXPRESSION ([pixel] >= {low})
      STYLE COLORRANGE 49 54 149 215 48 39 DATARANGE {low} {high} RANGEITEM "pixel" END
    END"""
        mask = f'\n    MASK "{MASK_LAYER}"' if territory_ids else ""
        return f"""  LAYER
    NAME "{dataset.layer_name}"
    TYPE RASTER
    STATUS ON{mask}
    DATA {_quote(dataset.raster_path)}
    PROJECTION "init=epsg:{dataset.srid}" END
    EXTENT {_extent(dataset)}
{metadata}{classes}
  END"""
    kind = family(dataset.geometry_type)
    return f"""  LAYER
    NAME "{dataset.layer_name}"
    TYPE {LAYER_TYPES[kind]}
    STATUS ON
    CONNECTIONTYPE POSTGIS
    CONNECTION {_quote(_connection_string())}
    DATA {_quote(_vector_data(dataset, territory_ids))}
    PROCESSING "CLOSE_CONNECTION=DEFER"
    PROJECTION "init=epsg:{dataset.srid}" END
    EXTENT {_extent(dataset)}
    TEMPLATE "ttt"
{metadata}
{styles.mapfile_classes(dataset)}
  END"""


def mapfile_text(dataset: Dataset, territory_ids: tuple[int, ...] = ()) -> str:
    """The mapfile that serves one dataset as WMS/WFS layer `ds<id>`, limited to `territory_ids` if given."""
    online = f"{ONLINE_RESOURCE_PLACEHOLDER}/ows/dataset/{dataset.pk}?"
    masked = bool(territory_ids) and dataset.kind == Dataset.Kind.RASTER
    requests = MASKED_RASTER_REQUESTS if masked else "*"
    source = f"dataset {dataset.pk} (version {dataset.version})"
    if territory_ids:
        source += f" within territories {', '.join(map(str, sorted(territory_ids)))}"
    return f"""# Generated from the catalogue for {source}; do not edit.
MAP
  NAME "dataset_{dataset.pk}"
  STATUS ON
  EXTENT {_extent(dataset)}
  SIZE 800 600
  MAXSIZE 4096
  UNITS {_units(dataset.srid)}
  IMAGECOLOR 255 255 255
  PROJECTION "init=epsg:{dataset.srid}" END
  OUTPUTFORMAT NAME "png" DRIVER "AGG/PNG" MIMETYPE "image/png" IMAGEMODE RGBA EXTENSION "png"
    TRANSPARENT ON END
  OUTPUTFORMAT NAME "jpeg" DRIVER "AGG/JPEG" MIMETYPE "image/jpeg" IMAGEMODE RGB EXTENSION "jpg" END
  OUTPUTFORMAT NAME "geojson" DRIVER "OGR/GEOJSON" MIMETYPE "application/geo+json" EXTENSION "json"
    FORMATOPTION "STORAGE=stream" FORMATOPTION "FORM=SIMPLE" FORMATOPTION "LCO:RFC7946=NO" END
  SYMBOL NAME "circle" TYPE ELLIPSE FILLED TRUE POINTS 1 1 END END
  WEB
    METADATA
      "ows_title" {_quote(dataset.title)}
      "ows_abstract" {_quote(dataset.abstract)}
      "ows_onlineresource" {_quote(online)}
      "ows_srs" "EPSG:{dataset.srid} {OUTPUT_SRS}"
      "ows_enable_request" "{requests}"
      "ows_encoding" "UTF-8"
      "wms_feature_info_mime_type" "text/html application/vnd.ogc.gml application/json"
      "wms_getmap_formatlist" "image/png,image/jpeg"
      "wfs_getfeature_formatlist" "geojson"
    END
  END
{_mask_block(territory_ids) if masked else ""}{_layer_block(dataset, territory_ids)}
END
"""


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}_{threading.get_ident()}")  # one per writer
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def write_mapfile(dataset: Dataset) -> Path:
    path = mapfile_path(dataset)
    _write_atomically(path, mapfile_text(dataset))
    _remove_stale_variants(dataset)
    return path


def _remove_stale_variants(dataset: Dataset) -> None:
    """Territory variants of previous data versions point at dropped tables: remove them."""
    current = f"dataset_{dataset.pk}_v{dataset.version}_t"
    for path in Path(settings.MAPFILE_DIR).glob(f"dataset_{dataset.pk}_v*_t*.map"):
        if not path.name.startswith(current):
            path.unlink(missing_ok=True)


def mapfile_for(dataset: Dataset, territory_ids: tuple[int, ...] = ()) -> Path:
    """The mapfile to answer with: the dataset's, or its territory variant.

    On this hot path (every WMS/WFS request) one stat decides: a file older than the record (new title, new data
    version) is written again; otherwise nothing is generated or read.
    """
    path = mapfile_path(dataset, territory_ids)
    try:
        fresh = path.stat().st_mtime >= dataset.updated_at.timestamp()
    except FileNotFoundError:
        fresh = False
    if not fresh:
        if territory_ids:
            _write_atomically(path, mapfile_text(dataset, territory_ids))
            _remove_stale_variants(dataset)
        else:
            write_mapfile(dataset)
    return path
