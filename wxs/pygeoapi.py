"""pygeoapi, the engine behind `/ogcapi/` (OGC API Records for the catalogue): the only module that knows it.

Its configuration is data: `build_config()` assembles it from our settings and the platform settings, validates it
against pygeoapi's own schema (an error names the key) and `manage.py pygeoapi_config` prints it as YAML. Each entry
of `collections()` becomes an OGC API collection; the catalogue is one, read by `CatalogueRecordProvider` from the
view `catalogue_ogcapi_record` (migration catalogue 0009), which only holds the records anonymous visitors may see.
One `API` object serves every request of the process.
"""

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pygeoapi
import pygeoapi.api as core_api
import pygeoapi.api.itemtypes as itemtypes_api
import yaml
from django.conf import settings
from django.http import HttpRequest
from pygeoapi.api import API, APIRequest, apply_gzip
from pygeoapi.config import validate_config
from pygeoapi.openapi import get_oas
from pygeoapi.provider.sql import PostgreSQLProvider
from sqlalchemy import and_, func

from catalogue.records import SEARCH_CONFIG

MOUNT = "/ogcapi"
CATALOGUE = "catalogue"
RECORDS_VIEW = "catalogue_ogcapi_record"
STATIC_ROOT = Path(pygeoapi.__file__).parent / "static"
# Base map of pygeoapi's HTML pages when the platform settings give no XYZ one.
DEFAULT_MAP = {
    "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "attribution": "&copy; OpenStreetMap contributors",
}
# The view's columns that become record properties, with their JSON schema (queryables); pygeoapi's guess from the
# column types knows neither uuid, arrays, jsonb nor dates.
RECORD_FIELDS = {
    "id": {"type": "string", "format": "uuid"},
    "title": {"type": "string"},
    "description": {"type": "string"},
    "type": {"type": "string"},
    "language": {"type": "string"},
    "keywords": {"type": "array", "items": {"type": "string"}},
    "themes": {"type": "array", "items": {"type": "object"}},
    "organisation": {"type": "string"},
    "license": {"type": "string"},
    "rights": {"type": "string"},
    "format": {"type": "string"},
    "temporal_start": {"type": "string", "format": "date"},
    "temporal_end": {"type": "string", "format": "date"},
    "created": {"type": "string", "format": "date-time"},
    "updated": {"type": "string", "format": "date-time"},
}


# The SQLAlchemy engines (connection pools) pygeoapi's SQL providers opened in this process.
_pools: set = set()


class CatalogueRecordProvider(PostgreSQLProvider):
    """pygeoapi's PostgreSQL provider on the records view, with `q=` answered by the catalogue's French full-text
    index (the stock provider ignores `q`)."""

    def __init__(self, provider_def: dict) -> None:
        super().__init__(provider_def)
        _pools.add(self._engine)  # pygeoapi caches one SQLAlchemy engine per database: `engine.reset()` closes it

    def get_fields(self) -> dict:
        if not self._fields:
            self._fields = {name: dict(schema) for name, schema in RECORD_FIELDS.items()}
        return self._fields

    def query(self, q: str | None = None, **kwargs) -> dict:
        self._text = (q or "").strip()  # pygeoapi builds one provider per request, so this is per request
        return super().query(**kwargs)

    def _get_property_filters(self, properties: list) -> object:
        filters = super()._get_property_filters(properties)
        if not getattr(self, "_text", ""):
            return filters
        matches = self.table_model.search_vector.op("@@")(func.websearch_to_tsquery(SEARCH_CONFIG, self._text))
        return and_(filters, matches)


def database() -> dict:
    """pygeoapi's connection: our database as the read-only role, granted the records view and nothing under it
    (read at call time, so tests get their own test database)."""
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"] or "localhost",
        "port": int(db["PORT"] or 5432),
        "dbname": db["NAME"],
        "user": settings.RENDER_DB_USER,
        "password": settings.RENDER_DB_PASSWORD,
        "search_path": ["public"],
    }


def catalogue_collection() -> dict:
    """The catalogue as an OGC API Records collection: public records only (the view filters on them)."""
    # Texts are given per language, as pygeoapi wants them, instead of through gettext: it picks one per request.
    return {
        "type": "collection",
        "title": {"fr": "Catalogue", "en": "Catalogue"},
        "description": {
            "fr": "Fiches de métadonnées publiques du catalogue (ISO 19115 / INSPIRE).",
            "en": "Public metadata records of the catalogue (ISO 19115 / INSPIRE).",
        },
        "keywords": {"fr": ["catalogue", "métadonnées", "INSPIRE"], "en": ["catalogue", "metadata", "INSPIRE"]},
        "links": [
            {
                "type": "text/html",
                "rel": "alternate",
                "title": "Recherche dans le catalogue",
                "href": f"{settings.SITE_URL}/donnees/",
                "hreflang": "fr",
            }
        ],
        "extents": {"spatial": {"bbox": [-180, -90, 180, 90], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "providers": [
            {
                "type": "record",
                "name": f"{CatalogueRecordProvider.__module__}.{CatalogueRecordProvider.__name__}",
                "data": database(),
                "table": RECORDS_VIEW,
                "id_field": "id",
                "geom_field": "geometry",
                "time_field": "updated",
                "title_field": "title",
                "properties": [name for name in RECORD_FIELDS if name != "id"],
            }
        ],
    }


def collections() -> dict[str, dict]:
    """Every collection pygeoapi serves, by identifier."""
    return {CATALOGUE: catalogue_collection()}


def _base_map(base_maps: list[dict]) -> dict:
    for base_map in base_maps:
        if base_map.get("type") == "xyz":
            return {"url": base_map["url"], "attribution": base_map.get("name", "")}
    return DEFAULT_MAP


def build_config() -> dict:
    """pygeoapi's configuration for this platform, validated (jsonschema's error names the faulty key)."""
    from geoplatform.models import PlatformSettings

    platform = PlatformSettings.load()
    name = platform.name or settings.PLATFORM_NAME
    contact = {"name": name, "email": platform.contact_email} if platform.contact_email else {"name": name}
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": 8000},  # unused: pygeoapi runs inside Django
            "url": settings.SITE_URL + MOUNT,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "gzip": False,
            "languages": ["fr-FR", "en-US"],
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": 500},
            "map": _base_map(platform.base_maps or []),
        },
        "logging": {"level": "ERROR"},  # pygeoapi 0.21 warns on every items request that has no offset
        "metadata": {
            "identification": {
                "title": {"fr": name, "en": name},
                "description": {
                    "fr": platform.tagline or "API OGC de la plateforme de données géographiques.",
                    "en": platform.tagline or "OGC API of the geodata platform.",
                },
                "keywords": {"fr": ["géodonnées", "catalogue", "INSPIRE"], "en": ["geodata", "catalogue", "INSPIRE"]},
                "keywords_type": "theme",
                "terms_of_service": f"{settings.SITE_URL}/conditions-utilisation/",
                "url": settings.SITE_URL + "/",
            },
            "license": {
                "name": "Licence Ouverte 2.0",
                "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
            },
            "provider": {"name": name, "url": settings.SITE_URL + "/"},
            "contact": contact,
        },
        "resources": collections(),
    }
    validate_config(config)
    return config


def config_text() -> str:
    """The configuration as pygeoapi's YAML, database passwords hidden, for operators to read and diff."""
    config = build_config()
    for resource in config["resources"].values():
        for provider in resource.get("providers", []):
            if isinstance(provider.get("data"), dict) and "password" in provider["data"]:
                provider["data"]["password"] = "********"
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


class _Engine:
    """The process's pygeoapi API object, built on first use (the test database exists only by then)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.api: API | None = None

    def get(self) -> API:
        with self.lock:
            if self.api is None:
                config = build_config()
                # pygeoapi's own logging set-up does nothing once Django configured logging: apply its level here.
                logging.getLogger("pygeoapi").setLevel(config["logging"]["level"])
                self.api = API(config, get_oas(config, fail_on_invalid_collection=False))
            return self.api

    def reset(self) -> None:
        """Forget the API object and close pygeoapi's database connections (a test database is dropped after)."""
        with self.lock:
            self.api = None
            for pool in _pools:
                pool.dispose()


engine = _Engine()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes | str


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern
    function: Callable


# pygeoapi's read-only endpoints (paths below /ogcapi/), as its own Flask app routes them. Every one checks `f=`
# against json, html and jsonld: pygeoapi 0.21 answers f=csv on a record collection with an error.
ROUTES = [
    _Route(re.compile(r""), core_api.landing_page),
    _Route(re.compile(r"openapi"), core_api.openapi_),
    _Route(re.compile(r"conformance"), core_api.conformance),
    _Route(re.compile(r"collections"), core_api.describe_collections),
    _Route(re.compile(r"collections/(?P<collection>[\w-]+)"), core_api.describe_collections),
    _Route(re.compile(r"collections/(?P<collection>[\w-]+)/schema"), core_api.get_collection_schema),
    _Route(re.compile(r"collections/(?P<collection>[\w-]+)/queryables"), itemtypes_api.get_collection_queryables),
    _Route(re.compile(r"collections/(?P<collection>[\w-]+)/items"), itemtypes_api.get_collection_items),
    _Route(re.compile(r"collections/(?P<collection>[\w-]+)/items/(?P<item>[^/]+)"), itemtypes_api.get_collection_item),
]


def _known_item(collection: str, item: str) -> bool:
    """A catalogue item identifier must be a UUID (the view's key), or PostgreSQL would refuse the query."""
    if collection != CATALOGUE:
        return True
    try:
        uuid.UUID(item)
    except ValueError:
        return False
    return True


def respond(request: HttpRequest, endpoint: str) -> Answer | None:
    """pygeoapi's answer to a GET on `/ogcapi/<endpoint>`, or None when no pygeoapi endpoint has that path."""
    endpoint = endpoint.strip("/")
    for route in ROUTES:
        match = route.pattern.fullmatch(endpoint)
        if match is None:
            continue
        args = match.groupdict()
        if "item" in args and not _known_item(args["collection"], args["item"]):
            return None
        api = engine.get()
        api_request = APIRequest.from_django(request, api.locales)
        if not api_request.is_valid():
            headers, status, content = api.get_format_exception(api_request)
        else:
            headers, status, content = route.function(api, api_request, *args.values())
            content = apply_gzip(headers, content)
        return Answer(status=int(status), headers=dict(headers), body=content)
    return None
