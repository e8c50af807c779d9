"""DCAT-AP 3.0 descriptions of catalogue records, for data.gouv.fr, data.europa.eu and any DCAT harvester.

This is the only module that knows DCAT-AP and RDF: `dataset_graph()` describes one record, `catalog_page()` one page
of the catalogue anonymous visitors see (a hydra paged collection, `DCAT_PAGE_SIZE` records a page, 100 by default),
`serialize()` writes either as Turtle, RDF/XML or JSON-LD. Every URI is absolute, built on `settings.SITE_URL`.
Controlled values (frequency, language, access right, file type, licence) are EU authority IRIs described inline with
the type and scheme the DCAT-AP shapes check, since a harvester validates a page without dereferencing anything.
`distributions()` is shared with the schema.org description of the page.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Max, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from geoplatform import rights
from geoplatform.models import Organisation, PlatformSettings

from . import records as catalogue_records
from . import thesauri
from .models import Dataset, Keyword, ResponsibleParty

DCAT = Namespace("http://www.w3.org/ns/dcat#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
INSPIRE_RESOURCE_TYPE = "http://inspire.ec.europa.eu/metadata-codelist/ResourceType"
INSPIRE_TOPIC = "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory"
INSPIRE_REGULATION = "http://data.europa.eu/eli/reg/2010/1089"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
ISO_19139 = "http://www.isotc211.org/2005/gmd"

FORMATS = {
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "rdf": ("xml", "application/rdf+xml; charset=utf-8"),
    "jsonld": ("json-ld", "application/ld+json; charset=utf-8"),
}
PREFIXES = {
    "dcat": DCAT,
    "dct": DCTERMS,
    "foaf": FOAF,
    "skos": SKOS,
    "adms": ADMS,
    "vcard": VCARD,
    "gsp": GSP,
    "hydra": HYDRA,
    "rdfs": RDFS,
    "xsd": XSD,
}

# ISO MD_MaintenanceFrequencyCode -> EU frequency authority code (what GeoDCAT-AP maps them to).
FREQUENCIES = {
    "continual": ("UPDATE_CONT", "mise à jour continue"),
    "daily": ("DAILY", "quotidienne"),
    "weekly": ("WEEKLY", "hebdomadaire"),
    "fortnightly": ("BIWEEKLY", "bimensuelle"),
    "monthly": ("MONTHLY", "mensuelle"),
    "quarterly": ("QUARTERLY", "trimestrielle"),
    "biannually": ("ANNUAL_2", "semestrielle"),
    "annually": ("ANNUAL", "annuelle"),
    "asNeeded": ("IRREG", "irrégulière"),
    "irregular": ("IRREG", "irrégulière"),
    "notPlanned": ("NEVER", "jamais"),
    "unknown": ("UNKNOWN", "inconnue"),
}
# ISO 639-2/B codes whose EU language authority code (ISO 639-2/T) differs.
LANGUAGES = {"fre": ("FRA", "français"), "eng": ("ENG", "anglais"), "ger": ("DEU", "allemand")}
DATA_THEMES = {
    "AGRI": "Agriculture, pêche, sylviculture et alimentation",
    "ECON": "Économie et finances",
    "ENER": "Énergie",
    "ENVI": "Environnement",
    "GOVE": "Gouvernement et secteur public",
    "HEAL": "Santé",
    "REGI": "Régions et villes",
    "SOCI": "Population et société",
    "TECH": "Science et technologie",
    "TRAN": "Transports",
}
# INSPIRE theme -> the EU data themes (data.europa.eu) whose scope covers it.
INSPIRE_TO_DATA_THEMES = {
    "rs": ["TECH", "REGI"],
    "gg": ["TECH", "REGI"],
    "gn": ["REGI"],
    "au": ["REGI", "GOVE"],
    "ad": ["REGI", "GOVE"],
    "cp": ["REGI", "GOVE"],
    "tn": ["TRAN"],
    "hy": ["ENVI"],
    "ps": ["ENVI"],
    "el": ["ENVI", "REGI"],
    "lc": ["ENVI", "AGRI"],
    "oi": ["REGI", "TECH"],
    "ge": ["ENVI", "TECH"],
    "su": ["REGI", "SOCI"],
    "bu": ["REGI"],
    "so": ["ENVI", "AGRI"],
    "lu": ["ENVI", "REGI"],
    "hh": ["HEAL"],
    "us": ["GOVE"],
    "ef": ["ENVI"],
    "pf": ["ECON", "ENVI"],
    "af": ["AGRI"],
    "pd": ["SOCI"],
    "am": ["ENVI", "GOVE"],
    "nz": ["ENVI"],
    "ac": ["ENVI"],
    "mf": ["ENVI"],
    "of": ["ENVI"],
    "sr": ["ENVI"],
    "br": ["ENVI"],
    "hb": ["ENVI"],
    "sd": ["ENVI"],
    "er": ["ENER"],
    "mr": ["ECON", "ENVI"],
}
# EU file-type code and IANA media type of what a link's address ends with.
FILE_TYPES = {
    "zip": ("ZIP", "application/zip"),
    "csv": ("CSV", "text/csv"),
    "geojson": ("GEOJSON", "application/geo+json"),
    "json": ("JSON", "application/json"),
    "gpkg": ("GPKG", "application/geopackage+sqlite3"),
    "shp": ("SHP", None),
    "kml": ("KML", "application/vnd.google-earth.kml+xml"),
    "gml": ("GML", "application/gml+xml"),
    "xml": ("XML", "application/xml"),
    "pdf": ("PDF", "application/pdf"),
    "tif": ("TIFF", "image/tiff"),
    "tiff": ("TIFF", "image/tiff"),
    "html": ("HTML", "text/html"),
}
SERVICE_FILE_TYPES = {"OGC:WMS": "WMS_SRVC", "OGC:WFS": "WFS_SRVC", "OGC:WMTS": "WMTS_SRVC", "OGC:WCS": "WCS_SRVC"}
CREATOR_ROLES = {ResponsibleParty.Role.AUTHOR, ResponsibleParty.Role.ORIGINATOR}


@dataclass(frozen=True)
class Distribution:
    """One way to reach a record's data or description, as DCAT and schema.org both describe it."""

    key: str
    title: str
    access_url: str
    download: bool = False
    file_type: str = ""  # EU file-type authority code
    media_type: str = ""  # IANA media type
    conforms_to: str = ""
    description: str = ""


def _site() -> str:
    return settings.SITE_URL


def page_url(dataset: Dataset) -> str:
    return f"{_site()}{dataset.get_absolute_url()}"


def dataset_uri(dataset: Dataset) -> URIRef:
    return URIRef(f"{page_url(dataset)}#dataset")


def catalog_url(fmt: str, page: int | None = None) -> str:
    return f"{_site()}/dcat/catalog.{fmt}" + (f"?page={page}" if page else "")


def _file_type_of(url: str) -> tuple[str, str]:
    path = urlsplit(url).path.lower()
    extension = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return FILE_TYPES.get(extension, ("", ""))


def distributions(dataset: Dataset) -> list[Distribution]:
    """The platform's own services and documents for a record, then the links its producers gave."""
    with translation.override("fr"):
        found = []
        if dataset.has_data:
            ows = f"{_site()}/ows/dataset/{dataset.pk}"
            found.append(
                Distribution(
                    "wms",
                    _("Service de visualisation WMS"),
                    f"{ows}?SERVICE=WMS&REQUEST=GetCapabilities",
                    file_type="WMS_SRVC",
                    conforms_to="http://www.opengis.net/def/serviceType/ogc/wms",
                    description=_("Les données en carte dans un logiciel SIG (QGIS…) ou une application web."),
                )
            )
            if dataset.kind == Dataset.Kind.VECTOR:
                found.append(
                    Distribution(
                        "wfs",
                        _("Service de téléchargement WFS"),
                        f"{ows}?SERVICE=WFS&REQUEST=GetCapabilities",
                        file_type="WFS_SRVC",
                        conforms_to="http://www.opengis.net/def/serviceType/ogc/wfs",
                        description=_("Les objets et leurs attributs, en GML ou GeoJSON."),
                    )
                )
        found.append(
            Distribution(
                "iso19139",
                _("Fiche de métadonnées ISO 19139"),
                f"{page_url(dataset)}iso19139.xml",
                download=True,
                file_type="XML",
                media_type="application/xml",
                conforms_to=ISO_19139,
                description=_("La description complète du jeu de données selon ISO 19139 et INSPIRE."),
            )
        )
        for link in dataset.extra_links.all():
            file_type, media_type = _file_type_of(link.url)
            service = SERVICE_FILE_TYPES.get(link.protocol.upper().split(" ")[0], "")
            found.append(
                Distribution(
                    f"link-{link.pk}",
                    link.name,
                    link.url,
                    download=not service and ("DOWNLOAD" in link.protocol.upper() or file_type not in {"", "HTML"}),
                    file_type=service or file_type,
                    media_type="" if service else (media_type or ""),
                    description=link.description,
                )
            )
    return found


class _Builder:
    """Adds records to one graph, describing each shared node (organisation, vocabulary term) once."""

    def __init__(self, open_data: set[int]):
        self.graph = Graph(bind_namespaces="none")
        for prefix, namespace in PREFIXES.items():
            self.graph.bind(prefix, namespace)
        self.open_data = open_data  # records whose data anonymous visitors may use
        self._agents: dict[int, BNode] = {}
        self._described: set[URIRef] = set()

    def add(self, subject, predicate, obj) -> None:
        self.graph.add((subject, predicate, obj))

    def term(self, uri: str, types: Iterable[URIRef], scheme: str | None, label: str) -> URIRef:
        """An authority term, with the type the range shapes ask for and the scheme the vocabulary shapes check."""
        node = URIRef(uri)
        if node not in self._described:
            self._described.add(node)
            for type_ in types:
                self.add(node, RDF.type, type_)
            if scheme:
                self.add(node, SKOS.inScheme, URIRef(scheme))
            self.add(node, SKOS.prefLabel, Literal(label, lang="fr"))
        return node

    def document(self, url: str) -> URIRef:
        node = URIRef(url)
        self.add(node, RDF.type, FOAF.Document)
        return node

    def language(self, code: str) -> URIRef:
        eu_code, label = LANGUAGES.get(code, (code.upper(), code))
        return self.term(f"{EU}language/{eu_code}", [DCTERMS.LinguisticSystem], f"{EU}language", label)

    def agent(self, organisation: Organisation) -> BNode:
        if organisation.pk not in self._agents:
            node = self._agents[organisation.pk] = BNode()
            self.add(node, RDF.type, FOAF.Agent)
            self.add(node, RDF.type, FOAF.Organization)
            self.add(node, FOAF.name, Literal(organisation.name, lang="fr"))
            if organisation.website:
                self.add(node, FOAF.homepage, self.document(organisation.website))
            if organisation.contact_email:
                self.add(node, FOAF.mbox, URIRef(f"mailto:{organisation.contact_email}"))
        return self._agents[organisation.pk]

    def contact_point(self, party: ResponsibleParty) -> BNode:
        contact = party.contact
        node = BNode()
        self.add(node, RDF.type, VCARD.Kind)
        self.add(node, RDF.type, VCARD.Individual if contact.name else VCARD.Organization)
        self.add(node, VCARD.fn, Literal(contact.name or contact.organisation_name))
        self.add(node, VCARD["organization-name"], Literal(contact.organisation_name))
        self.add(node, VCARD.hasEmail, URIRef(f"mailto:{contact.email}"))
        if contact.phone:
            self.add(node, VCARD.hasTelephone, URIRef(f"tel:{contact.phone.replace(' ', '')}"))
        if contact.url:
            self.add(node, VCARD.hasURL, URIRef(contact.url))
        return node

    def creator(self, party: ResponsibleParty) -> BNode:
        node = BNode()
        self.add(node, RDF.type, FOAF.Agent)
        self.add(node, FOAF.name, Literal(party.contact.organisation_name))
        self.add(node, FOAF.mbox, URIRef(f"mailto:{party.contact.email}"))
        return node

    def licence(self, dataset: Dataset) -> URIRef | BNode | None:
        if dataset.licence in thesauri.LICENCES:
            uri, label = thesauri.LICENCES[dataset.licence]
            node = URIRef(uri)
        else:
            label = dataset.licence_other.strip() or dataset.use_constraints.strip()
            if not label:
                return None
            node = URIRef(label) if label.startswith(("http://", "https://")) else BNode()
        self.add(node, RDF.type, DCTERMS.LicenseDocument)
        self.add(node, RDFS.label, Literal(label))
        return node

    def themes(self, subject: URIRef, keywords: list[Keyword]) -> None:
        data_themes: set[str] = set()
        for keyword in keywords:
            self.add(subject, DCAT.keyword, Literal(keyword.label, lang="fr"))
            if keyword.thesaurus == Keyword.Thesaurus.INSPIRE_THEME:
                uri = keyword.uri or thesauri.inspire_theme_uri(keyword.code)
                self.add(
                    subject, DCAT.theme, self.term(uri, [SKOS.Concept], thesauri.INSPIRE_THEME_REGISTRY, keyword.label)
                )
                data_themes.update(INSPIRE_TO_DATA_THEMES.get(keyword.code, []))
            elif keyword.thesaurus == Keyword.Thesaurus.ISO_TOPIC:
                uri = f"{INSPIRE_TOPIC}/{keyword.code}"
                self.add(subject, DCAT.theme, self.term(uri, [SKOS.Concept], INSPIRE_TOPIC, keyword.label))
        for code in sorted(data_themes):
            uri = f"{EU}data-theme/{code}"
            self.add(subject, DCAT.theme, self.term(uri, [SKOS.Concept], f"{EU}data-theme", DATA_THEMES[code]))

    def distribution(self, dataset: Dataset, item: Distribution, licence) -> URIRef:
        node = URIRef(f"{page_url(dataset)}#distribution-{item.key}")
        self.add(node, RDF.type, DCAT.Distribution)
        self.add(node, DCTERMS.title, Literal(item.title, lang="fr"))
        if item.description:
            self.add(node, DCTERMS.description, Literal(item.description, lang="fr"))
        self.add(node, DCAT.accessURL, URIRef(item.access_url))
        if item.download:
            self.add(node, DCAT.downloadURL, URIRef(item.access_url))
        if item.file_type:
            uri = f"{EU}file-type/{item.file_type}"
            self.add(
                node, DCTERMS.format, self.term(uri, [DCTERMS.MediaTypeOrExtent], f"{EU}file-type", item.file_type)
            )
        if item.media_type:
            self.add(
                node, DCAT.mediaType, self.term(f"{IANA}{item.media_type}", [DCTERMS.MediaType], None, item.media_type)
            )
        if item.conforms_to:
            self.add(node, DCTERMS.conformsTo, self.standard(item.conforms_to))
        if licence is not None:
            self.add(node, DCTERMS.license, licence)
        return node

    def standard(self, uri: str) -> URIRef:
        node = URIRef(uri)
        self.add(node, RDF.type, DCTERMS.Standard)
        return node

    def dataset(self, dataset: Dataset) -> URIRef:
        node = dataset_uri(dataset)
        self.add(node, RDF.type, DCAT.Dataset)
        self.add(node, DCTERMS.identifier, Literal(str(dataset.uuid)))
        identifier = BNode()
        self.add(identifier, RDF.type, ADMS.Identifier)
        self.add(identifier, SKOS.notation, Literal(str(dataset.uuid)))
        self.add(node, ADMS.identifier, identifier)
        self.add(node, DCTERMS.title, Literal(dataset.title, lang="fr"))
        # DCAT-AP requires a description; a record without a summary is described by its title.
        self.add(node, DCTERMS.description, Literal(dataset.abstract.strip() or dataset.title, lang="fr"))
        self.add(node, DCTERMS.publisher, self.agent(dataset.organisation))
        self.add(node, DCAT.landingPage, self.document(page_url(dataset)))
        self.add(node, DCTERMS.language, self.language(dataset.language))
        if dataset.resource_type in {Dataset.ResourceType.SERIES, Dataset.ResourceType.SERVICE}:
            uri = f"{INSPIRE_RESOURCE_TYPE}/{dataset.resource_type}"
            label = dataset.get_resource_type_display()
            self.add(node, DCTERMS.type, self.term(uri, [SKOS.Concept], INSPIRE_RESOURCE_TYPE, str(label)))
        parties = list(dataset.parties.all())
        for party in parties:
            if party.for_metadata:
                continue
            if party.role == ResponsibleParty.Role.POINT_OF_CONTACT:
                self.add(node, DCAT.contactPoint, self.contact_point(party))
            elif party.role in CREATOR_ROLES:
                self.add(node, DCTERMS.creator, self.creator(party))
        self.themes(node, list(dataset.keywords.all()))
        self._extent(node, dataset)
        if dataset.published_at:
            self.add(node, DCTERMS.issued, Literal(dataset.published_at, datatype=XSD.dateTime))
        if dataset.data_created:
            self.add(node, DCTERMS.created, Literal(dataset.data_created, datatype=XSD.date))
        self.add(node, DCTERMS.modified, Literal(dataset.updated_at, datatype=XSD.dateTime))
        code, label = FREQUENCIES.get(dataset.update_frequency, FREQUENCIES["unknown"])
        frequency = self.term(f"{EU}frequency/{code}", [DCTERMS.Frequency], f"{EU}frequency", label)
        self.add(node, DCTERMS.accrualPeriodicity, frequency)
        self.add(node, DCTERMS.accessRights, self._access_rights(dataset))
        self._quality(node, dataset)
        licence = self.licence(dataset)
        for item in distributions(dataset):
            self.add(node, DCAT.distribution, self.distribution(dataset, item, licence))
        return node

    def _extent(self, node: URIRef, dataset: Dataset) -> None:
        if dataset.bbox_wgs84:
            minx, miny, maxx, maxy = dataset.bbox_wgs84
            location = BNode()
            self.add(location, RDF.type, DCTERMS.Location)
            wkt = f"POLYGON(({minx} {miny},{maxx} {miny},{maxx} {maxy},{minx} {maxy},{minx} {miny}))"
            self.add(location, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral))
            self.add(node, DCTERMS.spatial, location)
        if dataset.temporal_start or dataset.temporal_end:
            period = BNode()
            self.add(period, RDF.type, DCTERMS.PeriodOfTime)
            if dataset.temporal_start:
                self.add(period, DCAT.startDate, Literal(dataset.temporal_start, datatype=XSD.date))
            if dataset.temporal_end:
                self.add(period, DCAT.endDate, Literal(dataset.temporal_end, datatype=XSD.date))
            self.add(node, DCTERMS.temporal, period)

    def _access_rights(self, dataset: Dataset) -> URIRef:
        open_ = (
            dataset.pk in self.open_data
            and dataset.access_constraint == Dataset.AccessConstraint.NONE
            and not dataset.territory_restricted
        )
        code, label = ("PUBLIC", "public") if open_ else ("RESTRICTED", "restreint")
        return self.term(f"{EU}access-right/{code}", [DCTERMS.RightsStatement], f"{EU}access-right", label)

    def _quality(self, node: URIRef, dataset: Dataset) -> None:
        if dataset.lineage.strip():
            provenance = BNode()
            self.add(provenance, RDF.type, DCTERMS.ProvenanceStatement)
            self.add(provenance, RDFS.label, Literal(dataset.lineage.strip(), lang="fr"))
            self.add(node, DCTERMS.provenance, provenance)
        if dataset.resolution_m:
            metres = format(Decimal(str(dataset.resolution_m)), "f")  # xsd:decimal has no exponent notation
            self.add(node, DCAT.spatialResolutionInMeters, Literal(metres, datatype=XSD.decimal))
        if dataset.srid:
            self.add(node, DCTERMS.conformsTo, self.standard(f"{EPSG}{dataset.srid}"))
        # GeoDCAT-AP states conformity with dct:conformsTo only when the degree is "conformant".
        if dataset.conformity_degree == Dataset.Conformity.CONFORMANT and dataset.conformity_specification:
            spec = dataset.conformity_specification
            standard = self.standard(INSPIRE_REGULATION) if "1089/2010" in spec else BNode()
            self.add(standard, RDF.type, DCTERMS.Standard)
            self.add(standard, DCTERMS.title, Literal(spec, lang="fr"))
            if dataset.conformity_date:
                self.add(standard, DCTERMS.issued, Literal(dataset.conformity_date, datatype=XSD.date))
            self.add(node, DCTERMS.conformsTo, standard)

    def catalog(self, datasets: list[URIRef], modified) -> URIRef:
        platform = PlatformSettings.load()
        name = platform.name or settings.PLATFORM_NAME
        node = URIRef(f"{_site()}/dcat/catalog")
        self.add(node, RDF.type, DCAT.Catalog)
        self.add(node, DCTERMS.title, Literal(name, lang="fr"))
        description = platform.tagline or _("Catalogue des données géographiques de %(name)s") % {"name": name}
        self.add(node, DCTERMS.description, Literal(description, lang="fr"))
        publisher = BNode()
        self.add(publisher, RDF.type, FOAF.Agent)
        self.add(publisher, FOAF.name, Literal(name, lang="fr"))
        self.add(publisher, FOAF.homepage, self.document(f"{_site()}/"))
        if platform.contact_email:
            self.add(publisher, FOAF.mbox, URIRef(f"mailto:{platform.contact_email}"))
        self.add(node, DCTERMS.publisher, publisher)
        self.add(node, FOAF.homepage, self.document(f"{_site()}/"))
        self.add(node, DCTERMS.language, self.language("fre"))
        if modified:
            self.add(node, DCTERMS.modified, Literal(modified, datatype=XSD.dateTime))
        for scheme, title in [
            (f"{EU}data-theme", "Thèmes de données de l'Union européenne"),
            (thesauri.INSPIRE_THEME_REGISTRY, "Thèmes INSPIRE"),
        ]:
            self.add(URIRef(scheme), RDF.type, SKOS.ConceptScheme)
            self.add(URIRef(scheme), DCTERMS.title, Literal(title, lang="fr"))
            self.add(node, DCAT.themeTaxonomy, URIRef(scheme))
        for dataset in datasets:
            self.add(node, DCAT.dataset, dataset)
        return node

    def pages(self, page: Page, fmt: str) -> None:
        """Hydra paging in both the current (PartialCollectionView) and the legacy (PagedCollection) terms, since
        udata follows either and ckanext-dcat only the legacy one."""
        node = URIRef(catalog_url(fmt, page.number))
        last = page.paginator.num_pages
        self.add(node, RDF.type, HYDRA.PagedCollection)
        self.add(node, RDF.type, HYDRA.PartialCollectionView)
        self.add(node, HYDRA.totalItems, Literal(page.paginator.count))
        self.add(node, HYDRA.itemsPerPage, Literal(page.paginator.per_page))
        for legacy, current, number in [
            (HYDRA.firstPage, HYDRA.first, 1),
            (HYDRA.lastPage, HYDRA.last, last),
            (HYDRA.previousPage, HYDRA.previous, page.number - 1 if page.has_previous() else None),
            (HYDRA.nextPage, HYDRA.next, page.number + 1 if page.has_next() else None),
        ]:
            if number:
                self.add(node, legacy, URIRef(catalog_url(fmt, number)))
                self.add(node, current, URIRef(catalog_url(fmt, number)))


def _with_parts(queryset: QuerySet) -> QuerySet:
    return (
        queryset.select_related("organisation")
        .prefetch_related("keywords", "parties__contact", "extra_links")
        .defer("iso_xml", "search_vector", "attributes", "raster_info")
    )


def dataset_graph(dataset: Dataset) -> Graph:
    """The DCAT-AP description of one record (the caller has checked the reader may see it)."""
    open_data = {dataset.pk} if rights.can(AnonymousUser(), rights.Action.VIEW_DATA, dataset) else set()
    builder = _Builder(open_data)
    with translation.override("fr"):
        builder.dataset(_with_parts(Dataset.objects.filter(pk=dataset.pk)).get())
    return builder.graph


def catalog_page(number: int | str | None, fmt: str) -> Graph:
    """One page of the public catalogue; raises django.core.paginator.InvalidPage past the last one."""
    records = catalogue_records.public_records().order_by("pk")  # a stable order for paging
    paginator = Paginator(_with_parts(records), getattr(settings, "DCAT_PAGE_SIZE", 100))
    page = paginator.page(number or 1)
    datasets = list(page.object_list)
    ids = [d.pk for d in datasets]
    anonymous = rights.visible(AnonymousUser(), Dataset.objects.filter(pk__in=ids), rights.Action.VIEW_DATA)
    builder = _Builder(set(anonymous.values_list("pk", flat=True)))
    with translation.override("fr"):
        nodes = [builder.dataset(d) for d in datasets]
        builder.catalog(nodes, records.aggregate(latest=Max("updated_at"))["latest"])
        builder.pages(page, fmt)
    return builder.graph


def serialize(graph: Graph, fmt: str) -> bytes:
    """The graph as Turtle (`ttl`), RDF/XML (`rdf`) or JSON-LD (`jsonld`), in UTF-8."""
    rdflib_format = FORMATS[fmt][0]
    if rdflib_format == "json-ld":
        context = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        return graph.serialize(format="json-ld", context=context, auto_compact=True, encoding="utf-8")
    return graph.serialize(format=rdflib_format, encoding="utf-8")


def content_type(fmt: str) -> str:
    return FORMATS[fmt][1]
