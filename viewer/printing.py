"""Printing a map: one page (title, map, legend, scale bar, north arrow, date, sources) as PDF or PNG.

The map is drawn by MapServer through the caller's global service (`wxs.mapserver`), the same mapfile and rights as
`/ows`: one WMS GetMap per layer at the print size and resolution, composed here with each layer's opacity. Layers
the caller may not view are left out without a trace. The page is laid out once with reportlab (PDF); the PNG is
that page rendered by PDFium at the print resolution, so both formats show exactly the same composition.
"""

import functools
import io
import json
import math
import re
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape as xml_escape

import pypdfium2
from django.conf import settings
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image
from pyproj import CRS, Geod, Transformer
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas

from catalogue.models import Dataset
from geoplatform.models import PlatformSettings
from wxs import mapserver
from wxs.mapserver import filters
from wxs.models import Style

from . import owscontext, remote

PAPERS = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}  # portrait width × height, mm
ORIENTATIONS = ("portrait", "landscape")
FORMATS = {"pdf": "application/pdf", "png": "image/png"}
SRIDS = (3857, 2154, 4326)
MIN_DPI, MAX_DPI, DEFAULT_DPI = 96, 300, 150
MAX_LAYERS = 30  # active layers in one print: each is one MapServer rendering
MAX_TITLE = 200
MAX_BODY = 2 * 1024 * 1024
# The largest image MapServer draws (MAXSIZE in every generated mapfile).
MAX_PIXELS = 4096
WEB_MERCATOR_LIMIT = 20037508.342789244
MERCATOR_MAX_LATITUDE = 85.0511

MARGIN = 10.0  # mm, every layout length below is in mm
TITLE_BAND = 12.0
FOOTER_BAND = 14.0
GAP = 4.0
# Legend panel: right of the map in landscape (width), under it in portrait (height).
LEGEND_PANEL = {
    ("A4", "landscape"): 62.0,
    ("A3", "landscape"): 75.0,
    ("A4", "portrait"): 48.0,
    ("A3", "portrait"): 62.0,
}
LEGEND_COLUMN = 62.0
LEGEND_PIXEL = 25.4 / 96  # a legend image pixel is shown as a CSS pixel, in mm

INK = (0.13, 0.13, 0.13)
MUTED = (0.33, 0.33, 0.33)

FONT_FILES = {
    "regular": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "Vera.ttf"),
    "bold": ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "VeraBd.ttf"),
}


class PrintError(Exception):
    """A print that cannot be made: `code` is stable, `message` is for people (French)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ContextLayer:
    """An active layer of the context, as the caller described it."""

    title: str
    opacity: float
    dataset_id: int | None  # our own dataset (`gp:dataset`), else an external service layer
    filter: dict | None = None  # `gp:filter` of our layers: {"attribute", "operator", "value"}
    getmap: str = ""  # the layer's WMS GetMap address (an external layer is fetched from it)


@dataclass(frozen=True)
class PrintRequest:
    layers: tuple[ContextLayer, ...]  # top of the layer tree first
    bbox: tuple[float, float, float, float]
    srid: int
    paper: str
    orientation: str
    format: str
    title: str
    dpi: int
    basemap: str


@dataclass
class PrintedLayer:
    """A layer going on the page: one of ours (`dataset`) drawn by MapServer, or an external WMS (`getmap`)."""

    title: str
    opacity: float
    dataset: Dataset | None = None
    filter: dict | None = None
    style: str = ""  # one of our layers' named WMS styles, "" for its default
    getmap: str = ""
    legend: Image.Image | None = None
    legend_size: tuple[float, float] = (0.0, 0.0)  # mm on the page
    image: Image.Image | None = None
    basemap: bool = False  # drawn under everything, not in the legend

    @property
    def source(self) -> str:
        """Who the data comes from, for the page's sources."""
        if self.dataset is not None:
            return self.dataset.organisation.name
        return urlsplit(self.getmap).hostname or ""


@dataclass
class PrintResult:
    content: bytes
    content_type: str
    filename: str


# --- Reading the request ----------------------------------------------------------------------------------------


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _choice(raw: dict, key: str, choices, default: str, code: str, message: str) -> str:
    value = raw.get(key, default)
    if isinstance(value, str):
        for choice in choices:
            if value.strip().lower() == choice.lower():
                return choice
    raise PrintError(code, message)


def _text(value: object, limit: int) -> str:
    """A one-line text: control characters become spaces."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", str(value)).strip()[:limit]


def _getmap_href(properties: dict) -> str:
    """The GetMap address of a layer's WMS offering, or ""."""
    for offering in properties.get("offerings", []):
        if offering["code"] == owscontext.OFFERING_BASE + "wms":
            for operation in offering["operations"]:
                if operation["code"].lower() == "getmap" and operation["method"] == "GET":
                    return operation["href"]
    return ""


def _context_layers(context: object) -> tuple[tuple[ContextLayer, ...], str]:
    """The active layers of the context (checked by `owscontext.validate`), top first, and its base map key. A map
    being composed may have no title yet: the print has its own."""
    if isinstance(context, dict) and isinstance(context.get("properties", {}), dict):
        properties = {"links": {"profiles": [{"href": owscontext.PROFILE}]}, **context.get("properties", {})}
        properties["title"] = properties.get("title") or _("Carte")
        context = {**context, "properties": properties}
    try:
        document = owscontext.validate(context)
    except owscontext.ContextError as error:
        code = "too_many_layers" if error.code == "too_many_layers" else "invalid_context"
        raise PrintError(code, error.message) from None
    layers = []
    for feature in document["features"]:
        properties = feature["properties"]
        if not properties["active"]:
            continue
        dataset = properties.get("gp:dataset")
        layers.append(
            ContextLayer(
                title=properties["title"],
                opacity=properties["gp:opacity"],
                dataset_id=dataset,
                filter=properties.get("gp:filter"),
                getmap=_getmap_href(properties),
            )
        )
    if len(layers) > MAX_LAYERS:
        raise PrintError(
            "too_many_layers",
            _("Une impression compte au plus %(max)s couches affichées (la carte en a %(count)s).")
            % {"max": MAX_LAYERS, "count": len(layers)},
        )
    return tuple(layers), document["properties"].get("gp:basemap", "")


def _bbox(raw: object, srid: int) -> tuple[float, float, float, float]:
    message = _("L'emprise doit être [xmin, ymin, xmax, ymax] dans le système de coordonnées de la vue.")
    if not isinstance(raw, list) or len(raw) != 4:
        raise PrintError("invalid_bbox", message)
    values = [_number(v) for v in raw]
    if any(v is None for v in values):
        raise PrintError("invalid_bbox", message)
    xmin, ymin, xmax, ymax = values
    if not (xmin < xmax and ymin < ymax):
        raise PrintError("invalid_bbox", _("L'emprise est vide : xmin doit être inférieur à xmax, ymin à ymax."))
    if srid == 4326:
        # drawn in Web Mercator: some of it must lie between its latitude limits
        inside = -180 <= xmin and xmax <= 180 and -MERCATOR_MAX_LATITUDE < ymax and ymin < MERCATOR_MAX_LATITUDE
        inside = inside and -90 <= ymin and ymax <= 90
    elif srid == 3857:
        inside = all(abs(v) <= WEB_MERCATOR_LIMIT * 1.01 for v in values)
    else:
        west, south, east, north = _projected_limits(srid)
        inside = west <= xmin and xmax <= east and south <= ymin and ymax <= north
    if not inside:
        raise PrintError("invalid_bbox", _("L'emprise sort du domaine de validité du système de coordonnées."))
    return xmin, ymin, xmax, ymax


@functools.cache
def _projected_limits(srid: int) -> tuple[float, float, float, float]:
    """Where a view in a regional projection (Lambert-93) can be: its area of use, widened by its own size around."""
    west, south, east, north = Transformer.from_crs(4326, srid, always_xy=True).transform_bounds(
        *CRS(srid).area_of_use.bounds
    )
    width, height = east - west, north - south
    return west - width, south - height, east + width, north + height


def parse_request(body: bytes) -> PrintRequest:
    """The print asked for in a JSON body, checked; raises `PrintError` with the first problem found."""
    if len(body) > MAX_BODY:
        raise PrintError("body_too_large", _("La demande d'impression est trop volumineuse."), 413)
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PrintError("invalid_json", _("La demande d'impression doit être un document JSON.")) from None
    if not isinstance(raw, dict):
        raise PrintError("invalid_json", _("La demande d'impression doit être un objet JSON."))
    paper = _choice(raw, "paper", PAPERS, "A4", "invalid_paper", _("Le format de papier doit être « A4 » ou « A3 »."))
    orientation = _choice(
        raw, "orientation", ORIENTATIONS, "landscape", "invalid_orientation",
        _("L'orientation doit être « portrait » ou « landscape » (paysage)."),
    )  # fmt: skip
    output = _choice(raw, "format", FORMATS, "pdf", "invalid_format", _("Le format doit être « pdf » ou « png »."))
    srid = raw.get("srid", 3857)
    if isinstance(srid, str) and srid.upper().removeprefix("EPSG:").isdigit():
        srid = int(srid.upper().removeprefix("EPSG:"))
    if isinstance(srid, bool) or not isinstance(srid, int) or srid not in SRIDS:
        raise PrintError("invalid_srid", _("Le système de coordonnées doit être EPSG:3857, EPSG:2154 ou EPSG:4326."))
    dpi = raw.get("dpi", DEFAULT_DPI)
    if isinstance(dpi, bool) or not isinstance(dpi, int | float) or not MIN_DPI <= dpi <= MAX_DPI:
        raise PrintError(
            "invalid_dpi",
            _("La résolution doit être comprise entre %(min)s et %(max)s points par pouce.")
            % {"min": MIN_DPI, "max": MAX_DPI},
        )
    title = raw.get("title", "")
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        raise PrintError("invalid_title", _("Le titre est un texte d'au plus %(max)s caractères.") % {"max": MAX_TITLE})
    layers, basemap = _context_layers(raw.get("context"))
    return PrintRequest(
        layers=layers,
        bbox=_bbox(raw.get("bbox"), srid),
        srid=srid,
        paper=paper,
        orientation=orientation,
        format=output,
        title=_text(title, MAX_TITLE) or _("Carte"),
        dpi=int(dpi),
        basemap=basemap,
    )


# --- Geometry of the page and of the map ------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A rectangle on the page, in mm from the top-left corner."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Layout:
    page_width: float
    page_height: float
    title: Box
    map: Box
    legend: Box
    footer: Box


def layout(paper: str, orientation: str) -> Layout:
    """Where each part of the page goes."""
    width, height = PAPERS[paper]
    if orientation == "landscape":
        width, height = height, width
    inner_width = width - 2 * MARGIN
    body_top = MARGIN + TITLE_BAND
    body_height = height - 2 * MARGIN - TITLE_BAND - FOOTER_BAND
    panel = LEGEND_PANEL[(paper, orientation)]
    if orientation == "landscape":
        map_box = Box(MARGIN, body_top, inner_width - panel - GAP, body_height)
        legend = Box(MARGIN + map_box.width + GAP, body_top, panel, body_height)
    else:
        map_box = Box(MARGIN, body_top, inner_width, body_height - panel - GAP)
        legend = Box(MARGIN, body_top + map_box.height + GAP, inner_width, panel)
    return Layout(
        page_width=width,
        page_height=height,
        title=Box(MARGIN, MARGIN, inner_width, TITLE_BAND),
        map=map_box,
        legend=legend,
        footer=Box(MARGIN, height - MARGIN - FOOTER_BAND + 2, inner_width, FOOTER_BAND - 2),
    )


@dataclass(frozen=True)
class MapFrame:
    """The map as drawn: extent in `srid` (fitted to the frame's shape), pixel size, ground scale, north."""

    srid: int
    extent: tuple[float, float, float, float]
    width_px: int
    height_px: int
    scale: float  # the scale denominator on paper
    north: float  # angle of true north from the top of the page, degrees clockwise


def map_frame(request: PrintRequest, box: Box) -> MapFrame:
    """The extent to draw: the view's, widened to the frame's shape around the same centre. Longitude/latitude
    views are drawn in Web Mercator, as on screen."""
    dpi = min(request.dpi, MAX_PIXELS * 25.4 / max(box.width, box.height))
    width_px, height_px = round(box.width * dpi / 25.4), round(box.height * dpi / 25.4)
    srid, (xmin, ymin, xmax, ymax) = request.srid, request.bbox
    if srid == 4326:
        to_mercator = Transformer.from_crs(4326, 3857, always_xy=True)
        ymin, ymax = (max(-MERCATOR_MAX_LATITUDE, min(MERCATOR_MAX_LATITUDE, v)) for v in (ymin, ymax))
        (xmin, xmax), (ymin, ymax) = to_mercator.transform([xmin, xmax], [ymin, ymax])
        srid = 3857
    centre_x, centre_y = (xmin + xmax) / 2, (ymin + ymax) / 2
    width, height = xmax - xmin, ymax - ymin
    if width / height < box.width / box.height:
        width = height * box.width / box.height
    else:
        height = width * box.height / box.width
    extent = (centre_x - width / 2, centre_y - height / 2, centre_x + width / 2, centre_y + height / 2)
    to_wgs84 = Transformer.from_crs(srid, 4326, always_xy=True)
    # Ground length of a short horizontal segment through the centre: the scale where people look.
    step = width / 100
    (lon1, lon2), (lat1, lat2) = to_wgs84.transform([centre_x - step, centre_x + step], [centre_y, centre_y])
    metres = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)[2]
    scale = metres / (2 * step) * width / (box.width / 1000)
    if not math.isfinite(scale) or scale < 1:
        raise PrintError("invalid_bbox", _("L'emprise est trop petite pour être imprimée."))
    lon, lat = to_wgs84.transform(centre_x, centre_y)
    north_x, north_y = Transformer.from_crs(4326, srid, always_xy=True).transform(lon, min(lat + 0.01, 89.9))
    north = math.degrees(math.atan2(north_x - centre_x, north_y - centre_y))
    return MapFrame(srid, extent, width_px, height_px, scale, north)


def scale_bar(scale: float, max_length: float) -> tuple[float, str]:
    """The longest round ground length (1, 2 or 5 × 10ⁿ m) whose bar fits in `max_length` mm, as (mm, label)."""
    ground = scale * max_length / 1000
    power = 10 ** math.floor(math.log10(ground))
    metres = max(step * power for step in (1, 2, 5) if step * power <= ground)
    label = f"{formats.number_format(round(metres / 1000), use_l10n=True, force_grouping=True)} km"
    if metres < 1000:
        label = f"{formats.number_format(int(metres) if metres >= 1 else metres, use_l10n=True)} m"
    return metres / scale * 1000, label


def scale_label(scale: float) -> str:
    """“1:24 900”: the scale denominator to three significant figures, grouped by thousands."""
    rounded = round(scale, 2 - math.floor(math.log10(scale)))
    return "1:" + formats.number_format(int(rounded), use_l10n=True, force_grouping=True)


# --- MapServer ----------------------------------------------------------------------------------------------------


def _mapserver(mapfile: Path, params: dict[str, str], title: str) -> Image.Image:
    answer = mapserver.render(mapfile, params, "http://localhost/")
    if answer.status == 503:
        raise PrintError(
            "mapserver_unavailable", _("Le serveur cartographique est indisponible : réessayez plus tard."), 503
        )
    if answer.status != 200 or not answer.content_type.startswith("image/png"):
        raise PrintError(
            "render_failed",
            _("Le serveur cartographique n'a pas pu dessiner la couche « %(title)s ».") % {"title": title},
            502,
        )
    return Image.open(io.BytesIO(answer.body)).convert("RGBA")


def _resolution(dpi: int) -> str:
    """MapServer's resolution for a print at `dpi`: symbols, lines and legends keep their on-screen size (a CSS
    pixel is 1/96 inch, MapServer counts 72 dpi)."""
    return str(round(dpi * 72 / 96))


# Filter Encoding 1.1 operators, as the viewer sends `gp:filter` in WMS FILTER (frontend/src/viewer/layers.js).
FILTER_OPERATORS = {
    "=": "PropertyIsEqualTo",
    "!=": "PropertyIsNotEqualTo",
    "<": "PropertyIsLessThan",
    ">": "PropertyIsGreaterThan",
    "<=": "PropertyIsLessThanOrEqualTo",
    ">=": "PropertyIsGreaterThanOrEqualTo",
}


def ogc_filter(layer_filter: dict) -> str:
    """The OGC filter MapServer applies for the layer's `gp:filter` (checked by `owscontext.validate`)."""
    name = f"<PropertyName>{xml_escape(layer_filter['attribute'])}</PropertyName>"
    value = xml_escape(str(layer_filter["value"]), {'"': "&quot;", "'": "&apos;"})
    if layer_filter["operator"] == "like":
        return (
            '<Filter><PropertyIsLike wildCard="*" singleChar="." escapeChar="!" matchCase="false">'
            f"{name}<Literal>*{value}*</Literal></PropertyIsLike></Filter>"
        )
    operator = FILTER_OPERATORS[layer_filter["operator"]]
    return f"<Filter><{operator}>{name}<Literal>{value}</Literal></{operator}></Filter>"


def _own_image(mapfile: Path, layer: PrintedLayer, frame: MapFrame, dpi: int) -> Image.Image:
    """One of our layers drawn by MapServer, with its style and filter as the viewer showed it."""
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": layer.dataset.layer_name,
        "STYLES": layer.style,
        "CRS": f"EPSG:{frame.srid}",
        "BBOX": ",".join(f"{v:.6f}" for v in frame.extent),
        "WIDTH": str(frame.width_px),
        "HEIGHT": str(frame.height_px),
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
        "MAP_RESOLUTION": _resolution(dpi),
    }
    if layer.filter:
        params["FILTER"] = ogc_filter(layer.filter)
        try:  # MapServer writes property names into its SQL: only the layer's attributes reach it, as on /ows
            filters.check(params["FILTER"], {attribute["name"] for attribute in layer.dataset.attributes or []})
        except filters.FilterError as error:
            raise PrintError("invalid_filter", str(error)) from None
    return _mapserver(mapfile, params, layer.title)


# Parameters of an external GetMap address that the print sets itself.
EXTERNAL_SET = {"service", "request", "version", "crs", "srs", "bbox", "width", "height", "transparent", "format"}
MAX_EXTERNAL_PIXELS = 2048  # many public WMS refuse larger images: bigger prints are upsampled
EXTERNAL_TIMEOUT = 20.0  # seconds for one external layer
EXTERNAL_BUDGET = 40.0  # seconds for all of them: later ones are left out rather than the print timing out
EXTERNAL_MAX_BYTES = 32 * 1024 * 1024


def external_getmap_url(href: str, frame: MapFrame, width: int, height: int) -> str:
    """The external layer's GetMap address (its own LAYERS, STYLES and other parameters kept) for the print."""
    parts = urlsplit(href)
    given = parse_qsl(parts.query, keep_blank_values=True)
    version = next((v for k, v in given if k.lower() == "version"), "") or "1.3.0"
    version = "1.3.0" if version.startswith("1.3") else "1.1.1"
    image_format = next((v for k, v in given if k.lower() == "format" and v.startswith("image/")), "image/png")
    query = [(k, v) for k, v in given if k.lower() not in EXTERNAL_SET]
    query += [
        ("SERVICE", "WMS"),
        ("VERSION", version),
        ("REQUEST", "GetMap"),
        ("CRS" if version == "1.3.0" else "SRS", f"EPSG:{frame.srid}"),  # east/north axes in both versions
        ("BBOX", ",".join(f"{v:.6f}" for v in frame.extent)),
        ("WIDTH", str(width)),
        ("HEIGHT", str(height)),
        ("FORMAT", image_format),
        ("TRANSPARENT", "TRUE"),
    ]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def _external_image(layer: PrintedLayer, frame: MapFrame, timeout: float) -> Image.Image:
    """An external WMS layer, fetched through the SSRF-safe client; `remote.RemoteError` when it cannot be had."""
    shrink = min(1.0, MAX_EXTERNAL_PIXELS / max(frame.width_px, frame.height_px))
    width, height = max(1, round(frame.width_px * shrink)), max(1, round(frame.height_px * shrink))
    fetched = remote.safe_fetch(
        external_getmap_url(layer.getmap, frame, width, height),
        timeout=timeout,
        max_bytes=EXTERNAL_MAX_BYTES,
        accept="image/png, image/*;q=0.8",
    )
    not_an_image = remote.RemoteError("not_an_image", _("Le service distant n'a pas renvoyé d'image."))
    if not fetched.content_type.lower().startswith("image/"):
        raise not_an_image
    try:
        image = Image.open(io.BytesIO(fetched.body))
        if image.width > MAX_EXTERNAL_PIXELS * 2 or image.height > MAX_EXTERNAL_PIXELS * 2:
            raise not_an_image
        image = image.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    if image.size != (frame.width_px, frame.height_px):
        image = image.resize((frame.width_px, frame.height_px), Image.Resampling.BICUBIC)
    return image


def _draw_map(mapfile: Path | None, layers: list[PrintedLayer], frame: MapFrame, dpi: int) -> Image.Image:
    """Every layer at the print size, bottom layer first, with its opacity."""
    picture = Image.new("RGBA", (frame.width_px, frame.height_px), (255, 255, 255, 255))
    for layer in reversed(layers):
        image = layer.image if layer.dataset is None else _own_image(mapfile, layer, frame, dpi)
        if layer.opacity < 1:
            image.putalpha(image.getchannel("A").point(lambda a, o=layer.opacity: round(a * o)))
        picture.alpha_composite(image)
    return picture.convert("RGB")


def _legend(mapfile: Path, layer: PrintedLayer, dpi: int) -> None:
    """MapServer's legend of the layer, at screen resolution (its key boxes do not grow with MAP_RESOLUTION, its
    text would), smoothed to the print resolution. A layer MapServer gives no legend for keeps its title alone."""
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetLegendGraphic",
        "LAYER": layer.dataset.layer_name,
        "STYLE": layer.style,
        "FORMAT": "image/png",
        "SLD_VERSION": "1.1.0",
    }
    try:
        legend = _mapserver(mapfile, params, layer.title)
    except PrintError:
        return
    layer.legend_size = (legend.width * LEGEND_PIXEL, legend.height * LEGEND_PIXEL)
    factor = dpi / 96
    layer.legend = legend.resize((round(legend.width * factor), round(legend.height * factor)), Image.LANCZOS)


@dataclass
class Selection:
    """What goes on the page."""

    layers: list[PrintedLayer]  # top first; the base map, when drawn, last
    left_out: list[str]  # titles of the external layers that could not be drawn
    base_name: str  # the base map's name, "" for none
    base_printed: bool
    entries: list  # the caller's layers in the global service (wxs.mapserver.caller_layers)


def _style(dataset: Dataset, getmap: str) -> str:
    """The named style the viewer asked for (STYLES of the layer's GetMap address) if the dataset has it, else ""
    (its default style)."""
    wanted = next((v for k, v in parse_qsl(urlsplit(getmap).query) if k.lower() == "styles"), "")
    return wanted if wanted and Style.objects.filter(dataset=dataset, name=wanted).exists() else ""


def _fetch_external(layer: PrintedLayer, frame: MapFrame, deadline: float) -> bool:
    """Fetch an external layer's image within the shared time budget; False when it cannot be had."""
    remaining = min(EXTERNAL_TIMEOUT, deadline - time.monotonic())
    if not layer.getmap or remaining < 1:
        return False
    try:
        layer.image = _external_image(layer, frame, remaining)
    except remote.RemoteError:
        return False
    return True


def _base_map(key: str, viewable: dict[int, Dataset]) -> tuple[str, PrintedLayer | None]:
    """The base map the viewer showed (`gp:basemap`: a name from the platform settings, "local" or "none"): its name
    and the layer to draw, if it can be drawn (our communes layer, or a WMS; tiled base maps cannot)."""
    platform = PlatformSettings.load()
    if key == "local":
        communes = viewable.get(platform.communes_dataset_id)
        if communes is None:  # the viewer offers no local base map to those who may not view the communes
            return "", None
        return communes.title, PrintedLayer(communes.title, 1.0, dataset=communes, basemap=True)
    for base in platform.base_maps or []:
        if key and base.get("name") == key:
            if base.get("type") != "wms":
                return key, None
            query = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": base.get("layers", "")}
            href = f"{base['url']}{'&' if '?' in base['url'] else '?'}{urlencode({**query, 'STYLES': ''})}"
            return key, PrintedLayer(key, 1.0, getmap=href, basemap=True)
    return "", None


def _select(user, request: PrintRequest, frame: MapFrame) -> Selection:
    """The layers to draw: ours that the caller may view (others vanish without a trace), the external WMS layers
    that answered (the others are named as left out) and the base map."""
    entries = mapserver.caller_layers(user)
    viewable = {dataset.pk: dataset for dataset, _territories in entries}
    printed, left_out = [], []
    deadline = time.monotonic() + EXTERNAL_BUDGET
    for layer in request.layers:
        if layer.dataset_id is not None:
            if layer.dataset_id in viewable:
                dataset = viewable[layer.dataset_id]
                own = PrintedLayer(layer.title, layer.opacity, dataset=dataset, filter=layer.filter)
                own.style = _style(dataset, layer.getmap)
                printed.append(own)
            continue
        external = PrintedLayer(layer.title, layer.opacity, getmap=layer.getmap)
        if _fetch_external(external, frame, deadline):
            printed.append(external)
        else:
            left_out.append(layer.title)
    base_name, base = _base_map(request.basemap, viewable)
    base_printed = base is not None and (base.dataset is not None or _fetch_external(base, frame, deadline))
    if base_printed:
        printed.append(base)
    return Selection(printed, left_out, base_name, base_printed, entries)


# --- The page -----------------------------------------------------------------------------------------------------


def _fonts() -> tuple[str, str]:
    """Regular and bold TrueType fonts (DejaVu from the system, else the Vera fonts reportlab ships)."""
    names = []
    for weight, (system, bundled) in FONT_FILES.items():
        name = f"gp-{weight}"
        if name not in pdfmetrics.getRegisteredFontNames():
            path = system if Path(system).exists() else bundled
            pdfmetrics.registerFont(TTFont(name, path))
        names.append(name)
    return names[0], names[1]


class Page:
    """A reportlab canvas addressed in mm from the top-left corner, as the layout is."""

    def __init__(self, page_layout: Layout, title: str) -> None:
        self.buffer = io.BytesIO()
        self.height = page_layout.page_height
        self.canvas = pdf_canvas.Canvas(
            self.buffer, pagesize=(page_layout.page_width * mm, page_layout.page_height * mm), pageCompression=1
        )
        self.canvas.setTitle(title)
        self.canvas.setAuthor(PlatformSettings.load().name or settings.PLATFORM_NAME)
        self.regular, self.bold = _fonts()

    def point(self, x: float, y: float) -> tuple[float, float]:
        return x * mm, (self.height - y) * mm

    def text(self, x: float, y: float, text: str, size: float, bold: bool = False, align: str = "left",
             colour=INK) -> None:  # fmt: skip
        """`y` is the baseline."""
        self.canvas.setFont(self.bold if bold else self.regular, size)
        self.canvas.setFillColorRGB(*colour)
        draw = {"left": self.canvas.drawString, "right": self.canvas.drawRightString}[align]
        draw(*self.point(x, y), text)

    def width(self, text: str, size: float, bold: bool = False) -> float:
        return pdfmetrics.stringWidth(text, self.bold if bold else self.regular, size) / mm

    def lines(self, text: str, size: float, width: float, bold: bool = False) -> list[str]:
        return simpleSplit(text, self.bold if bold else self.regular, size, width * mm)

    def fit(self, text: str, size: float, width: float, bold: bool = False) -> str:
        """`text` cut with an ellipsis to fit in `width` mm."""
        if self.width(text, size, bold) <= width:
            return text
        while text and self.width(text + "…", size, bold) > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def image(self, picture: Image.Image, box: Box) -> None:
        x, y = self.point(box.x, box.y + box.height)
        self.canvas.drawImage(ImageReader(picture), x, y, box.width * mm, box.height * mm, mask="auto")

    def rect(self, box: Box, stroke=None, fill=None, line: float = 0.5, alpha: float = 1.0) -> None:
        self.canvas.saveState()
        if fill is not None:
            self.canvas.setFillColorRGB(*fill, alpha=alpha)
        if stroke is not None:
            self.canvas.setStrokeColorRGB(*stroke)
            self.canvas.setLineWidth(line)
        x, y = self.point(box.x, box.y + box.height)
        self.canvas.rect(x, y, box.width * mm, box.height * mm, stroke=stroke is not None, fill=fill is not None)
        self.canvas.restoreState()

    def pdf(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _north_arrow(page: Page, box: Box, angle: float) -> None:
    """A north arrow in the map's top-right corner, turned towards true north."""
    size = 12.0
    cx, cy = box.x + box.width - size / 2 - 3, box.y + size / 2 + 3
    page.canvas.saveState()
    page.canvas.setFillColorRGB(1, 1, 1, alpha=0.85)
    page.canvas.setStrokeColorRGB(*MUTED)
    page.canvas.setLineWidth(0.4)
    page.canvas.circle(*page.point(cx, cy), size / 2 * mm, stroke=1, fill=1)
    page.canvas.translate(*page.point(cx, cy))
    page.canvas.rotate(-angle)  # reportlab turns anticlockwise; `angle` is clockwise
    half, tip, tail = 2.0 * mm, 4.2 * mm, -3.0 * mm
    for side, fill in ((-half, INK), (half, (1, 1, 1))):
        path = page.canvas.beginPath()
        path.moveTo(0, tail + 1 * mm)
        path.lineTo(0, tip - 1.4 * mm)
        path.lineTo(side, tail)
        path.close()
        page.canvas.setFillColorRGB(*fill)
        page.canvas.setStrokeColorRGB(*INK)
        page.canvas.drawPath(path, stroke=1, fill=1)
    page.canvas.setFont(page.bold, 7)
    page.canvas.setFillColorRGB(*INK)
    page.canvas.drawCentredString(0, tip - 1.2 * mm, "N")
    page.canvas.restoreState()


def _scale_bar(page: Page, box: Box, frame: MapFrame) -> None:
    """A scale bar in the map's bottom-left corner, with the scale written under it."""
    length, label = scale_bar(frame.scale, min(box.width * 0.3, 50.0))
    x, bottom = box.x + 3, box.y + box.height - 3
    written = scale_label(frame.scale)
    page.rect(
        Box(x, bottom - 11, max(length, page.width(written, 6.5)) + page.width(label, 7) / 2 + 6, 11),
        fill=(1, 1, 1),
        alpha=0.85,
    )
    bar_x, bar_y = x + 3, bottom - 6
    half = length / 2
    page.rect(Box(bar_x, bar_y, half, 1.4), stroke=INK, fill=INK, line=0.4)
    page.rect(Box(bar_x + half, bar_y, half, 1.4), stroke=INK, fill=(1, 1, 1), line=0.4)
    page.text(bar_x - 0.8, bar_y - 1, "0", 6.5)
    page.text(bar_x + length - page.width(label, 6.5) / 2, bar_y - 1, label, 6.5)
    page.text(bar_x, bar_y + 4.4, written, 6.5, colour=MUTED)


def _legend_panel(page: Page, box: Box, layers: list[PrintedLayer]) -> None:
    """Each layer's title and MapServer legend, in columns; what does not fit is counted."""
    page.text(box.x, box.y + 4, _("Légende"), 10, bold=True)
    if not layers:
        page.text(box.x, box.y + 10, _("Aucune couche imprimée."), 8, colour=MUTED)
        return
    columns = max(1, int((box.width + GAP) // (LEGEND_COLUMN + GAP)))
    column_width = (box.width - GAP * (columns - 1)) / columns
    top, column, y = box.y + 7, 0, box.y + 7
    for index, layer in enumerate(layers):
        title = page.lines(layer.title, 8, column_width, bold=True)
        if len(title) > 2:
            title = [title[0], page.fit(title[1] + " " + title[2], 8, column_width, bold=True)]
        picture = layer.legend
        width = height = 0.0
        if picture is not None:
            width, height = layer.legend_size
            if width > column_width:
                width, height = column_width, height * column_width / width
        needed = 3.6 * len(title) + height + 2.5
        while y + needed > box.y + box.height - 4 and column < columns:
            column, y = column + 1, top
        if column >= columns or y + needed > box.y + box.height:
            rest = len(layers) - index
            page.text(box.x, box.y + box.height - 0.5, _("… et %(n)s autres couches") % {"n": rest}, 7, colour=MUTED)
            return
        x = box.x + column * (column_width + GAP)
        for line in title:
            y += 3.6
            page.text(x, y - 0.8, line, 8, bold=True)
        if picture is not None and height:
            page.image(picture, Box(x, y + 0.5, width, height))
        y += height + 2.5


def _footer(page: Page, box: Box, selection: Selection) -> None:
    today = formats.date_format(date.today(), "DATE_FORMAT")
    platform = PlatformSettings.load().name or settings.PLATFORM_NAME
    stamp = _("Imprimé le %(date)s — %(platform)s") % {"date": today, "platform": platform}
    organisations = list(dict.fromkeys(layer.source for layer in selection.layers if layer.source))
    sources = _("Sources : %(names)s.") % {"names": ", ".join(organisations) if organisations else "—"}
    if selection.base_printed:
        sources += " " + _("Fond : %(name)s.") % {"name": selection.base_name}
    elif selection.base_name:
        sources += " " + _("Fond : %(name)s (non imprimé).") % {"name": selection.base_name}
    else:
        sources += " " + _("Fond : aucun.")
    stamp_width = page.width(stamp, 7) + 4
    rows = page.lines(sources, 7, box.width - stamp_width)
    if selection.left_out:
        left_out = ", ".join(selection.left_out)
        rows += page.lines(_("Couches non imprimées : %(names)s.") % {"names": left_out}, 7, box.width)
    page.text(box.x + box.width, box.y + 3, stamp, 7, align="right", colour=MUTED)
    for number, row in enumerate(rows[:3]):
        page.text(box.x, box.y + 3 + number * 3.3, row if number < 2 or len(rows) <= 3 else row + " …", 7)


def compose(request: PrintRequest, selection: Selection, picture: Image.Image, frame: MapFrame) -> bytes:
    """The one-page PDF: title, map, north arrow, scale bar, legend, sources and date."""
    page_layout = layout(request.paper, request.orientation)
    page = Page(page_layout, request.title)
    title_box = page_layout.title
    size = 16.0
    while size > 10 and page.width(request.title, size, bold=True) > title_box.width:
        size -= 1
    page.text(title_box.x, title_box.y + 7, page.fit(request.title, size, title_box.width, bold=True), size, True)
    page.image(picture, page_layout.map)
    page.rect(page_layout.map, stroke=MUTED, line=0.6)
    _north_arrow(page, page_layout.map, frame.north)
    _scale_bar(page, page_layout.map, frame)
    _legend_panel(page, page_layout.legend, [layer for layer in selection.layers if not layer.basemap])
    _footer(page, page_layout.footer, selection)
    return page.pdf()


def png_from_pdf(pdf: bytes, dpi: int) -> bytes:
    """The page rendered by PDFium at `dpi`, as PNG."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=dpi / 72)
        picture = bitmap.to_pil()
    finally:
        document.close()
    output = io.BytesIO()
    picture.save(output, format="PNG", dpi=(dpi, dpi), optimize=False, compress_level=6)
    return output.getvalue()


def filename(title: str, output: str) -> str:
    """“carte-<titre>-2026-12-03.pdf”."""
    words = slugify(title)[:60].strip("-")
    return f"carte-{words + '-' if words and words != 'carte' else ''}{date.today().isoformat()}.{output}"


def print_map(user, request: PrintRequest) -> PrintResult:
    """The printed page for `user` (who sees only the layers the rights choke point lets them view)."""
    page_layout = layout(request.paper, request.orientation)
    frame = map_frame(request, page_layout.map)
    selection = _select(user, request, frame)
    ours = [layer for layer in selection.layers if layer.dataset is not None]
    mapfile = mapserver.service_mapfile_for(None, selection.entries) if ours else None
    picture = _draw_map(mapfile, selection.layers, frame, request.dpi)
    for layer in ours:
        if not layer.basemap:
            _legend(mapfile, layer, request.dpi)
    pdf = compose(request, selection, picture, frame)
    content = pdf if request.format == "pdf" else png_from_pdf(pdf, request.dpi)
    return PrintResult(
        content=content,
        content_type=FORMATS[request.format],
        filename=filename(request.title, request.format),
    )
