"""MapProxy, the engine behind WMTS and TMS: the only module that knows it.

Each dataset gets a MapProxy configuration generated from the catalogue (`config_text()`, printed by
`manage.py mapproxy_config`): one layer (`dataset.layer_name`), one cache on two tile grids, drawn by MapServer
(CGI `mapserv`) on the dataset's mapfile. A caller restricted to territories gets the configuration of the
territory variant of the mapfile, with a cache of its own: tiles are shared only by callers who see the same
thing.

Cache layout: `DATA_DIR/tiles/dataset_<id>/<variant>_<signature>/tiles/<grid>/` (one directory per grid, which
MapProxy needs). The signature hashes the data version, the mapfile's modification time and the dataset's
invalidation stamp, so a new data version, style or mapfile is served from a new, empty cache at once, in every
process, and stale tiles are never read again; old caches are removed in the background.

Grids:
- `GoogleMapsCompatible`: EPSG:3857, MapProxy's GLOBAL_WEBMERCATOR (OGC WMTS well-known scale set).
- `LAMB93`: EPSG:2154, the IGN Géoplateforme's `LAMB93` tile matrix set (data.geopf.fr/wmts): top-left corner
  (0, 12 000 000), 256-pixel tiles, 22 levels whose scale denominators are IGN's published ones (resolution =
  scale × 0.28 mm, 104 579.22 m at level 0 down to 0.0498 m at level 21, as ROK4's `LAMB93_10cm`).
"""

import hashlib
import io
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings

from catalogue.models import Dataset
from wxs import mapserver

WEB_MERCATOR = "GoogleMapsCompatible"
LAMBERT93 = "LAMB93"
GRIDS = (WEB_MERCATOR, LAMBERT93)
CACHE_NAME = "tiles"
# IGN's LAMB93 tile matrix set: the scale denominators of levels 0-21, as published in its WMTS capabilities.
LAMB93_SCALES = (
    373497230.5353357571875677, 186705472.6921089404495433, 93341025.2806978682347108, 46667469.2207142901243060,
    23332959.3004053602435306, 11666284.0159382160591122, 5833092.8735621436167094, 2916534.1249500003143567,
    1458263.9809885714915936, 729131.2196817857459905, 364565.4170828571558332, 182282.6603450000154965,
    91141.3181225000130965, 45570.6560485714301016, 22785.3272714285733418, 11392.6634475000012445,
    5696.3316767857149872, 2848.1658267857144691, 1424.0829103571428959, 712.0414546428572171,
    356.0207275000000519, 178.0103635714285826,
)  # fmt: skip
LAMB93_ORIGIN = (0.0, 12_000_000.0)  # top-left corner of every level
LAMB93_BBOX = [0.0, 6_000_000.0, 1_300_000.0, 12_000_000.0]  # metropolitan France and Corsica, below the origin
PIXEL_SIZE_M = 0.00028  # the OGC "standardized rendering pixel" that turns a scale into a resolution
# Public URLs in MapProxy's answers start with this; the view swaps it for the URL the client used.
INTERNAL_HOST = "gp-tiles.invalid"


def lamb93_resolutions() -> list[float]:
    return [scale * PIXEL_SIZE_M for scale in LAMB93_SCALES]


# --- Paths and signatures -----------------------------------------------------------------------------------------


def tiles_root() -> Path:
    return Path(settings.DATA_DIR) / "tiles"


def dataset_dir(dataset: Dataset) -> Path:
    return tiles_root() / f"dataset_{dataset.pk}"


def _stamp(dataset: Dataset) -> Path:
    return tiles_root() / f"dataset_{dataset.pk}.stamp"


def variant_name(territory_ids: tuple[int, ...]) -> str:
    """`all`, or the territories a restricted caller's tiles are drawn within."""
    if not territory_ids:
        return "all"
    ids = "_".join(str(int(i)) for i in sorted(territory_ids))
    return "t" + (ids if len(ids) <= 60 else hashlib.sha256(ids.encode()).hexdigest()[:24])


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


@dataclass(frozen=True)
class Cache:
    """One dataset variant's MapProxy configuration and tile cache."""

    dataset_id: int
    variant: str
    signature: str
    mapfile: Path

    @property
    def directory(self) -> Path:
        return tiles_root() / f"dataset_{self.dataset_id}" / f"{self.variant}_{self.signature}"

    @property
    def config_path(self) -> Path:
        return self.directory / "mapproxy.yaml"

    def grid_directory(self, grid: str) -> Path:
        return self.directory / CACHE_NAME / grid


def cache_for(dataset: Dataset, territory_ids: tuple[int, ...] = ()) -> Cache:
    """The cache that serves `dataset` to a caller limited to `territory_ids` (none: everything); two stats."""
    mapfile = mapserver.mapfile_for(dataset, territory_ids)
    key = f"{dataset.version}:{_mtime_ns(mapfile)}:{_mtime_ns(_stamp(dataset))}"
    signature = hashlib.sha1(key.encode()).hexdigest()[:12]
    return Cache(dataset.pk, variant_name(territory_ids), signature, mapfile)


# --- Configuration ------------------------------------------------------------------------------------------------


def config(dataset: Dataset, cache: Cache) -> dict:
    """The MapProxy configuration of one dataset variant, as data."""
    xmin, ymin, xmax, ymax = dataset.bbox or [-180, -90, 180, 90]
    return {
        "globals": {
            "cache": {
                "base_dir": str(cache.directory),
                "lock_dir": str(cache.directory / "locks"),
                "tile_lock_dir": str(cache.directory / "tile_locks"),
            },
            "mapserver": {"binary": str(settings.MAPSERVER_BIN), "working_dir": str(Path(settings.MAPFILE_DIR))},
            "image": {"resampling_method": "bilinear"},
        },
        "services": {
            "wmts": {
                "restful": True,
                "kvp": True,
                "restful_template": "/1.0.0/{Layer}/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.{Format}",
                "md": {
                    "title": dataset.title,
                    "abstract": dataset.abstract or dataset.title,
                    "fees": "none",
                    "access_constraints": "none" if dataset.public else "Accès restreint",
                },
            },
            "tms": {"use_grid_names": True, "origin": "sw"},  # the TMS convention: rows from the south
        },
        "layers": [{"name": dataset.layer_name, "title": dataset.title, "sources": [CACHE_NAME]}],
        "caches": {
            CACHE_NAME: {
                "grids": list(GRIDS),
                "sources": ["mapserver"],
                "format": "image/png",
                "request_format": "image/png",
                "meta_size": [4, 4],
                "meta_buffer": 32,
                "cache": {"type": "file", "directory_layout": "tc", "use_grid_names": True},
            }
        },
        "sources": {
            "mapserver": {
                "type": "mapserver",
                "req": {"layers": dataset.layer_name, "map": str(cache.mapfile.resolve()), "transparent": True},
                "coverage": {"bbox": [xmin, ymin, xmax, ymax], "srs": f"EPSG:{dataset.srid or 4326}"},
            }
        },
        "grids": {
            WEB_MERCATOR: {"base": "GLOBAL_WEBMERCATOR"},
            LAMBERT93: {
                "srs": "EPSG:2154",
                "bbox": LAMB93_BBOX,
                "bbox_srs": "EPSG:2154",
                "origin": "ul",
                "tile_size": [256, 256],
                "res": lamb93_resolutions(),
            },
        },
    }


def config_text(dataset: Dataset, cache: Cache) -> str:
    header = f"# MapProxy configuration generated from the catalogue for dataset {dataset.pk}; do not edit.\n"
    return header + yaml.safe_dump(config(dataset, cache), sort_keys=False, allow_unicode=True)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}_{threading.get_ident()}")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def write_config(dataset: Dataset, cache: Cache) -> Path:
    _write_atomically(cache.config_path, config_text(dataset, cache))
    return cache.config_path


# --- Serving ------------------------------------------------------------------------------------------------------


class _Apps:
    """One MapProxy WSGI app per dataset variant and process, rebuilt when its signature changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.apps: dict[tuple[int, str], tuple[str, object]] = {}

    def get(self, dataset: Dataset, cache: Cache):
        key = (cache.dataset_id, cache.variant)
        known = self.apps.get(key)
        if known is not None and known[0] == cache.signature:
            return known[1]
        with self.lock:
            known = self.apps.get(key)
            if known is not None and known[0] == cache.signature:
                return known[1]
            from mapproxy.wsgiapp import make_wsgi_app

            # mapserv (run by MapProxy with this process's environment) refuses to start without its config file.
            os.environ["MAPSERVER_CONFIG_FILE"] = str(mapserver.ensure_config().resolve())
            path = cache.config_path if cache.config_path.exists() else write_config(dataset, cache)
            app = make_wsgi_app(str(path), ignore_config_warnings=True)
            self.apps[key] = (cache.signature, app)
            _remove_stale(cache)
            return app

    def forget(self, dataset_id: int) -> None:
        with self.lock:
            for key in [k for k in self.apps if k[0] == dataset_id]:
                del self.apps[key]


_apps = _Apps()


@dataclass
class TileResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "application/octet-stream")


# Request headers handed to MapProxy: conditional requests only (never cookies, credentials or forwarding headers).
FORWARDED_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")


def serve(
    dataset: Dataset,
    cache: Cache,
    path_info: str,
    query_string: str = "",
    headers: dict[str, str] | None = None,
) -> TileResponse:
    """Answer one WMTS/TMS request with MapProxy. `path_info` is MapProxy's own (`/wmts/…`, `/tms/…`,
    `/service`); links in the answer start with `http://gp-tiles.invalid` (see `public_urls`)."""
    app = _apps.get(dataset, cache)
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path_info,
        "QUERY_STRING": query_string,
        "SERVER_NAME": INTERNAL_HOST,
        "SERVER_PORT": "80",
        "HTTP_HOST": INTERNAL_HOST,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name in FORWARDED_HEADERS:
        if headers and name in headers:
            environ[name] = headers[name]
    answer: dict = {}

    def start_response(status: str, response_headers: list, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = {name.title(): value for name, value in response_headers}

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return TileResponse(answer["status"], answer["headers"], body)


def cached_tile(
    cache: Cache, grid: str, level: int, col: int, row: int, headers: dict[str, str] | None = None
) -> TileResponse | None:
    """A tile already in the cache, answered as MapProxy answers it (same bytes, ETag, Last-Modified, 304 on a
    conditional request), without running MapProxy; None if it is not cached (MapProxy renders it then).

    `row` counts from the top, as WMTS does: both our grids have their origin there, so it is MapProxy's own tile
    row, and `tile_location_tc` (MapProxy's `tc` layout) gives the file. The cache directory belongs to the
    caller's variant and signature, so a file found there is one MapProxy would serve to this caller now."""
    if grid not in GRIDS:
        return None
    from mapproxy.cache.path import tile_location_tc
    from mapproxy.cache.tile import Tile
    from mapproxy.util.times import format_httpdate, parse_httpdate

    location = tile_location_tc(Tile((col, row, level)), str(cache.grid_directory(grid)), "png")
    try:
        with open(location, "rb") as file:
            stats = os.fstat(file.fileno())
            body = file.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    # MapProxy's own validators (mapproxy.service.tile, Response.cache_headers): md5 of mtime and size.
    etag = hashlib.md5(f"{stats.st_mtime}{stats.st_size}".encode(), usedforsecurity=False).hexdigest()
    answer = {"Content-Type": "image/png", "Etag": etag, "Last-Modified": format_httpdate(stats.st_mtime)}
    headers = headers or {}
    since = parse_httpdate(headers.get("HTTP_IF_MODIFIED_SINCE")) if "HTTP_IF_MODIFIED_SINCE" in headers else None
    # Whole seconds, as Last-Modified says (MapProxy compares the fractional mtime: never 304 within a second).
    if headers.get("HTTP_IF_NONE_MATCH") == etag or (since is not None and int(stats.st_mtime) <= since):
        del answer["Content-Type"]
        return TileResponse(304, answer, b"")
    return TileResponse(200, answer, body)


def public_urls(body: bytes, dataset: Dataset, base_url: str, key: str | None = None) -> bytes:
    """MapProxy's internal links made public: `/wmts` and `/service` become our WMTS endpoint, `/tms` our TMS
    endpoint; a caller who came with `?key=` gets it back in the WMTS links, so that GIS clients keep sending it."""
    base = base_url.rstrip("/")
    internal = f"http://{INTERNAL_HOST}"
    wmts = f"{base}/wmts/dataset/{dataset.pk}"
    text = body.decode("utf-8")
    text = text.replace(f"{internal}/wmts", wmts).replace(f"{internal}/service", wmts)
    text = text.replace(f"{internal}/tms", f"{base}/tms/dataset/{dataset.pk}")
    if key:
        from urllib.parse import quote

        quoted = quote(key, safe="")
        text = text.replace(f'"{wmts}?"', f'"{wmts}?key={quoted}&amp;"')
        text = text.replace('.png"/>', f'.png?key={quoted}"/>').replace('.png"\n', f'.png?key={quoted}"\n')
    return text.encode("utf-8")


# --- Invalidation -------------------------------------------------------------------------------------------------


def _trash(path: Path) -> None:
    """Move `path` out of the way at once (a rename), delete it in the background."""
    if not path.exists():
        return
    trash = tiles_root() / ".trash" / f"{path.parent.name}-{path.name}-{time.time_ns()}"
    trash.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.rename(trash)
    except FileNotFoundError:
        return
    threading.Thread(target=shutil.rmtree, args=(trash,), kwargs={"ignore_errors": True}, daemon=True).start()


def _remove_stale(cache: Cache) -> None:
    """Caches of earlier signatures of the same variant are never read again."""
    folder = cache.directory.parent
    if not folder.exists():
        return
    for path in folder.glob(f"{cache.variant}_*"):
        if path != cache.directory and path.is_dir():
            _trash(path)


def invalidate(dataset: Dataset) -> None:
    """Forget the cached tiles of `dataset` (its data, style or rights changed).

    The new stamp changes every variant's signature, so every process serves from new caches from its next request
    on (even one whose own app is still loaded); the old tiles are removed."""
    root = tiles_root()
    root.mkdir(parents=True, exist_ok=True)
    _write_atomically(_stamp(dataset), str(time.time_ns()))
    _trash(dataset_dir(dataset))
    _apps.forget(dataset.pk)


# --- Seeding ------------------------------------------------------------------------------------------------------


def parse_levels(text: str) -> tuple[int, int]:
    """`0-12` or `5` -> (first, last)."""
    first, _sep, last = text.partition("-")
    return int(first), int(last or first)


def seed(
    dataset: Dataset,
    grids: Iterable[str] = GRIDS,
    levels: tuple[int, int] = (0, 12),
    progress: io.TextIOBase | None = None,
) -> Cache:
    """Fill the dataset's full cache (the one callers who see everything read) on the dataset's extent, with
    MapProxy's seeder (`mapproxy-seed`) in a process of its own: its workers are processes, which a Celery
    prefork child could not start itself."""
    cache = cache_for(dataset)
    _apps.get(dataset, cache)  # writes the configuration and clears caches of older signatures
    xmin, ymin, xmax, ymax = dataset.bbox or [-180, -90, 180, 90]
    seed_conf = {
        "coverages": {"dataset": {"bbox": [xmin, ymin, xmax, ymax], "srs": f"EPSG:{dataset.srid or 4326}"}},
        "seeds": {
            "dataset": {
                "caches": [CACHE_NAME],
                "grids": [grid for grid in GRIDS if grid in set(grids)],
                "coverages": ["dataset"],
                "levels": {"from": levels[0], "to": levels[1]},
            }
        },
    }
    seed_path = cache.directory / "seed.yaml"
    _write_atomically(seed_path, yaml.safe_dump(seed_conf, sort_keys=False))
    command = [
        str(Path(sys.executable).with_name("mapproxy-seed")),
        "-f", str(cache.config_path), "-s", str(seed_path), "--seed", "dataset", "-c", "1",
    ]  # fmt: skip
    env = dict(os.environ, MAPSERVER_CONFIG_FILE=str(mapserver.ensure_config().resolve()))
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            if progress is not None:
                progress.write(line)
    if process.returncode != 0:
        raise SeedingFailed(f"mapproxy-seed exited with {process.returncode}")
    return cache


class SeedingFailed(Exception):
    code = "seeding_failed"
