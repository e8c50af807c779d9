"""pygeoapi, the engine behind `/ogcapi/` (OGC API Records for the catalogue, OGC API Features for every vector
dataset with data): the only module that knows it.

Its configuration is data: `build_config()` assembles it from our settings, the platform settings and the catalogue,
validates it against pygeoapi's own schema (an error names the key) and `manage.py pygeoapi_config` prints it as
YAML. Each entry of `collections()` becomes an OGC API collection: the catalogue, read by `CatalogueRecordProvider`
from the view `catalogue_ogcapi_record` (migration catalogue 0009), which only holds the records anonymous visitors
may see, and one collection `ds<id>` per vector dataset, read by `LayerProvider` from its table in schema `layers`.

One `API` object serves every request of the process; it is rebuilt when the set of dataset collections changes
(`signature()`). Each request is answered by a shallow copy of it that only knows the collections the caller may
view (`rights.decide`), a territory-restricted collection carrying its territories to `LayerProvider`, which clips.
"""

import copy
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
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max
from django.http import HttpRequest
from django.urls import reverse
from pygeoapi.api import API, APIRequest, apply_gzip
from pygeoapi.config import validate_config
from pygeoapi.openapi import get_oas
from pygeoapi.provider.base import ProviderItemNotFoundError
from pygeoapi.provider.sql import PostgreSQLProvider
from sqlalchemy import and_, column, func, not_, select, table, type_coerce
from sqlalchemy.orm import Session, aliased

from catalogue.models import Dataset
from catalogue.records import SEARCH_CONFIG
from geoplatform import rights
from geoplatform.auth import KEY_PARAMETER
from geoplatform.models import User

MOUNT = "/ogcapi"
CATALOGUE = "catalogue"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
# Output and bbox CRSs every dataset collection offers (besides its storage CRS): Lambert-93, WGS84, Web Mercator.
OFFERED_EPSG = (2154, 4326, 3857)
# Geometry families and the ST_CollectionExtract type code that keeps them after a cut.
EXTRACT_TYPE = {"point": 1, "line": 2, "polygon": 3}
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


class LayerProvider(PostgreSQLProvider):
    """pygeoapi's PostgreSQL provider on a layer table; given `territory_ids` (a restricted caller's territories), it
    only reads the features inside their union, cut by it (ST_Intersection), as WFS does (`_vector_data` in
    wxs/mapserver/mapfiles.py), so that counts, paging, filters and items never reach beyond the territory."""

    def __init__(self, provider_def: dict) -> None:
        super().__init__(provider_def)
        _pools.add(self._engine)
        self.territory_ids = tuple(int(i) for i in provider_def.get("territory_ids", ()))
        if self.territory_ids:
            self.table_model = self._clipped_model()

    def _clipped_model(self):
        """The layer model mapped onto `SELECT <columns>, <cut geometry> ... WHERE <inside the territory>`."""
        layer = self.table_model.__table__
        geom = layer.c[self.geom]
        srid = int(geom.type.srid)
        territories = table("geoplatform_territory", column("id"), column("geometry"), schema="public")
        area = (
            select(func.ST_Transform(func.ST_Union(territories.c.geometry), srid))
            .where(territories.c.id.in_(self.territory_ids))
            .scalar_subquery()
        )
        kind = (geom.type.geometry_type or "GEOMETRY").upper()
        if "POINT" in kind:  # a point is inside or not: nothing to cut
            cut = geom
        else:
            part = EXTRACT_TYPE["line" if "LINE" in kind else "polygon"]
            cut = func.ST_CollectionExtract(func.ST_Intersection(geom, area), part)
            if kind.startswith("MULTI"):
                cut = func.ST_Multi(cut)
        columns = [c for c in layer.columns if c.name != self.geom]
        inside = and_(geom.op("&&")(area), func.ST_Intersects(geom, area), not_(func.ST_Touches(geom, area)))
        clipped = select(*columns, type_coerce(cut, geom.type).label(self.geom)).where(inside).subquery()
        kept = select(clipped).where(not_(func.ST_IsEmpty(clipped.c[self.geom]))).subquery("clipped")
        return aliased(self.table_model, kept, adapt_on_names=True)

    def get(self, identifier, crs_transform_spec=None, **kwargs) -> dict:
        if not self.territory_ids:
            return super().get(identifier, crs_transform_spec=crs_transform_spec, **kwargs)
        # `Session.get` reads the table itself: look the item up in the clipped model instead.
        fid = getattr(self.table_model, self.id_field)
        with Session(self._engine) as session:
            item = session.query(self.table_model).filter(fid == int(identifier)).first()
            if item is None:
                raise ProviderItemNotFoundError(f"No such item: {self.id_field}={identifier}.")
            feature = self._sqlalchemy_to_feature(item, self._get_crs_transform(crs_transform_spec))
            before = session.query(fid).filter(fid < int(identifier)).order_by(fid.desc()).first()
            after = session.query(fid).filter(fid > int(identifier)).order_by(fid.asc()).first()
        feature["prev"] = before[0] if before else feature["id"]
        feature["next"] = after[0] if after else feature["id"]
        return feature


def _layers_database() -> dict:
    """The read-only role's connection to the layer tables (schema `layers`, granted by migration catalogue 0003)."""
    return {**database(), "search_path": [settings.LAYERS_SCHEMA, "public"]}


def _crs_uri(srid: int) -> str:
    return f"http://www.opengis.net/def/crs/EPSG/0/{int(srid)}"


def layer_datasets():
    """The datasets served as OGC API Features collections: vector datasets with data (rights are asked per
    request)."""
    return Dataset.objects.filter(kind=Dataset.Kind.VECTOR, version__gt=0, srid__isnull=False).exclude(table_name="")


def layer_collection(dataset: Dataset) -> dict:
    """One dataset's current data version as a collection named like its WMS/WFS layer."""
    keywords = [k.label for k in dataset.keywords.all()] or [dataset.layer_name]
    extents: dict = {}
    if dataset.bbox_wgs84:
        extents["spatial"] = {"bbox": [float(v) for v in dataset.bbox_wgs84], "crs": CRS84}
    else:
        extents["spatial"] = {"bbox": [-180, -90, 180, 90], "crs": CRS84}
    if dataset.temporal_start or dataset.temporal_end:
        extents["temporal"] = {
            "begin": dataset.temporal_start.isoformat() if dataset.temporal_start else None,
            "end": dataset.temporal_end.isoformat() if dataset.temporal_end else None,
        }
    offered = [CRS84, *(_crs_uri(srid) for srid in sorted({*OFFERED_EPSG, int(dataset.srid)}))]
    return {
        "type": "collection",
        "title": dataset.title,
        "description": dataset.abstract or dataset.title,
        "keywords": keywords,
        "links": [
            {
                "type": "text/html",
                "rel": "describedby",
                "title": "Fiche de métadonnées",
                "href": settings.SITE_URL + dataset.get_absolute_url(),
                "hreflang": "fr",
            },
            {
                "type": "application/vnd.iso.19139+xml",
                "rel": "describedby",
                "title": "ISO 19139",
                "href": settings.SITE_URL + reverse("catalogue:iso19139", args=[dataset.pk]),
            },
        ],
        "extents": extents,
        "providers": [
            {
                "type": "feature",
                "name": f"{LayerProvider.__module__}.{LayerProvider.__name__}",
                "data": _layers_database(),
                "table": dataset.table_name,
                "id_field": "fid",
                "geom_field": "geom",
                "storage_crs": _crs_uri(dataset.srid),
                "crs": offered,
            }
        ],
    }


def signature() -> tuple:
    """What the dataset collections depend on, in one aggregate query: any save (publication, new version, new
    metadata) moves `updated_at`, a deletion or a first import moves the count."""
    found = layer_datasets().aggregate(count=Count("pk"), updated=Max("updated_at"))
    return found["count"], found["updated"]


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
    datasets = layer_datasets().prefetch_related("keywords").order_by("pk")
    return {CATALOGUE: catalogue_collection(), **{d.layer_name: layer_collection(d) for d in datasets}}


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
    """The process's pygeoapi API object, built on first use (the test database exists only by then) and rebuilt
    when the dataset collections change (a publication, a new data version, a deletion), without a restart. Its
    OpenAPI document, which reads every collection's table, is only generated when first asked for."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.api: API | None = None
        self.signature: tuple | None = None
        self.openapi_document: dict | None = None

    def get(self) -> API:
        current = signature()
        with self.lock:
            if self.api is None or current != self.signature:
                config = build_config()
                # pygeoapi's own logging set-up does nothing once Django configured logging: apply its level here.
                logging.getLogger("pygeoapi").setLevel(config["logging"]["level"])
                self.api = API(config, {})
                self.signature = current
                self.openapi_document = None
            return self.api

    def openapi(self, api: API) -> dict:
        """The OpenAPI document of `api` (the current API object), generated once per configuration."""
        with self.lock:
            if self.openapi_document is None or api is not self.api:
                document = get_oas(api.config, fail_on_invalid_collection=False)
                if api is not self.api:
                    return document
                self.openapi_document = document
            return self.openapi_document

    def reset(self) -> None:
        """Forget the API object and close pygeoapi's database connections (a test database is dropped after)."""
        with self.lock:
            self.api = None
            self.signature = None
            self.openapi_document = None
            for pool in _pools:
                pool.dispose()


engine = _Engine()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes | str
    dataset: Dataset | None = None  # the dataset whose collection was asked for and may be viewed (statistics)


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


# Endpoints that show no collection: answered without asking the rights.
NO_COLLECTIONS = {core_api.landing_page, core_api.conformance}
LAYER_ID = re.compile(r"ds(\d+)")


def dataset_pk(collection: str) -> int | None:
    """The dataset behind a collection identifier (`ds12` -> 12), None for the catalogue and unknown names."""
    match = LAYER_ID.fullmatch(collection)
    return int(match[1]) if match else None


def _known_item(collection: str, item: str) -> bool:
    """An item identifier must be a UUID in the catalogue (the view's key) and a `fid` in a layer, or PostgreSQL
    would refuse the query."""
    if dataset_pk(collection) is not None:
        return item.isdigit()
    if collection != CATALOGUE:
        return True
    try:
        uuid.UUID(item)
    except ValueError:
        return False
    return True


def _visible_resources(
    api: API, user: User | AnonymousUser, collection: str | None
) -> tuple[dict[str, dict], Dataset | None]:
    """The collections `user` may view: every one for listings (`collection` None), else only that one (a
    restricted decision hands its territories to `LayerProvider`). Others are left out, so pygeoapi answers for
    them exactly as for a collection that does not exist. Also returns the dataset of `collection` if it is shown."""
    resources = api.config["resources"]
    layers = {name: pk for name in resources if (pk := dataset_pk(name)) is not None}
    kept = {name: resource for name, resource in resources.items() if name not in layers}
    if collection is None:
        queryset = Dataset.objects.filter(pk__in=layers.values())
        allowed = set(rights.visible(user, queryset, rights.Action.VIEW_DATA).values_list("pk", flat=True))
        kept.update({name: resources[name] for name, pk in layers.items() if pk in allowed})
        return kept, None
    if collection not in layers:
        return kept, None
    # Only what `decide` reads: a record row carries its search vector and ISO document.
    fields = ("pk", "public", "territory_restricted", "organisation__id")
    dataset = Dataset.objects.select_related("organisation").only(*fields).filter(pk=layers[collection]).first()
    decision = rights.decide(user, rights.Action.VIEW_DATA, dataset) if dataset else rights.DENIED
    if not decision:
        return kept, None
    resource = resources[collection]
    if decision.restricted:
        territories = [int(i) for i in decision.territory_ids]
        providers = [{**provider, "territory_ids": territories} for provider in resource["providers"]]
        extents = {**resource["extents"], "spatial": _narrowed(resource["extents"]["spatial"], decision.territory)}
        resource = {**resource, "providers": providers, "extents": extents}
    kept[collection] = resource
    return kept, dataset


def _narrowed(spatial: dict, territory) -> dict:
    """The collection's WGS84 extent within the caller's territory, so it does not tell where data lie outside."""
    xmin, ymin, xmax, ymax = spatial["bbox"]
    txmin, tymin, txmax, tymax = territory.extent
    bbox = [max(xmin, txmin), max(ymin, tymin), min(xmax, txmax), min(ymax, tymax)]
    if bbox[0] > bbox[2] or bbox[1] > bbox[3]:
        bbox = [txmin, tymin, txmax, tymax]
    return {**spatial, "bbox": bbox}


def _visible_openapi(openapi: dict, hidden: set[str]) -> dict:
    """pygeoapi's OpenAPI document without the paths and tags of the collections the caller may not view."""
    if not hidden:
        return openapi

    def keep(path: str) -> bool:
        parts = path.split("/", 3)  # "/collections/<id>/..." -> ["", "collections", "<id>", ...]
        return not (len(parts) > 2 and parts[1] == "collections" and parts[2] in hidden)

    document = {**openapi, "paths": {path: item for path, item in openapi.get("paths", {}).items() if keep(path)}}
    if "tags" in openapi:
        document["tags"] = [tag for tag in openapi["tags"] if tag.get("name") not in hidden]
    return document


def caller_api(
    api: API, user: User | AnonymousUser, collection: str | None = None, openapi: bool = False
) -> tuple[API, Dataset | None]:
    """A shallow copy of the process's API object that only serves what `user` may view (its OpenAPI document
    filtered too when `openapi`, the only endpoint that shows it), and the dataset of `collection` if shown."""
    resources, dataset = _visible_resources(api, user, collection)
    view = copy.copy(api)
    view.config = {**api.config, "resources": resources}
    view.tpl_config = {
        **api.tpl_config,
        "resources": {name: item for name, item in api.tpl_config["resources"].items() if name in resources},
    }
    if openapi:
        hidden = {name for name in api.config["resources"] if name not in resources}
        view.openapi = _visible_openapi(engine.openapi(api), hidden)
    return view, dataset


def _without_key(request: HttpRequest) -> HttpRequest:
    """The request as pygeoapi sees it: without the personal access key, so no link it writes carries it."""
    names = [name for name in request.GET if name.lower() == KEY_PARAMETER]
    if names:
        query = request.GET.copy()
        for name in names:
            del query[name]
        request.GET = query
    return request


def respond(request: HttpRequest, endpoint: str, user: User | AnonymousUser) -> Answer | None:
    """pygeoapi's answer to `user`'s GET on `/ogcapi/<endpoint>`, or None when no pygeoapi endpoint has that path."""
    endpoint = endpoint.strip("/")
    for route in ROUTES:
        match = route.pattern.fullmatch(endpoint)
        if match is None:
            continue
        args = match.groupdict()
        if "item" in args and not _known_item(args["collection"], args["item"]):
            return None
        api, dataset = engine.get(), None
        if route.function not in NO_COLLECTIONS:
            api, dataset = caller_api(api, user, args.get("collection"), openapi=route.function is core_api.openapi_)
        api_request = APIRequest.from_django(_without_key(request), api.locales)
        if not api_request.is_valid():
            headers, status, content = api.get_format_exception(api_request)
        else:
            headers, status, content = route.function(api, api_request, *args.values())
            content = apply_gzip(headers, content)
        return Answer(status=int(status), headers=dict(headers), body=content, dataset=dataset)
    return None
