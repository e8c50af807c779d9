"""Everything that knows MapServer: its config file, the mapfiles generated from the catalogue, running it.

MapServer 8 runs as a CGI process per request here (`mapserv`), fed the request by environment variables.
"""

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from osgeo import osr

from catalogue.models import Dataset

# Capabilities carry this base URL; the proxy swaps it for the public URL the client used.
ONLINE_RESOURCE_PLACEHOLDER = "http://gp-onlineresource.invalid"
OUTPUT_SRS = "EPSG:2154 EPSG:4326 EPSG:3857 EPSG:4258 EPSG:900913 " + " ".join(
    f"EPSG:{code}" for code in range(3942, 3951)
)

STYLES = {
    "point": 'SYMBOL "circle" SIZE 8 COLOR 214 96 32 OUTLINECOLOR 90 40 10 WIDTH 1',
    "line": "COLOR 29 79 145 WIDTH 2",
    "polygon": "COLOR 86 145 212 OPACITY 55 OUTLINECOLOR 20 60 120 WIDTH 1",
}
LAYER_TYPES = {"point": "POINT", "line": "LINE", "polygon": "POLYGON"}


def mapfile_path(dataset: Dataset) -> Path:
    return Path(settings.MAPFILE_DIR) / f"dataset_{dataset.pk}.map"


def _quote(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
    return f'"{text}"'


def _family(geometry_type: str) -> str:
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


def _layer_block(dataset: Dataset) -> str:
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
        return f"""  LAYER
    NAME "{dataset.layer_name}"
    TYPE RASTER
    STATUS ON
    DATA {_quote(dataset.raster_path)}
    PROJECTION "init=epsg:{dataset.srid}" END
    EXTENT {_extent(dataset)}
{metadata}{classes}
  END"""
    family = _family(dataset.geometry_type)
    return f"""  LAYER
    NAME "{dataset.layer_name}"
    TYPE {LAYER_TYPES[family]}
    STATUS ON
    CONNECTIONTYPE POSTGIS
    CONNECTION {_quote(_connection_string())}
    DATA "geom FROM {settings.LAYERS_SCHEMA}.{dataset.table_name} USING UNIQUE fid USING SRID={dataset.srid}"
    PROCESSING "CLOSE_CONNECTION=DEFER"
    PROJECTION "init=epsg:{dataset.srid}" END
    EXTENT {_extent(dataset)}
    TEMPLATE "ttt"
{metadata}
    CLASS
      NAME {_quote(dataset.title)}
      STYLE {STYLES[family]} END
    END
  END"""


def mapfile_text(dataset: Dataset) -> str:
    """The mapfile that serves one dataset as WMS/WFS layer `ds<id>`."""
    online = f"{ONLINE_RESOURCE_PLACEHOLDER}/ows/dataset/{dataset.pk}?"
    return f"""# Generated from the catalogue for dataset {dataset.pk} (version {dataset.version}); do not edit.
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
  SYMBOL NAME "circle" TYPE ELLIPSE FILLED TRUE POINTS 1 1 END END
  WEB
    METADATA
      "ows_title" {_quote(dataset.title)}
      "ows_abstract" {_quote(dataset.abstract)}
      "ows_onlineresource" {_quote(online)}
      "ows_srs" "EPSG:{dataset.srid} {OUTPUT_SRS}"
      "ows_enable_request" "*"
      "ows_encoding" "UTF-8"
      "wms_feature_info_mime_type" "text/html application/vnd.ogc.gml application/json"
      "wms_getmap_formatlist" "image/png,image/jpeg"
    END
  END
{_layer_block(dataset)}
END
"""


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def write_mapfile(dataset: Dataset) -> Path:
    path = mapfile_path(dataset)
    _write_atomically(path, mapfile_text(dataset))
    return path


def config_text() -> str:
    pattern = re.escape(str(Path(settings.MAPFILE_DIR).resolve())) + r"/[a-z0-9_]+\.map$"
    return f"""# MapServer 8 configuration, generated by the platform; do not edit.
CONFIG
  ENV
    MS_MAP_PATTERN "^{pattern}"
    MS_ERRORFILE "stderr"
  END
END
"""


def ensure_config() -> Path:
    path = Path(settings.MAPSERVER_CONFIG_FILE)
    text = config_text()
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        _write_atomically(path, text)
    return path


@dataclass
class MapServerResponse:
    status: int
    content_type: str
    body: bytes


def render(mapfile: Path, params: dict[str, str], public_base_url: str) -> MapServerResponse:
    """Answer one OGC request with MapServer on `mapfile`. `params` must not carry MAP (the caller strips it)."""
    query = urlencode({**params, "map": str(mapfile.resolve())})
    env = {
        "QUERY_STRING": query,
        "REQUEST_METHOD": "GET",
        "MAPSERVER_CONFIG_FILE": str(ensure_config().resolve()),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    completed = subprocess.run(
        [settings.MAPSERVER_BIN], env=env, capture_output=True, timeout=120, check=False
    )
    head, _, body = completed.stdout.partition(b"\r\n\r\n")
    status, content_type = 200, "text/plain"
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            content_type = value.strip()
        elif name.strip().lower() == "status":
            status = int(value.strip().split()[0])
    if completed.returncode != 0 and not body:
        return MapServerResponse(500, "text/plain", b"MapServer failed")
    if content_type.startswith(("text/xml", "application/xml", "application/vnd.ogc", "text/html")):
        body = body.replace(ONLINE_RESOURCE_PLACEHOLDER.encode(), public_base_url.rstrip("/").encode())
    return MapServerResponse(status, content_type, body)


def version() -> str:
    completed = subprocess.run([settings.MAPSERVER_BIN, "-v"], capture_output=True, timeout=10, check=False)
    return completed.stdout.decode("utf-8", "replace").strip()
