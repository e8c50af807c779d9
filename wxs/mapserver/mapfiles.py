"""The mapfiles MapServer serves, generated from the catalogue.

A dataset has one mapfile for callers who see all of it, and one variant per set of territories for callers
restricted to a territory: vectors are clipped to the territories in SQL (maps, feature info and WFS alike),
rasters are masked by them and served as maps only.

For the viewers (every WMS endpoint: /ows, /ows/org/<slug>, /ows/dataset/<id>):
- STYLES=<style name> (GetMap) / STYLE=<style name> (GetLegendGraphic) draws one of the dataset's styles
  (`wxs.models.Style.name`, listed with their LegendURL in the capabilities); empty draws the default style.
- FILTER=<Filter>…</Filter> (OGC Filter Encoding 1.1, MapServer's vendor parameter, on GetMap and GetFeatureInfo;
  one per layer of LAYERS, each in parentheses when there are several) draws/answers only the matching features,
  within the caller's territory; property names must be the layer's attributes (`filters.check`).
"""

import hashlib
import html
import os
import threading
from pathlib import Path

from django.conf import settings
from django.db import connection
from osgeo import osr

from catalogue.models import Dataset
from geoplatform.models import Organisation, PlatformSettings
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


def _mask_block(territory_ids: tuple[int, ...], name: str = MASK_LAYER) -> str:
    """A layer that is never served itself: the territories a raster is masked with."""
    ids = ", ".join(str(int(i)) for i in sorted(territory_ids))
    data = f"geometry FROM (SELECT id, geometry FROM geoplatform_territory WHERE id IN ({ids})) AS territory"
    return f"""  LAYER
    NAME "{name}"
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


# PostgreSQL column types (information_schema) -> the GML types MapServer advertises in DescribeFeatureType.
GML_TYPES = {
    "smallint": "Integer",
    "integer": "Integer",
    "bigint": "Long",
    "real": "Real",
    "double precision": "Real",
    "numeric": "Real",
    "date": "Date",
    "timestamp without time zone": "DateTime",
    "timestamp with time zone": "DateTime",
    "boolean": "Boolean",
}


def _item_types(dataset: Dataset) -> str:
    lines = []
    for attribute in dataset.attributes:
        name = attribute["name"]
        if not _plain_item(name):
            continue
        kind = GML_TYPES.get(str(attribute.get("type", "")).lower(), "Character")
        lines.append(f'      "gml_{name}_type" "{kind}"')
    return "\n".join(lines)


def _plain_item(name: str) -> bool:
    """Attribute names MapServer metadata keys and templates can carry as they are."""
    return bool(name) and all(ch.isalnum() or ch in "_-" for ch in name)


def template_path(dataset: Dataset) -> Path:
    return Path(settings.MAPFILE_DIR) / "templates" / f"ds{dataset.pk}_v{dataset.version}.html"


def template_text(dataset: Dataset) -> str:
    """The GetFeatureInfo text/html template of a vector layer: one table row per feature, values HTML-escaped."""
    names = [a["name"] for a in dataset.attributes if _plain_item(a["name"])]
    head = "".join(f"<th>{html.escape(name)}</th>" for name in names)
    cells = "".join(f'<td>[item name="{name}" escape="html"]</td>' for name in names)
    title = html.escape(dataset.title).replace("[", "&#91;")
    return (
        "<!-- MapServer Template -->\n"
        f'<table class="gp-feature-info" data-layer="{dataset.layer_name}">'
        f"<caption>{title}</caption><tr>{head}</tr>\n"
        f"[resultset layer={dataset.layer_name}][feature]<tr>{cells}</tr>\n[/feature][/resultset]</table>\n"
    )


def _template(dataset: Dataset) -> Path:
    path = template_path(dataset)
    text = template_text(dataset)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        _write_atomically(path, text)
    return path


def _layer_metadata(dataset: Dataset, requests: str = "*") -> str:
    """Per-layer OWS metadata: titles, keywords, ISO 19139 record, attribution, extents, item types."""
    record = f"{ONLINE_RESOURCE_PLACEHOLDER}/donnees/{dataset.pk}/iso19139.xml"
    organisation = dataset.organisation
    keywords = ",".join(k.label.replace(",", " ") for k in dataset.keywords.all())
    lines = [
        f'"ows_title" {_quote(dataset.title)}',
        f'"ows_abstract" {_quote(dataset.abstract)}',
        f'"ows_keywordlist" {_quote(keywords)}',
        f'"ows_srs" "EPSG:{dataset.srid} {OUTPUT_SRS}"',
        f'"ows_extent" {_quote(_extent(dataset))}',
        f'"ows_metadataurl_href" {_quote(record)}',
        '"ows_metadataurl_format" "text/xml"',
        '"wms_metadataurl_type" "ISO19115:2003"',
        '"wfs_metadataurl_type" "TC211"',
        f'"wms_attribution_title" {_quote(organisation.name)}',
        f'"wms_attribution_onlineresource" {_quote(organisation.website or f"{ONLINE_RESOURCE_PLACEHOLDER}/")}',
        f'"ows_enable_request" "{requests}"',
        '"gml_include_items" "all"',
        '"gml_featureid" "fid"',
        '"wms_include_items" "all"',
        '"wfs_getfeature_formatlist" "geojson,csv,gml32"',
    ]
    if dataset.feature_count is not None:
        lines.append(f'"wfs_featurecount" "{int(dataset.feature_count)}"')
    if dataset.kind == Dataset.Kind.RASTER:
        info = dataset.raster_info or {}
        lines += [
            f'"wcs_label" {_quote(dataset.title)}',
            '"wcs_rangeset_name" "bands"',
            '"wcs_rangeset_label" "bands"',
            f'"wcs_bandcount" "{int(info.get("bands") or 1)}"',
            '"wcs_formats" "GEOTIFF"',
            '"wcs_native_format" "image/tiff"',
        ]
        lines = [line for line in lines if not line.startswith(('"gml_', '"wfs_'))]
    body = "\n".join(f"      {line}" for line in lines)
    types = _item_types(dataset) if dataset.kind != Dataset.Kind.RASTER else ""
    return f"    METADATA\n{body}\n{types}\n    END"


def _layer_block(dataset: Dataset, territory_ids: tuple[int, ...] = (), mask_name: str = MASK_LAYER) -> str:
    if dataset.kind == Dataset.Kind.RASTER:
        masked = bool(territory_ids)
        metadata = _layer_metadata(dataset, MASKED_RASTER_REQUESTS if masked else "*")
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
        mask = f'\n    MASK "{mask_name}"' if masked else ""
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
    TEMPLATE {_quote(_template(dataset))}
    TOLERANCE 3
    TOLERANCEUNITS PIXELS
{_layer_metadata(dataset)}
{styles.layer_classes(dataset)}
  END"""


def _layers_text(entries: list[tuple[Dataset, tuple[int, ...]]], separate_masks: bool) -> str:
    blocks = []
    for dataset, territory_ids in entries:
        masked = bool(territory_ids) and dataset.kind == Dataset.Kind.RASTER
        mask_name = f"{MASK_LAYER}_{dataset.pk}" if separate_masks else MASK_LAYER
        if masked:
            blocks.append(_mask_block(territory_ids, mask_name))
        blocks.append(_layer_block(dataset, territory_ids, mask_name) + "\n")
    return "".join(blocks)


def _service_metadata(title: str, abstract: str, online: str, metadata_url: str, requests: str = "*") -> str:
    """Service-level metadata: platform contact and keywords, formats, INSPIRE view and download extensions."""
    platform = PlatformSettings.load()
    contact = platform.contact_email or settings.DEFAULT_FROM_EMAIL
    lines = [
        f'"ows_title" {_quote(title)}',
        f'"ows_abstract" {_quote(abstract)}',
        '"ows_keywordlist" "infoMapAccessService,Géoplateforme régionale,INSPIRE"',
        '"wms_keywordlist_vocabulary" "ISO"',
        '"wms_keywordlist_ISO_items" "infoMapAccessService"',
        f'"ows_onlineresource" {_quote(online)}',
        f'"ows_service_onlineresource" {_quote(online)}',
        f'"ows_contactorganization" {_quote(platform.name or settings.PLATFORM_NAME)}',
        f'"ows_contactperson" {_quote(platform.name or settings.PLATFORM_NAME)}',
        f'"ows_contactelectronicmailaddress" {_quote(contact)}',
        '"ows_contactposition" "pointOfContact"',
        '"ows_fees" "none"',
        f'"ows_accessconstraints" {_quote(platform.terms_of_use[:200] or "none")}',
        f'"ows_srs" "{OUTPUT_SRS}"',
        f'"ows_enable_request" "{requests}"',
        '"ows_encoding" "UTF-8"',
        '"ows_languages" "fre,eng"',
        '"ows_inspire_capabilities" "url"',
        f'"ows_inspire_metadataurl_href" {_quote(metadata_url)}',
        '"ows_inspire_metadataurl_format" "application/vnd.ogc.csw.capabilities.response_xml"',
        '"wfs_inspire_dsid_code" "ds"',
        '"wfs_inspire_dsid_ns" "' + ONLINE_RESOURCE_PLACEHOLDER + '/"',
        '"wms_feature_info_mime_type" "text/html,application/vnd.ogc.gml,application/json"',
        '"wms_getmap_formatlist" "image/png,image/jpeg,image/webp"',
        '"wfs_getfeature_formatlist" "geojson,csv,gml32"',
        '"wcs_label" ' + _quote(title),
    ]
    body = "\n".join(f"      {line}" for line in lines)
    return f"  WEB\n    METADATA\n{body}\n    END\n  END\n"


# Output formats every mapfile offers: GetMap images, GetFeatureInfo JSON, WFS GeoJSON and CSV, WCS GeoTIFF.
OUTPUT_FORMATS = """  OUTPUTFORMAT NAME "png" DRIVER "AGG/PNG" MIMETYPE "image/png" IMAGEMODE RGBA EXTENSION "png"
    TRANSPARENT ON END
  OUTPUTFORMAT NAME "jpeg" DRIVER "AGG/JPEG" MIMETYPE "image/jpeg" IMAGEMODE RGB EXTENSION "jpg" END
  OUTPUTFORMAT NAME "webp" DRIVER "GDAL/WEBP" MIMETYPE "image/webp" IMAGEMODE RGBA EXTENSION "webp"
    FORMATOPTION "QUALITY=85" END
  OUTPUTFORMAT NAME "geojson" DRIVER "OGR/GEOJSON" MIMETYPE "application/json; subtype=geojson" EXTENSION "json"
    FORMATOPTION "STORAGE=stream" FORMATOPTION "FORM=SIMPLE" FORMATOPTION "LCO:RFC7946=NO" END
  OUTPUTFORMAT NAME "geojson_info" DRIVER "OGR/GEOJSON" MIMETYPE "application/json" EXTENSION "json"
    FORMATOPTION "STORAGE=memory" FORMATOPTION "FORM=SIMPLE" FORMATOPTION "LCO:RFC7946=NO" END
  OUTPUTFORMAT NAME "csv" DRIVER "OGR/CSV" MIMETYPE "text/csv" EXTENSION "csv"
    FORMATOPTION "STORAGE=memory" FORMATOPTION "FORM=SIMPLE" FORMATOPTION "FILENAME=result.csv"
    FORMATOPTION "LCO:GEOMETRY=AS_WKT" END
  OUTPUTFORMAT NAME "GEOTIFF" DRIVER "GDAL/GTiff" MIMETYPE "image/tiff" IMAGEMODE FLOAT32 EXTENSION "tif" END
  SYMBOL NAME "circle" TYPE ELLIPSE FILLED TRUE POINTS 1 1 END END
"""


def _map_head(name: str, extent: str, units: str, srid: int) -> str:
    return f"""MAP
  NAME "{name}"
  STATUS ON
  EXTENT {extent}
  SIZE 800 600
  MAXSIZE 4096
  UNITS {units}
  IMAGECOLOR 255 255 255
  PROJECTION "init=epsg:{srid}" END
{OUTPUT_FORMATS}"""


def mapfile_text(dataset: Dataset, territory_ids: tuple[int, ...] = ()) -> str:
    """The mapfile that serves one dataset as WMS/WFS layer `ds<id>`, limited to `territory_ids` if given."""
    online = f"{ONLINE_RESOURCE_PLACEHOLDER}/ows/dataset/{dataset.pk}?"
    masked = bool(territory_ids) and dataset.kind == Dataset.Kind.RASTER
    requests = MASKED_RASTER_REQUESTS if masked else "*"
    source = f"dataset {dataset.pk} (version {dataset.version})"
    if territory_ids:
        source += f" within territories {', '.join(map(str, sorted(territory_ids)))}"
    record = f"{ONLINE_RESOURCE_PLACEHOLDER}/donnees/{dataset.pk}/iso19139.xml"
    web = _service_metadata(dataset.title, dataset.abstract, online, record, requests)
    web = web.replace('"application/vnd.ogc.csw.capabilities.response_xml"', '"application/vnd.iso.19139+xml"')
    head = _map_head(f"dataset_{dataset.pk}", _extent(dataset), _units(dataset.srid), dataset.srid)
    layers = _layers_text([(dataset, territory_ids)], False)
    return f"# Generated from the catalogue for {source}; do not edit.\n{head}{web}{layers}END\n"


# --- Multi-layer services: the global `/ows` and one per organisation ---------------------------------------------

Entry = tuple[Dataset, tuple[int, ...]]
GLOBAL_SCOPE = "global"
# Service extents are given in WGS84: layers of every projection meet there.
SERVICE_SRID = 4326


def service_scope(organisation: Organisation | None) -> str:
    return GLOBAL_SCOPE if organisation is None else f"org{organisation.pk}"


def variant_key(entries: list[Entry]) -> str:
    """What a caller sees, as a short stable key: the (dataset, version, territories) triples."""
    triples = sorted((d.pk, d.version, tuple(sorted(t))) for d, t in entries)
    return hashlib.sha256(repr(triples).encode()).hexdigest()[:20]


def service_mapfile_path(organisation: Organisation | None, entries: list[Entry]) -> Path:
    return Path(settings.MAPFILE_DIR) / f"service_{service_scope(organisation)}_{variant_key(entries)}.map"


def _service_extent(entries: list[Entry]) -> str:
    boxes = [d.bbox_wgs84 for d, _ in entries if getattr(d, "bbox_wgs84", None)]
    if not boxes:
        return "-5.5 41 10 51.5"  # metropolitan France
    return (
        f"{min(b[0] for b in boxes)} {min(b[1] for b in boxes)} {max(b[2] for b in boxes)} {max(b[3] for b in boxes)}"
    )


def service_mapfile_text(organisation: Organisation | None, entries: list[Entry]) -> str:
    """One service of several layers: exactly the layers of `entries`, each within its territories."""
    platform = PlatformSettings.load()
    name = platform.name or settings.PLATFORM_NAME
    if organisation is None:
        title, abstract, online = name, platform.tagline or name, f"{ONLINE_RESOURCE_PLACEHOLDER}/ows?"
    else:
        title = f"{organisation.name} — {name}"
        abstract = organisation.description or title
        online = f"{ONLINE_RESOURCE_PLACEHOLDER}/ows/org/{organisation.slug}?"
    csw = f"{ONLINE_RESOURCE_PLACEHOLDER}/csw?SERVICE=CSW&REQUEST=GetCapabilities"
    web = _service_metadata(title, abstract, online, csw)
    head = _map_head(f"service_{service_scope(organisation)}", _service_extent(entries), "DD", SERVICE_SRID)
    layers = _layers_text(entries, True)
    listed = ", ".join(f"{d.pk}v{d.version}" + (f"t{'_'.join(map(str, t))}" if t else "") for d, t in entries)
    comment = f"# Generated from the catalogue for {service_scope(organisation)}: {listed or 'no layer'}; do not edit."
    return f"{comment}\n{head}{web}{layers}END\n"


def caller_layers(user, organisation: Organisation | None = None) -> list[Entry]:
    """The layers a caller sees in a multi-layer service, each with the territories it is limited to.

    Datasets with data the caller may view (the rights choke point decides each one); a restricted decision
    without territory rows is left out, as in the dataset service.
    """
    from geoplatform import rights

    datasets = Dataset.objects.filter(version__gt=0).select_related("organisation").prefetch_related("keywords")
    if organisation is not None:
        datasets = datasets.filter(organisation=organisation)
    entries: list[Entry] = []
    for dataset in rights.visible(user, datasets, rights.Action.VIEW_DATA).order_by("pk"):
        decision = rights.decide(user, rights.Action.VIEW_DATA, dataset)
        if not decision or (decision.restricted and not decision.territory_ids):
            continue
        entries.append((dataset, tuple(sorted(decision.territory_ids)) if decision.restricted else ()))
    return entries


def service_mapfile_for(organisation: Organisation | None, entries: list[Entry]) -> Path:
    """The caller's variant of a multi-layer service, written again when older than any of its layers.

    A layer's content is its own mapfile (rewritten by `wxs.changes.layer_changed` on data, style or rights
    changes, and when older than the record): one stat per layer and one for the service decide.
    """
    path = service_mapfile_path(organisation, entries)
    newest = PlatformSettings.load().updated_at.timestamp()
    for dataset, _ in entries:
        newest = max(newest, mapfile_for(dataset).stat().st_mtime)
    try:
        fresh = path.stat().st_mtime >= newest
    except FileNotFoundError:
        fresh = False
    if not fresh:
        _write_atomically(path, service_mapfile_text(organisation, entries))
    return path


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
