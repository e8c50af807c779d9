"""Generate a fictional demo region for the regional geodata platform.

The platform needs realistic-looking but entirely invented data to run
locally, in CI and in demos without depending on any real data source. This
script builds, deterministically (fixed random seed), a small region in
Lambert-93 (EPSG:2154) covering x 600000-660000, y 6680000-6725000 and writes
into OUTPUT_DIR:

* ``communes.gpkg`` (layer ``communes``): ~40 communes tiling the box without
  gaps or overlaps (clipped Voronoi cells with shared, gently wiggled borders);
  fields ``nom``, ``insee``, ``population``. The first commune is the main
  town, INSEE code ``37261``.
* ``arbres.gpkg`` (layer ``arbres``): ~3,000 trees following the French
  open-data "arbre" schema; ``code_insee`` is that of the containing commune.
* ``zae.gpkg`` (layer ``zae``): ~25 economic activity zones, each inside one
  commune, with ``surface_ha`` computed from the geometry.
* ``temperature_surface.tif``: a 600x450 Float32 GeoTIFF (100 m pixels) of
  land-surface temperature in degrees Celsius, with an urban heat island over
  the main town, a cooler river valley and a small cloud-masked nodata patch.

Usage: ``python scripts/make_demo_region.py OUTPUT_DIR``
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()
# Fixed timestamps in GeoPackage metadata so that reruns give identical files.
gdal.SetConfigOption("OGR_CURRENT_DATE", "2024-01-01T00:00:00.000Z")

SEED = 2154
EPSG = 2154
XMIN, XMAX = 600_000.0, 660_000.0
YMIN, YMAX = 6_680_000.0, 6_725_000.0
GRID_COLS, GRID_ROWS = 8, 5  # 40 communes
CITY_TARGET = (614_000.0, 6_703_000.0)  # where the main town lies
CITY_INSEE = "37261"
CITY_POPULATION = 137_658
N_TREES = 3_000
N_ZAE = 25
PIXEL = 100.0
NODATA = -9999.0
CM = 2  # coordinates are rounded to the centimetre so shared vertices match

Point = tuple[float, float]

NAME_BASES = [
    "Saint-Martin",
    "Saint-Aubin",
    "Saint-Hilaire",
    "Saint-Laurent",
    "Sainte-Radegonde",
    "Sainte-Geneviève",
    "Notre-Dame",
    "Château-Renault",
    "Villebéon",
    "Montréveil",
    "Chênevières",
    "Bléré-Val",
    "Varennes",
    "Épeigné",
    "Francueil",
    "Genillé",
    "Luzé",
    "Orbigny",
    "Pontlevoy",
    "Thézée",
    "Véretz",
    "Mézières",
    "Écueillé",
    "Céré",
    "Noizay",
    "Chambourg",
    "La Croix",
    "Les Aubuis",
    "Bourgueil",
    "Marçay",
]
NAME_SUFFIXES = [
    "",
    "-des-Prés",
    "-la-Forêt",
    "-sur-Cher",
    "-sur-Indre",
    "-les-Vignes",
    "-en-Touraine",
    "-le-Château",
    "-la-Rivière",
    "-du-Bois",
    "-aux-Chênes",
    "-l'Étang",
    "-de-Bellevue",
    "-sous-Bois",
]
ZAE_TYPES = ["ZA", "ZA", "ZAC", "ZI", "Parc d'activités"]
ZAE_PLACES = [
    "des Grands Champs",
    "du Moulin",
    "de la Gare",
    "des Varennes",
    "de la Croix Blanche",
    "du Bois Gâtineau",
    "des Épinettes",
    "de la Vallée",
    "du Clos Fleuri",
    "des Perrières",
    "de Bel Air",
    "des Hauts de Cher",
    "de la Châtaigneraie",
    "du Pré Neuf",
    "des Noues",
    "de l'Aubrière",
    "des Gâtines",
    "de la Bergerie",
    "du Chêne Vert",
    "des Tuileries",
    "de la Fontaine",
    "du Grand Pré",
    "des Landes",
    "de la Plaine",
    "des Rochettes",
    "du Petit Bois",
    "de Beauregard",
    "des Sablons",
]


@dataclass(frozen=True)
class Species:
    """A tree species with its growth and planting habits."""

    espece: str
    nom_vernaculaire: str
    hmax: float  # typical mature height (m)
    urban_weight: float
    rural_weight: float


SPECIES = [
    Species("Platanus x acerifolia", "Platane commun", 30.0, 0.22, 0.04),
    Species("Tilia cordata", "Tilleul à petites feuilles", 22.0, 0.20, 0.08),
    Species("Quercus robur", "Chêne pédonculé", 28.0, 0.05, 0.22),
    Species("Acer platanoides", "Érable plane", 20.0, 0.14, 0.07),
    Species("Aesculus hippocastanum", "Marronnier d'Inde", 25.0, 0.12, 0.05),
    Species("Fagus sylvatica", "Hêtre commun", 30.0, 0.03, 0.10),
    Species("Carpinus betulus", "Charme commun", 18.0, 0.08, 0.14),
    Species("Betula pendula", "Bouleau verruqueux", 20.0, 0.07, 0.10),
    Species("Prunus avium", "Merisier", 15.0, 0.05, 0.12),
    Species("Pinus nigra", "Pin noir", 25.0, 0.04, 0.08),
]


@dataclass
class Commune:
    """A commune: seed point, identifiers and MultiPolygon geometry."""

    seed: Point
    nom: str
    insee: str
    population: int
    geom: ogr.Geometry


@dataclass
class Zae:
    """An economic activity zone."""

    nom: str
    code_insee: str
    taux_artificialisation: float
    geom: ogr.Geometry


# --------------------------------------------------------------------------
# Generic helpers
# --------------------------------------------------------------------------


def lambert93() -> osr.SpatialReference:
    """Return the Lambert-93 spatial reference with x/y axis order."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def make_polygon(rings: list[list[Point]]) -> ogr.Geometry:
    """Build an OGR polygon from closed or open rings of (x, y) tuples."""
    poly = ogr.Geometry(ogr.wkbPolygon)
    for coords in rings:
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for x, y in coords:
            ring.AddPoint_2D(x, y)
        ring.CloseRings()
        poly.AddGeometry(ring)
    return poly


def make_point(x: float, y: float) -> ogr.Geometry:
    """Build an OGR 2D point."""
    pt = ogr.Geometry(ogr.wkbPoint)
    pt.AddPoint_2D(x, y)
    return pt


def box_polygon() -> ogr.Geometry:
    """Return the region's bounding box as a polygon."""
    return make_polygon([[(XMIN, YMIN), (XMAX, YMIN), (XMAX, YMAX), (XMIN, YMAX)]])


def remove_path(path: Path) -> None:
    """Delete an output file (and SQLite side files) if present."""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.aux.xml")):
        p.unlink(missing_ok=True)


# --------------------------------------------------------------------------
# Communes
# --------------------------------------------------------------------------


def commune_seeds(rng: np.random.Generator) -> list[Point]:
    """Jittered-grid seed points, the one nearest CITY_TARGET placed first."""
    dx = (XMAX - XMIN) / GRID_COLS
    dy = (YMAX - YMIN) / GRID_ROWS
    seeds = []
    for row in range(GRID_ROWS):
        for col in range(GRID_COLS):
            jx, jy = rng.uniform(-0.32, 0.32, size=2)
            seeds.append((XMIN + (col + 0.5 + jx) * dx, YMIN + (row + 0.5 + jy) * dy))
    city = min(seeds, key=lambda p: math.dist(p, CITY_TARGET))
    seeds.remove(city)
    return [city, *seeds]


def clip_half_plane(poly: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Keep the part of convex polygon ``poly`` closer to ``p`` than to ``q``."""
    normal = q - p
    side = (poly - (p + q) / 2.0) @ normal  # <= 0: on p's side
    out = []
    n = len(poly)
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        sa, sb = side[i], side[(i + 1) % n]
        if sa <= 0:
            out.append(a)
        if (sa < 0 < sb) or (sb < 0 < sa):
            out.append(a + (b - a) * (sa / (sa - sb)))
    return np.array(out)


def voronoi_cells(seeds: list[Point]) -> list[list[Point]]:
    """Voronoi cells of ``seeds`` clipped to the box, vertices rounded to cm."""
    pts = np.array(seeds)
    box = np.array([(XMIN, YMIN), (XMAX, YMIN), (XMAX, YMAX), (XMIN, YMAX)])
    cells = []
    for i, p in enumerate(pts):
        cell = box
        for j, q in enumerate(pts):
            if i != j:
                cell = clip_half_plane(cell, p, q)
        ring: list[Point] = []
        for x, y in np.round(cell, CM):
            if not ring or (float(x), float(y)) != ring[-1]:
                ring.append((float(x), float(y)))
        if ring[0] == ring[-1]:
            ring.pop()
        cells.append(ring)
    return cells


def on_box_edge(a: Point, b: Point) -> bool:
    """True if segment a-b lies along the bounding box."""
    return (a[0] == b[0] and a[0] in (XMIN, XMAX)) or (a[1] == b[1] and a[1] in (YMIN, YMAX))


def wiggle(a: Point, b: Point, amplitude: float, cache: dict) -> list[Point]:
    """Intermediate points of a natural-looking border between a and b.

    The border depends only on the unordered pair {a, b}, so the two communes
    sharing it get exactly the same vertices (in reverse order).
    """
    key = (min(a, b), max(a, b))
    if key not in cache:
        (x0, y0), (x1, y1) = key
        length = math.hypot(x1 - x0, y1 - y0)
        n = max(int(length // 400), 2)
        t = np.linspace(0.0, 1.0, n + 1)[1:-1]
        seed = int(abs(x0 * 3 + y0 * 5 + x1 * 7 + y1 * 11)) % (2**32)
        erng = np.random.default_rng(seed)
        phases = erng.uniform(0, 2 * math.pi, 3)
        shape = sum(np.sin(k * math.pi * t + ph) / k for k, ph in zip((1, 2, 3), phases, strict=True))
        offset = amplitude * length * np.sin(math.pi * t) * shape
        nx, ny = -(y1 - y0) / length, (x1 - x0) / length
        xs = np.round(x0 + (x1 - x0) * t + nx * offset, CM)
        ys = np.round(y0 + (y1 - y0) * t + ny * offset, CM)
        cache[key] = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    inner = cache[key]
    return inner if a == key[0] else inner[::-1]


def wiggled_polygons(cells: list[list[Point]], amplitude: float) -> list[ogr.Geometry]:
    """Turn Voronoi cells into polygons with shared wiggled inner borders."""
    cache: dict = {}
    polys = []
    for ring in cells:
        coords: list[Point] = []
        for i, a in enumerate(ring):
            b = ring[(i + 1) % len(ring)]
            coords.append(a)
            if not on_box_edge(a, b):
                coords.extend(wiggle(a, b, amplitude, cache))
        polys.append(make_polygon([coords]))
    return polys


def tiling_is_clean(polys: list[ogr.Geometry]) -> bool:
    """Check validity and that the polygons exactly tile the box."""
    if not all(p.IsValid() for p in polys):
        return False
    total = sum(p.GetArea() for p in polys)
    return abs(total - box_polygon().GetArea()) < 1.0


def commune_polygons(seeds: list[Point]) -> list[ogr.Geometry]:
    """Commune polygons tiling the box; fall back to straighter borders if needed."""
    cells = voronoi_cells(seeds)
    for amplitude in (0.05, 0.03, 0.015, 0.0):
        polys = wiggled_polygons(cells, amplitude)
        if tiling_is_clean(polys):
            return polys
    raise RuntimeError("could not build a clean commune tiling")


def commune_names(rng: np.random.Generator, n: int) -> list[str]:
    """Unique invented French commune names, each base used at most twice."""
    combos = [b + s for b in NAME_BASES for s in NAME_SUFFIXES]
    names: list[str] = []
    base_use: dict[str, int] = {}
    for idx in rng.permutation(len(combos)):
        name = combos[idx]
        base = NAME_BASES[idx // len(NAME_SUFFIXES)]
        if base_use.get(base, 0) < 2 and name not in names:
            names.append(name)
            base_use[base] = base_use.get(base, 0) + 1
        if len(names) == n:
            return names
    raise RuntimeError("not enough name combinations")


def insee_codes(rng: np.random.Generator, seeds: list[Point]) -> list[str]:
    """Unique INSEE codes: 37261 first, then 37xxx west / 18xxx east."""
    numbers = [int(v) for v in rng.choice(np.arange(1, 400), size=len(seeds), replace=False)]
    numbers = [v for v in numbers if v != 261][: len(seeds) - 1]
    mid = (XMIN + XMAX) / 2
    codes = [CITY_INSEE]
    for (x, _), num in zip(seeds[1:], numbers, strict=True):
        codes.append(f"{'37' if x < mid else '18'}{num:03d}")
    return codes


def populations(rng: np.random.Generator, seeds: list[Point]) -> list[int]:
    """Population: a main town, then villages shrinking away from it."""
    pops = [CITY_POPULATION]
    for seed in seeds[1:]:
        km = math.dist(seed, seeds[0]) / 1000.0
        base = rng.lognormal(math.log(1800), 0.8) * (1.0 + 4.0 * math.exp(-km / 12.0))
        pops.append(int(min(max(base, 90), 28_000)))
    return pops


def build_communes(rng: np.random.Generator) -> list[Commune]:
    """Generate all communes."""
    seeds = commune_seeds(rng)
    polys = commune_polygons(seeds)
    names = commune_names(rng, len(seeds))
    codes = insee_codes(rng, seeds)
    pops = populations(rng, seeds)
    return [
        Commune(seed, nom, code, pop, ogr.ForceToMultiPolygon(poly))
        for seed, nom, code, pop, poly in zip(seeds, names, codes, pops, polys, strict=True)
    ]


def find_commune(communes: list[Commune], x: float, y: float) -> Commune | None:
    """Return the commune containing (x, y), if any."""
    pt = make_point(x, y)
    for c in communes:
        xmin, xmax, ymin, ymax = c.geom.GetEnvelope()
        if xmin <= x <= xmax and ymin <= y <= ymax and c.geom.Contains(pt):
            return c
    return None


# --------------------------------------------------------------------------
# Activity zones
# --------------------------------------------------------------------------


def zone_geometry(rng: np.random.Generator, cx: float, cy: float) -> ogr.Geometry:
    """A rotated, slightly irregular block, sometimes split in two by a road."""
    area = float(np.clip(rng.lognormal(math.log(25e4), 0.7), 4e4, 1.6e6))  # m2
    aspect = rng.uniform(1.0, 2.5)
    w, h = math.sqrt(area * aspect), math.sqrt(area / aspect)
    jitter = min(0.05 * min(w, h), 15.0)
    parts = [[(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]]
    if rng.random() < 0.25:
        gap, w2, h2 = 40.0, w * rng.uniform(0.3, 0.6), h * rng.uniform(0.5, 1.0)
        x0 = w / 2 + gap
        parts.append([(x0, -h / 2), (x0 + w2, -h / 2), (x0 + w2, -h / 2 + h2), (x0, -h / 2 + h2)])
    angle = rng.uniform(0, math.pi)
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    multi = ogr.Geometry(ogr.wkbMultiPolygon)
    for part in parts:
        coords = []
        for x, y in part:
            x += rng.uniform(-jitter, jitter)
            y += rng.uniform(-jitter, jitter)
            coords.append((round(cx + x * cos_a - y * sin_a, CM), round(cy + x * sin_a + y * cos_a, CM)))
        multi.AddGeometry(make_polygon([coords]))
    return multi


def zone_name(rng: np.random.Generator, used: set[str]) -> str:
    """A unique zone name such as 'ZA des Grands Champs'."""
    places = [p for p in ZAE_PLACES if p not in used]
    place = places[int(rng.integers(len(places)))]
    used.add(place)
    return f"{ZAE_TYPES[int(rng.integers(len(ZAE_TYPES)))]} {place}"


def build_zae(rng: np.random.Generator, communes: list[Commune]) -> list[Zae]:
    """Place non-overlapping activity zones, each fully inside one commune."""
    weights = np.array([c.population**0.6 for c in communes], dtype=float)
    weights /= weights.sum()
    zones: list[Zae] = []
    used: set[str] = set()
    while len(zones) < N_ZAE:
        commune = communes[int(rng.choice(len(communes), p=weights))]
        spread = 3500.0 if commune is communes[0] else 1500.0
        cx, cy = np.array(commune.seed) + rng.normal(0, spread, 2)
        geom = zone_geometry(rng, float(cx), float(cy))
        if not (geom.IsValid() and commune.geom.Contains(geom)):
            continue
        if any(z.geom.Distance(geom) < 100.0 for z in zones):
            continue
        taux = round(float(rng.beta(5, 2)) * 100, 1)
        zones.append(Zae(zone_name(rng, used), commune.insee, taux, geom))
    return zones


# --------------------------------------------------------------------------
# Trees
# --------------------------------------------------------------------------


def tree_locations(rng: np.random.Generator, communes: list[Commune]) -> list[tuple[float, float, Commune]]:
    """Tree positions: dense in the main town, clustered in village centres."""
    weights = np.array([math.sqrt(c.population) for c in communes])
    weights[0] *= 3.0
    weights /= weights.sum()
    trees: list[tuple[float, float, Commune]] = []
    while len(trees) < N_TREES:
        idx = int(rng.choice(len(communes), p=weights))
        spread = 2500.0 if idx == 0 else 900.0
        x, y = np.array(communes[idx].seed) + rng.normal(0, spread, 2)
        x, y = round(float(x), CM), round(float(y), CM)
        commune = find_commune(communes, x, y)
        if commune is not None:
            trees.append((x, y, commune))
    return trees


def tree_attributes(rng: np.random.Generator, urban: bool) -> dict[str, object]:
    """Species, height, planting date and 'remarquable' flag for one tree."""
    weights = np.array([s.urban_weight if urban else s.rural_weight for s in SPECIES])
    species = SPECIES[int(rng.choice(len(SPECIES), p=weights / weights.sum()))]
    age = int(np.clip(rng.gamma(2.0, 18.0), 2, 140))
    year = 2023 - age
    height = species.hmax * (1 - math.exp(-age / 30.0)) * rng.normal(1.0, 0.12)
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    remarquable = age >= 100 and rng.random() < 0.6
    return {
        "espece": species.espece,
        "nom_vernaculaire": species.nom_vernaculaire,
        "hauteur_m": round(max(height, 1.5), 1),
        "date_plantation": f"{year:04d}-{month:02d}-{day:02d}",
        "remarquable": int(remarquable),
    }


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------


def field(name: str, ftype: int, width: int = 0, subtype: int = ogr.OFSTNone) -> ogr.FieldDefn:
    """Build an OGR field definition."""
    defn = ogr.FieldDefn(name, ftype)
    if width:
        defn.SetWidth(width)
    defn.SetSubType(subtype)
    return defn


def write_layer(
    path: Path,
    name: str,
    geom_type: int,
    fields: list[ogr.FieldDefn],
    rows: list[tuple[ogr.Geometry, dict[str, object]]],
    description: str,
) -> int:
    """Write ``rows`` (geometry, attributes) to a fresh single-layer GeoPackage."""
    remove_path(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer(name, lambert93(), geom_type, options=[f"DESCRIPTION={description}", "FID=fid"])
    for defn in fields:
        layer.CreateField(defn)
    layer_defn = layer.GetLayerDefn()
    ds.StartTransaction()
    for geom, attrs in rows:
        feat = ogr.Feature(layer_defn)
        for key, value in attrs.items():
            feat.SetField(key, value)
        feat.SetGeometry(geom)
        layer.CreateFeature(feat)
    ds.CommitTransaction()
    count = layer.GetFeatureCount()
    ds = None
    return count


def write_communes(out: Path, communes: list[Commune]) -> str:
    """Write communes.gpkg and return a summary line."""
    fields = [
        field("nom", ogr.OFTString),
        field("insee", ogr.OFTString, 5),
        field("population", ogr.OFTInteger),
    ]
    rows = [(c.geom, {"nom": c.nom, "insee": c.insee, "population": c.population}) for c in communes]
    n = write_layer(
        out / "communes.gpkg",
        "communes",
        ogr.wkbMultiPolygon,
        fields,
        rows,
        "Communes fictives de la région de démonstration",
    )
    return f"communes.gpkg: layer communes, {n} features"


def write_arbres(out: Path, rng: np.random.Generator, communes: list[Commune]) -> str:
    """Write arbres.gpkg and return a summary line."""
    fields = [
        field("id_arbre", ogr.OFTString),
        field("espece", ogr.OFTString),
        field("nom_vernaculaire", ogr.OFTString),
        field("hauteur_m", ogr.OFTReal),
        field("date_plantation", ogr.OFTDate),
        field("remarquable", ogr.OFTInteger, subtype=ogr.OFSTBoolean),
        field("code_insee", ogr.OFTString, 5),
    ]
    rows = []
    for i, (x, y, commune) in enumerate(tree_locations(rng, communes), start=1):
        attrs = {"id_arbre": f"ARB-{i:06d}", **tree_attributes(rng, commune is communes[0])}
        attrs["code_insee"] = commune.insee
        rows.append((make_point(x, y), attrs))
    n = write_layer(out / "arbres.gpkg", "arbres", ogr.wkbPoint, fields, rows, "Arbres fictifs (schéma arbre)")
    return f"arbres.gpkg: layer arbres, {n} features"


def write_zae(out: Path, zones: list[Zae]) -> str:
    """Write zae.gpkg and return a summary line."""
    fields = [
        field("nom", ogr.OFTString),
        field("code_insee", ogr.OFTString, 5),
        field("surface_ha", ogr.OFTReal),
        field("taux_artificialisation", ogr.OFTReal),
    ]
    rows = [
        (
            z.geom,
            {
                "nom": z.nom,
                "code_insee": z.code_insee,
                "surface_ha": round(z.geom.GetArea() / 10_000.0, 2),
                "taux_artificialisation": z.taux_artificialisation,
            },
        )
        for z in zones
    ]
    n = write_layer(
        out / "zae.gpkg", "zae", ogr.wkbMultiPolygon, fields, rows, "Zones d'activités économiques fictives"
    )
    return f"zae.gpkg: layer zae, {n} features"


# --------------------------------------------------------------------------
# Land-surface temperature raster
# --------------------------------------------------------------------------


def gaussian(xx: np.ndarray, yy: np.ndarray, cx: float, cy: float, sigma: float) -> np.ndarray:
    """Isotropic Gaussian bump of height 1 centred on (cx, cy)."""
    return np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2.0 * sigma**2))


def temperature_field(rng: np.random.Generator, communes: list[Commune], zones: list[Zae]) -> np.ndarray:
    """Smooth summer land-surface temperature (deg C) on the 100 m grid."""
    nx, ny = int((XMAX - XMIN) / PIXEL), int((YMAX - YMIN) / PIXEL)
    xs = XMIN + PIXEL * (np.arange(nx) + 0.5)
    ys = YMAX - PIXEL * (np.arange(ny) + 0.5)
    xx, yy = np.meshgrid(xs, ys)
    temp = 22.0 + 2.5 * (YMAX - yy) / (YMAX - YMIN) + 1.0 * (xx - XMIN) / (XMAX - XMIN)
    city = communes[0].seed
    temp += 7.0 * gaussian(xx, yy, *city, 3500.0)
    for c in sorted(communes[1:], key=lambda c: -c.population)[:8]:
        amplitude = 1.0 + 2.0 * min(c.population / 15_000, 1.0)
        temp += amplitude * gaussian(xx, yy, *c.seed, 1200.0)
    for z in zones:
        cx, cy = z.geom.Centroid().GetX(), z.geom.Centroid().GetY()
        temp += 3.0 * z.taux_artificialisation / 100.0 * gaussian(xx, yy, cx, cy, 400.0)
    river_y = 6_699_000.0 + 3_000.0 * np.sin(2 * math.pi * xx / 27_000.0 + 0.7)
    temp -= 3.0 * np.exp(-((yy - river_y) ** 2) / (2.0 * 700.0**2))
    for _ in range(6):
        kx, ky = rng.uniform(-1, 1, 2) * 2 * math.pi / 15_000.0
        temp += 0.35 * np.sin(kx * xx + ky * yy + rng.uniform(0, 2 * math.pi))
    temp = np.clip(temp, 17.5, 33.0)
    cloud = ((xx - 651_000.0) / 2_200.0) ** 2 + ((yy - 6_719_000.0) / 1_400.0) ** 2 <= 1.0
    temp[cloud] = NODATA
    return temp.astype(np.float32)


def write_temperature(out: Path, data: np.ndarray) -> str:
    """Write the temperature GeoTIFF and return a summary line."""
    path = out / "temperature_surface.tif"
    remove_path(path)
    ny, nx = data.shape
    ds = gdal.GetDriverByName("GTiff").Create(
        str(path),
        nx,
        ny,
        1,
        gdal.GDT_Float32,
        options=["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=3"],
    )
    ds.SetGeoTransform((XMIN, PIXEL, 0.0, YMAX, 0.0, -PIXEL))
    ds.SetProjection(lambert93().ExportToWkt())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(NODATA)
    band.SetDescription("temperature_surface")
    band.SetUnitType("°C")
    band.WriteArray(data)
    ds = None
    size_kb = path.stat().st_size / 1024
    return f"temperature_surface.tif: {nx}x{ny} px at {PIXEL:g} m, Float32, {size_kb:.0f} KiB"


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def generate(out: Path) -> None:
    """Generate every output into ``out`` and print one line per file."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    communes = build_communes(rng)
    zones = build_zae(rng, communes)
    print(write_communes(out, communes))
    print(write_arbres(out, rng, communes))
    print(write_zae(out, zones))
    print(write_temperature(out, temperature_field(rng, communes, zones)))


def main() -> None:
    """Parse arguments and run the generator."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", type=Path, help="directory to write the demo files into")
    args = parser.parse_args()
    generate(args.output_dir)


if __name__ == "__main__":
    main()
