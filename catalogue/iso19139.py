"""ISO 19139 (gmd, 2007-04-17) encoding of catalogue records, following the INSPIRE metadata technical guidelines.

This is the only module that knows the XML encoding: `export()` writes a gmd:MD_Metadata document for a record,
`parse()` reads one back into plain values and `import_record()` creates or updates a record from it. Uploaded
documents are hostile until proven otherwise: no DTD, no entity, no network, no huge tree.
"""

import datetime
import math
import uuid as uuid_module

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from lxml import etree

from geoplatform import rights
from wxs.links import service_links

from . import editor, records, thesauri
from .models import Contact, Dataset, DatasetLink, Keyword, RecordRevision, ResponsibleParty

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
    for service in service_links(dataset, _absolute):
        function = "browsing" if service.key in {"wms", "wmts", "viewer", "context"} else "download"
        links.append((service.url, service.protocol, dataset.layer_name, dataset.title, function))
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
    if dataset.licence in thesauri.LICENCES:
        href, title = thesauri.LICENCES[dataset.licence]
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
    # The document is public (CSW): it links the thumbnail only when anyone may see the data it pictures.
    if dataset.thumbnail and records.may_see_thumbnail(AnonymousUser(), dataset):
        graphic = _el(_el(identification, "gmd:graphicOverview"), "gmd:MD_BrowseGraphic")
        _string(graphic, "gmd:fileName", _absolute(reverse("catalogue:thumbnail", args=[dataset.pk])))
        _string(graphic, "gmd:fileDescription", _("Vignette"))
        _string(graphic, "gmd:fileType", "png")
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


# --- Reading -----------------------------------------------------------------------------------------------------

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_pis": True,
}
# Record fields an import sets, compared before and after for the revision.
# What a document sets on a record: the fields a revision follows, plus the extent and format it may give.
IMPORTED_FIELDS = [*editor.TRACKED_FIELDS, "bbox_wgs84", "data_format"]
LICENCE_HINTS = [
    (Dataset.Licence.LO_2, ("etalab", "licence ouverte", "open licence", "licence-ouverte")),
    (Dataset.Licence.ODBL, ("odbl", "open database license", "opendatacommons.org/licenses/odbl")),
    (Dataset.Licence.CC0, ("cc0", "publicdomain/zero")),
    (Dataset.Licence.CC_BY, ("cc by", "cc-by", "creativecommons.org/licenses/by/")),
]


def _doctype_refused() -> IsoImportError:
    return IsoImportError(
        "xml_doctype_forbidden",
        _("Les fichiers XML contenant une déclaration DOCTYPE ou des entités sont refusés par sécurité."),
    )


def _safe_root(xml: bytes) -> etree._Element:
    """The document's root, refusing what could expand, fetch or read files (DTDs, entities) and other roots."""
    if len(xml) > MAX_DOCUMENT_BYTES:
        raise IsoImportError("xml_too_large", _("Le fichier dépasse 10 Mo : ce n'est pas une fiche de métadonnées."))
    upper = xml.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise _doctype_refused()
    try:
        root = etree.fromstring(xml, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise IsoImportError(
            "xml_invalid", _("Le fichier n'est pas un document XML bien formé (%(error)s).") % {"error": exc}
        ) from exc
    docinfo = root.getroottree().docinfo
    # Other encodings (UTF-16…) pass the byte check: ask the parsed tree too.
    if docinfo.doctype or docinfo.internalDTD is not None or next(root.iter(etree.Entity), None) is not None:
        raise _doctype_refused()
    if root.tag != _q("gmd:MD_Metadata"):
        raise IsoImportError(
            "not_iso19139",
            _("Ce fichier n'est pas une fiche ISO 19139 : l'élément racine doit être gmd:MD_Metadata, pas %(tag)s.")
            % {"tag": etree.QName(root).localname},
        )
    return root


def _find(node: etree._Element | None, path: str) -> list[etree._Element]:
    return [] if node is None else node.xpath(path, namespaces=NS)


def _value(node: etree._Element | None, path: str = ".") -> str:
    """The text of a CharacterString property (gco:CharacterString or gmx:Anchor), or ''."""
    for prop in _find(node, path):
        for child in prop:
            if child.tag in {_q("gco:CharacterString"), _q("gmx:Anchor")} and child.text:
                return child.text.strip()
    return ""


def _href(node: etree._Element | None, path: str = ".") -> str:
    for prop in _find(node, path):
        anchor = prop.find(_q("gmx:Anchor"))
        if anchor is not None:
            return (anchor.get(_q("xlink:href")) or "").strip()
    return ""


def _code_value(node: etree._Element | None, path: str) -> str:
    for prop in _find(node, path):
        for child in prop:
            return (child.get("codeListValue") or child.text or "").strip()
    return ""


def _day(text: str | None) -> datetime.date | None:
    text = (text or "").strip()
    for candidate in (text[:10], f"{text[:7]}-01", f"{text[:4]}-01-01"):
        try:
            return datetime.date.fromisoformat(candidate)
        except ValueError:
            continue
    return None


def _number(text: str | None) -> float | None:
    try:
        number = float((text or "").strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


_WEB_URL = URLValidator(schemes=["http", "https", "ftp"])


def _web_url(text: str | None, length: int) -> str:
    """A link from a foreign document, kept only if it is a web address (never javascript: or data:)."""
    url = (text or "").strip()
    try:
        _WEB_URL(url)
    except ValidationError:
        return ""
    return url if len(url) <= length else ""


def _party_values(node: etree._Element, for_metadata: bool) -> dict:
    role = _code_value(node, "gmd:role")
    info = _find(node, "gmd:contactInfo/gmd:CI_Contact")
    info = info[0] if info else None
    address = _find(info, "gmd:address/gmd:CI_Address")
    address = address[0] if address else None
    linkage = _find(info, "gmd:onlineResource/gmd:CI_OnlineResource/gmd:linkage/gmd:URL")
    return {
        "name": _value(node, "gmd:individualName")[:200],
        "organisation_name": _value(node, "gmd:organisationName")[:200],
        "position": _value(node, "gmd:positionName")[:200],
        "email": _value(address, "gmd:electronicMailAddress")[:254],
        "phone": _value(info, "gmd:phone/gmd:CI_Telephone/gmd:voice")[:50],
        "address": _value(address, "gmd:deliveryPoint")[:300],
        "city": _value(address, "gmd:city")[:100],
        "postal_code": _value(address, "gmd:postalCode")[:20],
        "country": _value(address, "gmd:country")[:100],
        "url": _web_url(linkage[0].text, 200) if linkage else "",
        "role": role if role in ResponsibleParty.Role.values else ResponsibleParty.Role.POINT_OF_CONTACT,
        "for_metadata": for_metadata,
    }


def _keyword_values(identification: etree._Element) -> list[dict]:
    found = []
    for block in _find(identification, "gmd:descriptiveKeywords/gmd:MD_Keywords | srv:keywords/gmd:MD_Keywords"):
        thesaurus = _value(block, "gmd:thesaurusName/gmd:CI_Citation/gmd:title")
        thesaurus_uri = _href(block, "gmd:thesaurusName/gmd:CI_Citation/gmd:title")
        for keyword in _find(block, "gmd:keyword"):
            label = _value(keyword)
            if label:
                found.append(
                    {"label": label, "uri": _href(keyword), "thesaurus": thesaurus, "thesaurus_uri": thesaurus_uri}
                )
    return found


def _constraint_values(identification: etree._Element) -> dict:
    values: dict = {}
    licences: list[tuple[str, str]] = []
    limitations = []
    with translation.override("fr"):
        access_labels = {str(label).lower(): code for code, label in Dataset.AccessConstraint.choices}
    access_labels.update(
        {code.lower(): code for code in Dataset.AccessConstraint.values}, **{"no limitations": "noLimitations"}
    )
    for block in _find(identification, "gmd:resourceConstraints/*"):
        limitations += [_value(node) for node in _find(block, "gmd:useLimitation")]
        for other in _find(block, "gmd:otherConstraints"):
            text, href = _value(other), _href(other)
            code = href.rstrip("/").rsplit("/", 1)[-1] if "LimitationsOnPublicAccess" in href else ""
            code = code or access_labels.get(text.lower(), "")
            if code in Dataset.AccessConstraint.values:
                values.setdefault("access_constraint", code)
            elif text or href:
                licences.append((text, href))
    values["use_constraints"] = "\n".join(v for v in limitations if v)
    for text, href in licences:
        haystack = f"{text} {href}".lower()
        licence = next((code for code, hints in LICENCE_HINTS if any(h in haystack for h in hints)), None)
        if licence:
            values.update(licence=licence, licence_other="")
            break
    else:
        if licences:
            text, href = licences[0]
            values.update(licence=Dataset.Licence.OTHER, licence_other=(href or text)[:300])
    return values


def _extent_values(identification: etree._Element) -> dict:
    values: dict = {}
    boxes = []
    for box in _find(identification, ".//gmd:EX_GeographicBoundingBox"):
        sides = [
            _number(box.findtext(f"gmd:{side}/gco:Decimal", namespaces=NS))
            for side in ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")
        ]
        if None not in sides and -180 <= sides[0] <= sides[2] <= 180 and -90 <= sides[1] <= sides[3] <= 90:
            boxes.append(sides)
    if boxes:
        values["bbox_wgs84"] = [
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ]
    # Any GML version: TimePeriod with begin/endPosition, or begin/end TimeInstant.
    for period in _find(identification, ".//gmd:EX_TemporalExtent//*[local-name()='TimePeriod']"):
        for bound, field in (("begin", "temporal_start"), ("end", "temporal_end")):
            texts = period.xpath(
                f"*[local-name()='{bound}Position']/text()"
                f" | *[local-name()='{bound}']//*[local-name()='timePosition']/text()"
            )
            if texts and _day(texts[0]):
                values[field] = _day(texts[0])
        break
    return values


def _quality_values(root: etree._Element) -> dict:
    values: dict = {}
    lineage = _value(root, "gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:lineage/gmd:LI_Lineage/gmd:statement")
    if lineage:
        values["lineage"] = lineage
    results = _find(root, "gmd:dataQualityInfo//gmd:DQ_DomainConsistency/gmd:result/gmd:DQ_ConformanceResult")
    # INSPIRE's interoperability regulation first, when several specifications are reported.
    results.sort(key=lambda r: "1089/2010" not in _value(r, "gmd:specification/gmd:CI_Citation/gmd:title"))
    if results:
        result = results[0]
        values["conformity_specification"] = _value(result, "gmd:specification/gmd:CI_Citation/gmd:title")[:300]
        dates = _find(result, "gmd:specification/gmd:CI_Citation/gmd:date/gmd:CI_Date/gmd:date/*")
        values["conformity_date"] = _day(dates[0].text) if dates else None
        passed = (result.findtext("gmd:pass/gco:Boolean", namespaces=NS) or "").strip().lower()
        values["conformity_degree"] = {
            "true": Dataset.Conformity.CONFORMANT,
            "1": Dataset.Conformity.CONFORMANT,
            "false": Dataset.Conformity.NOT_CONFORMANT,
            "0": Dataset.Conformity.NOT_CONFORMANT,
        }.get(passed, Dataset.Conformity.NOT_EVALUATED)
    return values


def parse(xml: bytes) -> dict:
    """What an ISO 19139 document says about a resource, as record field values, keywords, parties and links."""
    root = _safe_root(xml)
    identification = next(iter(_find(root, "gmd:identificationInfo/*")), None)
    if identification is None:
        raise IsoImportError("identification_missing", _("La fiche ne décrit aucune ressource (identificationInfo)."))
    scope = _code_value(root, "gmd:hierarchyLevel")
    values: dict = {
        "file_identifier": _value(root, "gmd:fileIdentifier"),
        "title": _value(identification, "gmd:citation/gmd:CI_Citation/gmd:title")[:255],
        "abstract": _value(identification, "gmd:abstract"),
        "resource_type": scope if scope in Dataset.ResourceType.values else Dataset.ResourceType.DATASET,
        "parties": [_party_values(node, True) for node in _find(root, "gmd:contact/gmd:CI_ResponsibleParty")]
        + [_party_values(node, False) for node in _find(identification, "gmd:pointOfContact/gmd:CI_ResponsibleParty")],
        "keywords": _keyword_values(identification),
        "topic_categories": [
            (node.text or "").strip() for node in _find(identification, "gmd:topicCategory/gmd:MD_TopicCategoryCode")
        ],
    }
    language = _code_value(identification, "gmd:language") or _code_value(root, "gmd:language")
    if len(language) == 3:
        values["language"] = language
    for date in _find(identification, "gmd:citation/gmd:CI_Citation/gmd:date/gmd:CI_Date"):
        kind = _code_value(date, "gmd:dateType")
        day = _day(next(iter(date.xpath("gmd:date/*/text()", namespaces=NS)), ""))
        if day and kind in {"creation", "revision"}:
            values[f"data_{'created' if kind == 'creation' else 'revised'}"] = day
    frequency = _code_value(
        identification, "gmd:resourceMaintenance/gmd:MD_MaintenanceInformation/gmd:maintenanceAndUpdateFrequency"
    )
    if frequency in Dataset.Frequency.values:
        values["update_frequency"] = frequency
    scale = _find(identification, "gmd:spatialResolution//gmd:denominator/gco:Integer")
    if scale and (scale[0].text or "").strip().isdigit():
        values["scale_denominator"] = int(scale[0].text)
    distance = _find(identification, "gmd:spatialResolution//gmd:distance/gco:Distance")
    if distance and _number(distance[0].text) is not None:
        factor = {"km": 1000.0, "cm": 0.01, "mm": 0.001}.get((distance[0].get("uom") or "m").rsplit("#", 1)[-1], 1.0)
        values["resolution_m"] = _number(distance[0].text) * factor
    values.update(_constraint_values(identification))
    values.update(_extent_values(identification))
    values.update(_quality_values(root))
    data_format = _value(root, "gmd:distributionInfo/gmd:MD_Distribution/gmd:distributionFormat/gmd:MD_Format/gmd:name")
    if data_format:
        values["data_format"] = data_format[:50]
    code = _href(root, "gmd:referenceSystemInfo//gmd:RS_Identifier/gmd:code") or _value(
        root, "gmd:referenceSystemInfo//gmd:RS_Identifier/gmd:code"
    )
    srid = code.rstrip("/").replace("::", ":").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if srid.isdigit():
        values["srid"] = int(srid)
    values["links"] = [
        {
            "url": _web_url(resource.findtext("gmd:linkage/gmd:URL", namespaces=NS), 1000),
            "protocol": _value(resource, "gmd:protocol")[:100],
            "name": _value(resource, "gmd:name")[:255],
            "description": _value(resource, "gmd:description"),
        }
        for resource in _find(root, "gmd:distributionInfo//gmd:transferOptions//gmd:onLine/gmd:CI_OnlineResource")
    ]
    return values


# --- Importing ---------------------------------------------------------------------------------------------------


def _normal_uri(uri: str) -> str:
    return uri.strip().rstrip("/").replace("https://", "http://").lower()


def _keywords_for(values: dict) -> list[Keyword]:
    """Thesaurus keywords matched by URI, code or label (French or English); anything else becomes a free keyword."""
    known = list(Keyword.objects.exclude(thesaurus=Keyword.Thesaurus.FREE))
    by_uri = {_normal_uri(k.uri): k for k in known if k.uri}
    chosen: dict[int, Keyword] = {}
    for entry in values["keywords"]:
        name = entry["thesaurus"].lower()
        if "inspire" in name:
            candidates = [k for k in known if k.thesaurus == Keyword.Thesaurus.INSPIRE_THEME]
        elif "gemet" in name:
            candidates = [k for k in known if k.thesaurus == Keyword.Thesaurus.GEMET]
        else:
            candidates = [k for k in known if k.thesaurus != Keyword.Thesaurus.ISO_TOPIC]
        label = entry["label"].lower()
        keyword = by_uri.get(_normal_uri(entry["uri"])) if entry["uri"] else None
        keyword = keyword or next(
            (k for k in candidates if label in {k.label.lower(), k.label_en.lower(), k.code.lower()}), None
        )
        keyword = keyword or editor.free_keyword(entry["label"])
        chosen[keyword.pk] = keyword
    topics = {k.code: k for k in known if k.thesaurus == Keyword.Thesaurus.ISO_TOPIC}
    for code in values["topic_categories"]:
        if code in topics:
            chosen[topics[code].pk] = topics[code]
    return list(chosen.values())


def _contact_for(party: dict, organisation) -> Contact:
    """The same body and email is one contact, reused across records (the organisation's own, or a shared one)."""
    fields = {k: v for k, v in party.items() if k not in {"role", "for_metadata"}}
    fields["organisation_name"] = fields["organisation_name"] or organisation.name
    existing = (
        Contact.objects.filter(
            Q(organisation=organisation) | Q(organisation=None),
            email__iexact=fields["email"],
            organisation_name__iexact=fields["organisation_name"],
        )
        .order_by(F("organisation").asc(nulls_last=True), "pk")
        .first()
    )
    return existing or Contact.objects.create(organisation=organisation, **fields)


def _by_identifier(file_identifier: str) -> Dataset | None:
    try:
        return Dataset.objects.filter(uuid=uuid_module.UUID(file_identifier)).first()
    except ValueError:
        return None


def import_record(xml: bytes, *, user, organisation=None, dataset: Dataset | None = None) -> Dataset:
    """Create a record of `organisation` from an ISO 19139 document, or update `dataset` (or the record whose
    fileIdentifier the document carries, if the user may edit it). Lists the document gives (keywords, contacts,
    links) replace the record's; lists it leaves empty are kept. One RecordRevision (source iso_import) says what
    changed."""
    values = parse(xml)
    if not values["title"]:
        raise IsoImportError(
            "title_missing", _("La fiche n'a pas de titre (citation/title) : elle ne peut être importée.")
        )
    existing = _by_identifier(values["file_identifier"])
    if existing is not None and existing != dataset and not rights.can(user, rights.Action.EDIT, existing):
        raise IsoImportError(
            "identifier_taken",
            _(
                "L'identifiant de cette fiche (fileIdentifier) est celui d'une autre fiche que vous ne pouvez pas "
                "modifier : retirez-le ou changez-le pour importer une nouvelle fiche."
            ),
        )
    if dataset is None:
        dataset = existing
    if dataset is not None and not rights.can(user, rights.Action.EDIT, dataset):
        raise IsoImportError("permission_denied", _("Vous ne pouvez pas modifier cette fiche."))
    if dataset is None and (
        organisation is None or not rights.producer_organisations(user).filter(pk=organisation.pk).exists()
    ):
        raise IsoImportError("organisation_required", _("Indiquez une organisation dont vous êtes producteur."))

    with transaction.atomic(), records.batch():
        if dataset is None:
            dataset = Dataset(organisation=organisation, created_by=user)
            if existing is None and values["file_identifier"] and _by_identifier(values["file_identifier"]) is None:
                try:
                    dataset.uuid = uuid_module.UUID(values["file_identifier"])
                except ValueError:
                    pass
            before: dict = {}
        else:
            before = editor.snapshot(dataset)
        for field in IMPORTED_FIELDS:
            if field in values and (field != "bbox_wgs84" or not dataset.has_data):
                setattr(dataset, field, values[field])
        if "srid" in values and not dataset.has_data:
            dataset.srid = values["srid"]
        dataset.save()
        keywords = _keywords_for(values)
        if keywords:
            dataset.keywords.set(keywords)
        if values["parties"]:
            dataset.parties.all().delete()
            for party in values["parties"]:
                ResponsibleParty.objects.create(
                    dataset=dataset,
                    contact=_contact_for(party, dataset.organisation),
                    role=party["role"],
                    for_metadata=party["for_metadata"],
                )
        external = [link for link in values["links"] if link["url"] and not link["url"].startswith(settings.SITE_URL)]
        if external:
            dataset.extra_links.all().delete()
            DatasetLink.objects.bulk_create(
                [
                    DatasetLink(dataset=dataset, **{**link, "name": link["name"] or link["url"][:255]})
                    for link in external
                ]
            )
            records.changed([dataset.pk])  # bulk_create sends no signal; the stored document lists the links
        changes = editor.diff(before, editor.snapshot(dataset))
        RecordRevision.objects.create(dataset=dataset, author=user, source="iso_import", changes=changes)
    return Dataset.objects.get(pk=dataset.pk)
