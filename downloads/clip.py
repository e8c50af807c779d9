"""Clip areas of downloads: parsed from hostile input, then narrowed by the user's territory in PostGIS.

A clip is given as `{"bbox": [xmin, ymin, xmax, ymax], "srid": 2154}`, `{"communes": ["37261", …]}` (INSEE codes
of the communes reference layer) or `{"geometry": <GeoJSON Polygon/MultiPolygon>, "srid": 4326}` (WGS84 unless
"srid" is given). The territory a rights decision limits the user to is always intersected on top.
"""

import json
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.db import connection
from django.utils.translation import gettext as _

from geoplatform.territories import TerritoryError, geometry_from_insee

from .errors import DownloadError
from .formats import SRIDS

INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
# A bounding box in these CRS lies within these bounds (a longitude/latitude box with swapped axes is refused).
WGS84_BOUNDS = (-180.0, -90.0, 180.0, 90.0)


@dataclass(frozen=True)
class Clip:
    """A validated clip: its geometry (with its SRID) and a French description for the README."""

    geometry: GEOSGeometry
    description: str
    spec: dict  # the normalised request, as stored in jobs and baskets


def _invalid(message: str, **details: object) -> DownloadError:
    return DownloadError("invalid_clip", message, **details)


def _finite(values: list) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values)


def _srid(raw: object, default: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit() or int(raw) not in SRIDS:
        raise _invalid(_("Le système de coordonnées de la zone de découpage n'est pas pris en charge."))
    return int(raw)


def _bbox(raw: dict) -> Clip:
    box = raw.get("bbox")
    if isinstance(box, str):
        box = box.split(",")
        try:
            box = [float(v) for v in box]
        except ValueError:
            box = None
    if not isinstance(box, list) or len(box) != 4 or not _finite(box):
        raise _invalid(_("L'emprise doit être une liste de quatre nombres : xmin, ymin, xmax, ymax."))
    srid = _srid(raw.get("srid"), 4326)
    xmin, ymin, xmax, ymax = (float(v) for v in box)
    if xmin >= xmax or ymin >= ymax:
        raise _invalid(_("L'emprise est vide : xmin doit être inférieur à xmax et ymin à ymax."))
    if srid == 4326 and not (xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90):
        raise _invalid(_("L'emprise en longitude/latitude sort des limites du globe."))
    geometry = Polygon.from_bbox((xmin, ymin, xmax, ymax))
    geometry.srid = srid
    description = _("emprise %(box)s (EPSG:%(srid)s)") % {"box": ", ".join(f"{v:g}" for v in box), "srid": srid}
    return Clip(geometry, description, {"bbox": [xmin, ymin, xmax, ymax], "srid": srid})


def _communes(raw: dict) -> Clip:
    codes = raw.get("communes")
    if isinstance(codes, str):
        codes = codes.split(",")
    if not isinstance(codes, list) or not codes or len(codes) > settings.GP_DOWNLOAD_CLIP_MAX_COMMUNES:
        raise _invalid(
            _("Indiquez entre 1 et %(max)s codes INSEE de communes.") % {"max": settings.GP_DOWNLOAD_CLIP_MAX_COMMUNES}
        )
    codes = sorted({str(code).strip().upper() for code in codes})
    bad = [code for code in codes if not INSEE.match(code)]
    if bad:
        raise _invalid(_("Codes INSEE mal formés : %(codes)s.") % {"codes": ", ".join(bad[:10])})
    try:
        geometry = geometry_from_insee(codes)
    except TerritoryError as error:
        raise _invalid(str(error)) from error
    description = _("communes %(codes)s") % {"codes": ", ".join(codes)}
    return Clip(geometry, description, {"communes": codes})


def _vertices(coordinates: object, depth: int) -> list:
    """The positions of a Polygon (depth 2) or MultiPolygon (depth 3), each checked to be a pair of numbers."""
    if depth == 0:
        if not isinstance(coordinates, list) or len(coordinates) not in (2, 3) or not _finite(coordinates):
            raise _invalid(_("La géométrie contient une coordonnée qui n'est pas un nombre fini."))
        return [coordinates]
    if not isinstance(coordinates, list) or not coordinates:
        raise _invalid(_("La géométrie est vide ou mal formée."))
    positions = []
    for item in coordinates:
        positions += _vertices(item, depth - 1)
        if len(positions) > settings.GP_DOWNLOAD_CLIP_MAX_VERTICES:
            raise _invalid(
                _("La géométrie de découpage a trop de sommets (%(max)s au plus).")
                % {"max": settings.GP_DOWNLOAD_CLIP_MAX_VERTICES}
            )
    return positions


def _geometry(raw: dict) -> Clip:
    document = raw.get("geometry")
    if isinstance(document, str):
        if len(document) > settings.GP_DOWNLOAD_CLIP_MAX_BYTES:
            raise _invalid(_("La géométrie de découpage est trop volumineuse."))
        try:
            document = json.loads(document)
        except ValueError as error:
            raise _invalid(_("La géométrie de découpage n'est pas un GeoJSON lisible.")) from error
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = document.get("geometry")
    if not isinstance(document, dict) or document.get("type") not in ("Polygon", "MultiPolygon"):
        raise _invalid(_("La géométrie de découpage doit être un polygone ou un multipolygone GeoJSON."))
    positions = _vertices(document.get("coordinates"), 2 if document["type"] == "Polygon" else 3)
    srid = _srid(raw.get("srid"), 4326)
    if srid == 4326 and not all(-180 <= x <= 180 and -90 <= y <= 90 for x, y, *_z in positions):
        raise _invalid(_("La géométrie sort des limites du globe : donnez-la en longitude/latitude (WGS 84)."))
    clean = {"type": document["type"], "coordinates": document["coordinates"]}
    try:
        geometry = GEOSGeometry(json.dumps(clean))  # GDAL reads GeoJSON as WGS84: the SRID is set afterwards
        geometry.srid = srid
    except (GEOSException, ValueError, TypeError) as error:
        raise _invalid(_("La géométrie de découpage n'est pas un polygone valide.")) from error
    if geometry.empty:
        raise _invalid(_("La géométrie de découpage est vide."))
    if not geometry.valid:
        geometry = geometry.make_valid()
        if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.empty:
            raise _invalid(_("La géométrie de découpage n'est pas un polygone valide."))
    return Clip(geometry, _("géométrie dessinée ou fournie"), {"geometry": clean, "srid": srid})


def parse_clip(raw: object) -> Clip | None:
    """A validated clip from a request (None: the whole dataset)."""
    if raw in (None, {}, ""):
        return None
    if not isinstance(raw, dict):
        raise _invalid(_("La zone de découpage doit être un objet (bbox, communes ou geometry)."))
    kinds = [key for key in ("bbox", "communes", "geometry") if key in raw]
    if len(kinds) != 1:
        raise _invalid(_("Donnez une seule zone de découpage : bbox, communes ou geometry."))
    return {"bbox": _bbox, "communes": _communes, "geometry": _geometry}[kinds[0]](raw)


def effective_area(clip: Clip | None, territory: GEOSGeometry | None, srid: int) -> GEOSGeometry | None:
    """The area actually served, in the dataset's `srid`: the clip within the user's territory (None: everything).

    Computed in PostGIS (reprojection, validity); an area that comes out empty is refused with a clear message.
    """
    parts = [g for g in (clip.geometry if clip else None, territory) if g is not None]
    if not parts:
        return None
    expressions = ["ST_MakeValid(ST_Transform(ST_GeomFromEWKB(%s), %s))" for _part in parts]
    params: list = []
    for part in parts:
        params += [memoryview(part.ewkb), srid]
    area = expressions[0] if len(parts) == 1 else f"ST_Intersection({expressions[0]}, {expressions[1]})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(a, 3))) FROM (SELECT {area} AS a) AS x",  # noqa: S608
            params,
        )
        geometry = GEOSGeometry(memoryview(bytes(cursor.fetchone()[0])))
    if geometry.empty or geometry.area == 0:
        if territory is not None and clip is not None:
            message = _("La zone demandée est entièrement hors du territoire auquel vos droits sont limités.")
        else:
            message = _("La zone de découpage est vide.")
        raise DownloadError("empty_clip", message)
    if geometry.geom_type == "Polygon":
        geometry = MultiPolygon(geometry, srid=srid)
    return geometry
