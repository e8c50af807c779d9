"""ISO 19139 (gmd, 2007-04-17) encoding of catalogue records, following the INSPIRE metadata technical guidelines.

This is the only module that knows the XML encoding: `export()` writes a gmd:MD_Metadata document for a record,
`parse()` reads one back into plain values and `import_record()` creates or updates a record from it. Uploaded
documents are hostile until proven otherwise: no DTD, no entity, no network, no huge tree.
"""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from lxml import etree

from . import thesauri
from .models import Contact, Dataset, Keyword, ResponsibleParty

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "srv": "http://www.isotc211.org/2005/srv",
    "gml": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
SCHEMA_LOCATION = (
    "http://www.isotc211.org/2005/gmd http://schemas.opengis.net/iso/19139/20070417/gmd/gmd.xsd "
    "http://www.isotc211.org/2005/gmx http://schemas.opengis.net/iso/19139/20070417/gmx/gmx.xsd "
    "http://www.isotc211.org/2005/srv http://schemas.opengis.net/iso/19139/20060504/srv/srv.xsd"
)
CODELISTS = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
LANGUAGE_CODELIST = "http://www.loc.gov/standards/iso639-2/"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"
ACCESS_URI = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
INSPIRE_THEMES_THESAURUS_URI = "http://www.eionet.europa.eu/gemet/inspire_themes"
GEMET_THESAURUS_URI = "http://www.eionet.europa.eu/gemet/"
SERVICE_CLASSIFICATION_CITATION = ("ISO 19119:2005/Amd 1:2008", "2008-07-15")
LICENCES = {
    Dataset.Licence.LO_2: (
        "Licence Ouverte / Open Licence version 2.0",
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
    ),
    Dataset.Licence.ODBL: ("Open Database License (ODbL) 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    Dataset.Licence.CC_BY: (
        "Creative Commons Attribution 4.0 (CC BY 4.0)",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    Dataset.Licence.CC0: ("Creative Commons Zero 1.0 (CC0 1.0)", "https://creativecommons.org/publicdomain/zero/1.0/"),
}
VIEW_PROTOCOLS = ("OGC:WMS", "OGC:WMTS", "OGC:WMS-C", "OGC:TMS")
DOWNLOAD_PROTOCOLS = ("OGC:WFS", "OGC:WCS", "OGC:API-Features", "INSPIRE Atom", "ATOM")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class IsoImportError(Exception):
    """An ISO 19139 document that cannot become a record: a stable code and a French message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _el(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    """A child element; attributes named prefix_local (xlink_href, gco_nilReason, gml_id) are namespaced."""
    element = etree.SubElement(
        parent, _q(name), {_q(k.replace("_", ":", 1)) if "_" in k else k: v for k, v in attrs.items()}
    )
    if text is not None:
        element.text = text
    return element


def _string(parent: etree._Element, name: str, text: str | None, href: str = "") -> etree._Element:
    """A gco:CharacterString property, a gmx:Anchor when the value has a URI, or a nil reason when empty."""
    prop = _el(parent, name)
    if not text:
        prop.set(_q("gco:nilReason"), "missing")
    elif href:
        _el(prop, "gmx:Anchor", text, xlink_href=href)
    else:
        _el(prop, "gco:CharacterString", text)
    return prop


def _code(parent: etree._Element, name: str, codelist: str, value: str, prefix: str = "gmd") -> etree._Element:
    prop = _el(parent, name)
    _el(prop, f"{prefix}:{codelist}", value, codeList=f"{CODELISTS}#{codelist}", codeListValue=value)
    return prop


def _language(parent: etree._Element, name: str, code: str) -> None:
    _el(_el(parent, name), "gmd:LanguageCode", code, codeList=LANGUAGE_CODELIST, codeListValue=code)


def _absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else f"{settings.SITE_URL}{path}"


def _citation_date(parent: etree._Element, day: datetime.date | str, kind: str) -> None:
    date = _el(_el(parent, "gmd:date"), "gmd:CI_Date")
    _el(_el(date, "gmd:date"), "gco:Date", str(day))
    _code(date, "gmd:dateType", "CI_DateTypeCode", kind)


def _thesaurus(parent: etree._Element, title: str, day: str, href: str = "") -> None:
    citation = _el(_el(parent, "gmd:thesaurusName"), "gmd:CI_Citation")
    _string(citation, "gmd:title", title, href)
    _citation_date(citation, day, "publication")


def _party(parent: etree._Element, name: str, contact: Contact | dict, role: str) -> None:
    get = contact.get if isinstance(contact, dict) else lambda key, default="": getattr(contact, key, default)
    party = _el(_el(parent, name), "gmd:CI_ResponsibleParty")
    if get("name"):
        _string(party, "gmd:individualName", get("name"))
    _string(party, "gmd:organisationName", get("organisation_name"))
    if get("position"):
        _string(party, "gmd:positionName", get("position"))
    info = _el(_el(party, "gmd:contactInfo"), "gmd:CI_Contact")
    if get("phone"):
        _string(_el(_el(info, "gmd:phone"), "gmd:CI_Telephone"), "gmd:voice", get("phone"))
    address = _el(_el(info, "gmd:address"), "gmd:CI_Address")
    for field, element in [
        ("address", "deliveryPoint"),
        ("city", "city"),
        ("postal_code", "postalCode"),
        ("country", "country"),
    ]:
        if get(field):
            _string(address, f"gmd:{element}", get(field))
    _string(address, "gmd:electronicMailAddress", get("email"))
    if get("url"):
        _el(_el(_el(info, "gmd:onlineResource"), "gmd:CI_OnlineResource"), "gmd:linkage").append(_url(get("url")))
    _code(party, "gmd:role", "CI_RoleCode", role)


def _url(href: str) -> etree._Element:
    element = etree.Element(_q("gmd:URL"))
    element.text = href
    return element


def _online(parent: etree._Element, href: str, protocol: str, name: str, description: str, function: str) -> None:
    resource = _el(_el(parent, "gmd:onLine"), "gmd:CI_OnlineResource")
    _el(resource, "gmd:linkage").append(_url(href))
    if protocol:
        _string(resource, "gmd:protocol", protocol)
    _string(resource, "gmd:name", name)
    if description:
        _string(resource, "gmd:description", description)
    _code(resource, "gmd:function", "CI_OnLineFunctionCode", function)


def _organisation_contact(dataset: Dataset) -> dict:
    organisation = dataset.organisation
    return {
        "name": organisation.contact_name,
        "organisation_name": organisation.name,
        "email": organisation.contact_email,
        "url": organisation.website,
    }


def _links(dataset: Dataset) -> list[tuple[str, str, str, str, str]]:
    """Every online resource of the record as (url, protocol, name, description, CI_OnLineFunctionCode)."""
    links = [
        (
            _absolute(dataset.get_absolute_url()),
            "WWW:LINK",
            _("Fiche de la donnée sur la plateforme"),
            "",
            "information",
        )
    ]
    if dataset.has_data:
        ows = _absolute(reverse("wxs:dataset_ows", args=[dataset.pk]))
        links.append(
            (f"{ows}?SERVICE=WMS&REQUEST=GetCapabilities", "OGC:WMS", dataset.layer_name, dataset.title, "browsing")
        )
        if dataset.kind == Dataset.Kind.VECTOR:
            links.append(
                (
                    f"{ows}?SERVICE=WFS&REQUEST=GetCapabilities",
                    "OGC:WFS",
                    dataset.layer_name,
                    dataset.title,
                    "download",
                )
            )
    for link in dataset.extra_links.all():
        function = "download" if "DOWNLOAD" in link.protocol.upper() else "information"
        links.append((link.url, link.protocol, link.name, link.description, function))
    return links


def _keywords(identification: etree._Element, element: str, keywords: list[Keyword], service: bool) -> None:
    groups: dict[str, list[Keyword]] = {}
    for keyword in keywords:
        if keyword.thesaurus != Keyword.Thesaurus.ISO_TOPIC or service:
            groups.setdefault(keyword.thesaurus, []).append(keyword)
    for thesaurus in (Keyword.Thesaurus.INSPIRE_THEME, Keyword.Thesaurus.GEMET, Keyword.Thesaurus.ISO_TOPIC, "free"):
        if thesaurus not in groups:
            continue
        block = _el(_el(identification, element), "gmd:MD_Keywords")
        for keyword in groups[thesaurus]:
            _string(block, "gmd:keyword", keyword.label, keyword.uri)
        _code(block, "gmd:type", "MD_KeywordTypeCode", "theme")
        if thesaurus == Keyword.Thesaurus.INSPIRE_THEME:
            _thesaurus(block, *thesauri.INSPIRE_THEME_CITATION, INSPIRE_THEMES_THESAURUS_URI)
        elif thesaurus == Keyword.Thesaurus.GEMET:
            _thesaurus(block, *thesauri.GEMET_CITATION, GEMET_THESAURUS_URI)


def _service_type(links: list[tuple[str, str, str, str, str]]) -> str:
    protocols = {link[1] for link in links}
    if protocols & set(DOWNLOAD_PROTOCOLS):
        return "download"
    if protocols & set(VIEW_PROTOCOLS):
        return "view"
    return "other"


def _extent(parent: etree._Element, name: str, dataset: Dataset) -> None:
    if not dataset.bbox_wgs84 and not (dataset.temporal_start or dataset.temporal_end):
        return
    extent = _el(_el(parent, name), "gmd:EX_Extent")
    if dataset.bbox_wgs84:
        box = _el(_el(extent, "gmd:geographicElement"), "gmd:EX_GeographicBoundingBox")
        minx, miny, maxx, maxy = (float(v) for v in dataset.bbox_wgs84)
        for element, value in [
            ("westBoundLongitude", minx),
            ("eastBoundLongitude", maxx),
            ("southBoundLatitude", miny),
            ("northBoundLatitude", maxy),
        ]:
            _el(_el(box, f"gmd:{element}"), "gco:Decimal", repr(value))
    if dataset.temporal_start or dataset.temporal_end:
        temporal = _el(_el(_el(extent, "gmd:temporalElement"), "gmd:EX_TemporalExtent"), "gmd:extent")
        period = _el(temporal, "gml:TimePeriod", gml_id=f"period-{dataset.uuid}")
        for element, day, open_end in [
            ("gml:beginPosition", dataset.temporal_start, "unknown"),
            ("gml:endPosition", dataset.temporal_end, "now"),
        ]:
            if day:
                _el(period, element, str(day))
            else:
                _el(period, element, indeterminatePosition=open_end)


def _constraints(parent: etree._Element, name: str, dataset: Dataset) -> None:
    access = _el(_el(parent, name), "gmd:MD_LegalConstraints")
    _code(access, "gmd:accessConstraints", "MD_RestrictionCode", "otherRestrictions")
    _string(
        access,
        "gmd:otherConstraints",
        dataset.get_access_constraint_display(),
        ACCESS_URI + dataset.access_constraint,
    )
    use = _el(_el(parent, name), "gmd:MD_LegalConstraints")
    if dataset.use_constraints:
        _string(use, "gmd:useLimitation", dataset.use_constraints)
    _code(use, "gmd:useConstraints", "MD_RestrictionCode", "otherRestrictions")
    if dataset.licence in LICENCES:
        title, href = LICENCES[dataset.licence]
        _string(use, "gmd:otherConstraints", title, href)
    else:
        other = dataset.licence_other.strip()
        _string(use, "gmd:otherConstraints", other, other if other.startswith(("http://", "https://")) else "")


def _data_quality(root: etree._Element, dataset: Dataset, service: bool) -> None:
    quality = _el(_el(root, "gmd:dataQualityInfo"), "gmd:DQ_DataQuality")
    scope = _el(_el(quality, "gmd:scope"), "gmd:DQ_Scope")
    _code(scope, "gmd:level", "MD_ScopeCode", dataset.resource_type)
    if service:
        description = _el(_el(scope, "gmd:levelDescription"), "gmd:MD_ScopeDescription")
        _string(description, "gmd:other", "service")
    if dataset.conformity_specification:
        result = _el(
            _el(_el(_el(quality, "gmd:report"), "gmd:DQ_DomainConsistency"), "gmd:result"), "gmd:DQ_ConformanceResult"
        )
        citation = _el(_el(result, "gmd:specification"), "gmd:CI_Citation")
        _string(citation, "gmd:title", dataset.conformity_specification)
        if dataset.conformity_date:
            _citation_date(citation, dataset.conformity_date, "publication")
        else:
            _el(citation, "gmd:date", gco_nilReason="unknown")
        _string(result, "gmd:explanation", _("Voir la spécification référencée"))
        if dataset.conformity_degree == Dataset.Conformity.NOT_EVALUATED:
            _el(result, "gmd:pass", gco_nilReason="unknown")
        else:
            _el(
                _el(result, "gmd:pass"),
                "gco:Boolean",
                "true" if dataset.conformity_degree == Dataset.Conformity.CONFORMANT else "false",
            )
    if not service:
        lineage = _el(_el(quality, "gmd:lineage"), "gmd:LI_Lineage")
        _string(lineage, "gmd:statement", dataset.lineage)


def _build(dataset: Dataset) -> etree._Element:
    root = etree.Element(_q("gmd:MD_Metadata"), nsmap=NS)
    root.set(_q("xsi:schemaLocation"), SCHEMA_LOCATION)
    service = dataset.resource_type == Dataset.ResourceType.SERVICE
    keywords = list(dataset.keywords.all())
    parties = list(dataset.parties.all())
    links = _links(dataset)

    _string(root, "gmd:fileIdentifier", str(dataset.uuid))
    _language(root, "gmd:language", "fre")
    _code(root, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
    _code(root, "gmd:hierarchyLevel", "MD_ScopeCode", dataset.resource_type)
    if service:
        _string(root, "gmd:hierarchyLevelName", "service")
    metadata_parties = [p for p in parties if p.for_metadata]
    for party in metadata_parties:
        _party(root, "gmd:contact", party.contact, party.role)
    if not metadata_parties:
        _party(root, "gmd:contact", _organisation_contact(dataset), ResponsibleParty.Role.POINT_OF_CONTACT)
    stamp = dataset.updated_at or dataset.created_at
    _el(_el(root, "gmd:dateStamp"), "gco:DateTime", stamp.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _string(root, "gmd:metadataStandardName", "ISO 19115:2003/19139")
    _string(root, "gmd:metadataStandardVersion", "1.0")
    if dataset.srid:
        reference = _el(
            _el(_el(root, "gmd:referenceSystemInfo"), "gmd:MD_ReferenceSystem"), "gmd:referenceSystemIdentifier"
        )
        identifier = _el(reference, "gmd:RS_Identifier")
        _string(identifier, "gmd:code", f"EPSG:{dataset.srid}", f"{EPSG_URI}{dataset.srid}")
        _string(identifier, "gmd:codeSpace", "EPSG")

    identification = _el(
        _el(root, "gmd:identificationInfo"), "srv:SV_ServiceIdentification" if service else "gmd:MD_DataIdentification"
    )
    citation = _el(_el(identification, "gmd:citation"), "gmd:CI_Citation")
    _string(citation, "gmd:title", dataset.title)
    dates = [(dataset.data_created, "creation"), (dataset.data_revised, "revision")]
    if dataset.published_at:
        dates.append((dataset.published_at.date(), "publication"))
    dates = [(day, kind) for day, kind in dates if day]
    for day, kind in dates:
        _citation_date(citation, day, kind)
    if not dates:
        _el(citation, "gmd:date", gco_nilReason="missing")
    rs_identifier = _el(_el(citation, "gmd:identifier"), "gmd:RS_Identifier")
    _string(rs_identifier, "gmd:code", str(dataset.uuid))
    _string(rs_identifier, "gmd:codeSpace", settings.SITE_URL + "/")
    _string(identification, "gmd:abstract", dataset.abstract)
    resource_parties = [p for p in parties if not p.for_metadata]
    for party in resource_parties:
        _party(identification, "gmd:pointOfContact", party.contact, party.role)
    if not resource_parties:
        _party(
            identification, "gmd:pointOfContact", _organisation_contact(dataset), ResponsibleParty.Role.POINT_OF_CONTACT
        )
    maintenance = _el(_el(identification, "gmd:resourceMaintenance"), "gmd:MD_MaintenanceInformation")
    _code(maintenance, "gmd:maintenanceAndUpdateFrequency", "MD_MaintenanceFrequencyCode", dataset.update_frequency)
    if dataset.thumbnail:
        graphic = _el(_el(identification, "gmd:graphicOverview"), "gmd:MD_BrowseGraphic")
        _string(graphic, "gmd:fileName", _absolute(dataset.thumbnail.url))
        _string(graphic, "gmd:fileDescription", _("Vignette"))
    _keywords(identification, "gmd:descriptiveKeywords", keywords, service)
    if service:
        block = _el(_el(identification, "gmd:descriptiveKeywords"), "gmd:MD_Keywords")
        category = {"view": "infoMapAccessService", "download": "infoFeatureAccessService"}.get(
            _service_type(links), "infoManagementService"
        )
        _string(block, "gmd:keyword", category)
        _thesaurus(block, *SERVICE_CLASSIFICATION_CITATION)
    _constraints(identification, "gmd:resourceConstraints", dataset)
    if service:
        _el(_el(identification, "srv:serviceType"), "gco:LocalName", _service_type(links))
        _extent(identification, "srv:extent", dataset)
        _code(identification, "srv:couplingType", "SV_CouplingType", "loose", prefix="srv")
        services = [link for link in links if link[1].startswith("OGC:")] or links[:1]
        for href, protocol, *_rest in services:
            operation = _el(_el(identification, "srv:containsOperations"), "srv:SV_OperationMetadata")
            _string(operation, "srv:operationName", "GetCapabilities" if protocol.startswith("OGC:") else "GetResource")
            _code(operation, "srv:DCP", "DCPList", "WebServices", prefix="srv")
            _el(_el(_el(operation, "srv:connectPoint"), "gmd:CI_OnlineResource"), "gmd:linkage").append(_url(href))
    else:
        if dataset.scale_denominator:
            fraction = _el(
                _el(_el(identification, "gmd:spatialResolution"), "gmd:MD_Resolution"), "gmd:equivalentScale"
            )
            denominator = _el(_el(fraction, "gmd:MD_RepresentativeFraction"), "gmd:denominator")
            _el(denominator, "gco:Integer", str(dataset.scale_denominator))
        if dataset.resolution_m:
            distance = _el(_el(_el(identification, "gmd:spatialResolution"), "gmd:MD_Resolution"), "gmd:distance")
            _el(distance, "gco:Distance", repr(float(dataset.resolution_m)), uom="m")
        _language(identification, "gmd:language", dataset.language or "fre")
        _code(identification, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
        for keyword in keywords:
            if keyword.thesaurus == Keyword.Thesaurus.ISO_TOPIC:
                _el(_el(identification, "gmd:topicCategory"), "gmd:MD_TopicCategoryCode", keyword.code)
        _extent(identification, "gmd:extent", dataset)

    distribution = _el(_el(root, "gmd:distributionInfo"), "gmd:MD_Distribution")
    if dataset.data_format or not service:
        distribution_format = _el(_el(distribution, "gmd:distributionFormat"), "gmd:MD_Format")
        if dataset.data_format:
            _string(distribution_format, "gmd:name", dataset.data_format)
        else:
            _el(distribution_format, "gmd:name", gco_nilReason="unknown")
        _el(distribution_format, "gmd:version", gco_nilReason="unknown")
    transfer = _el(_el(distribution, "gmd:transferOptions"), "gmd:MD_DigitalTransferOptions")
    for link in links:
        _online(transfer, *link)
    _data_quality(root, dataset, service)
    return root


def export(dataset: Dataset) -> bytes:
    """The record as an ISO 19139 gmd:MD_Metadata document (UTF-8), labels in French whatever the request's language."""
    with translation.override("fr"):
        root = _build(dataset)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_string(dataset: Dataset) -> str:
    return export(dataset).decode("utf-8")
