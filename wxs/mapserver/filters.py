"""The FILTER parameter MapServer applies to WMS GetMap/GetFeatureInfo (vendor parameter) and WFS GetFeature.

MapServer 8 turns an OGC Filter Encoding 1.1 / FES 2.0 document into SQL on PostGIS layers. It escapes literals,
but it writes property names into the column list of its query as they come, so a name is never handed to it
unless it is exactly one of the requested layers' attributes. The filter is ANDed with the layer's own query: a
territory-limited layer (a subquery clipping the features) stays limited whatever the filter says.

WMS syntax (one filter per layer of LAYERS, each in parentheses when there are several):
    FILTER=<Filter><PropertyIsEqualTo><PropertyName>code</PropertyName><Literal>3</Literal></PropertyIsEqualTo></Filter>
"""

import re

from django.utils.translation import gettext as _
from lxml import etree

MAX_FILTER_LENGTH = 20_000
FILTER_PART = re.compile(r"<(?:[\w.-]+:)?Filter\b.*?</(?:[\w.-]+:)?Filter\s*>", re.S)
ATTRIBUTE_NAME = re.compile(r"[\w-]{1,63}")
GEOMETRY_NAMES = {"geom", "msGeometry"}
# PropertyIsLike's wildCard, singleChar and escape(Char): characters that mean nothing to SQL's quoting.
LIKE_CHARACTERS = set("*%_.?!#")
IDENTIFIER = re.compile(r"[\w.-]{1,100}")
LAYER_PARAMETERS = ("layers", "query_layers", "typename", "typenames")


class FilterError(ValueError):
    """A FILTER refused before MapServer sees it; the message is for people (French)."""


def filter_values(params: dict[str, str]) -> list[str]:
    """Every FILTER of the request (a repeated parameter reaches MapServer under several spellings)."""
    return [value for key, value in params.items() if key.lower() == "filter"]


def requested_layers(params: dict[str, str]) -> set[str]:
    """Layer names a request asks for (LAYERS, QUERY_LAYERS, TYPENAME(S)), without namespace prefix."""
    names: set[str] = set()
    for key, value in params.items():
        if key.lower() in LAYER_PARAMETERS:
            for name in re.split(r"[,()\s]+", value):
                if name:
                    names.add(name.rsplit(":", 1)[-1])
    return names


def _parse(part: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(part.encode("utf-8"), parser)
    except etree.XMLSyntaxError as error:
        raise FilterError(_("FILTER : le filtre n'est pas un document XML valide.")) from error
    if root.getroottree().docinfo.internalDTD is not None:
        raise FilterError(_("FILTER : les DTD ne sont pas acceptées."))
    return root


def check(value: str, attributes: set[str]) -> None:
    """Refuse a FILTER naming anything but `attributes` (and the geometry), or with unsafe PropertyIsLike marks."""
    if len(value) > MAX_FILTER_LENGTH:
        raise FilterError(_("FILTER : le filtre dépasse %(n)s caractères.") % {"n": MAX_FILTER_LENGTH})
    if "<!" in value:
        raise FilterError(_("FILTER : les DTD, entités et sections CDATA ne sont pas acceptées."))
    parts = FILTER_PART.findall(value)
    if not parts:
        raise FilterError(_("FILTER : aucun élément <Filter> (Filter Encoding OGC) n'a été trouvé."))
    for part in parts:
        for element in _parse(part).iter():
            if not isinstance(element.tag, str):
                continue  # comments, processing instructions
            local = etree.QName(element).localname
            if local in ("PropertyName", "ValueReference"):
                name = (element.text or "").rsplit(":", 1)[-1]
                known = name in attributes or name in GEOMETRY_NAMES
                if not (known and ATTRIBUTE_NAME.fullmatch(name)):
                    raise FilterError(
                        _("FILTER : attribut inconnu « %(name)s » pour la couche demandée.") % {"name": name[:100]}
                    )
            if local == "PropertyIsLike":
                marks = [element.get(a) for a in ("wildCard", "singleChar", "escape", "escapeChar") if element.get(a)]
                if any(len(mark) != 1 or mark not in LIKE_CHARACTERS for mark in marks):
                    raise FilterError(_("FILTER : caractères de PropertyIsLike non pris en charge (utilisez * . !)."))
            for key in ("fid", "rid", "gml:id", "{http://www.opengis.net/gml}id", "{http://www.opengis.net/gml/3.2}id"):
                identifier = element.get(key)
                if identifier is not None and not IDENTIFIER.fullmatch(identifier):
                    raise FilterError(_("FILTER : identifiant d'objet invalide."))


def exception_document(message: str, service: str) -> tuple[bytes, int, str]:
    """The OGC exception answering a refused FILTER: (body, HTTP status, content type)."""
    if service.upper() == "WFS":
        ows = "http://www.opengis.net/ows/1.1"
        root = etree.Element(f"{{{ows}}}ExceptionReport", nsmap={"ows": ows}, version="2.0.0")
        exception = etree.SubElement(root, f"{{{ows}}}Exception", exceptionCode="InvalidParameterValue")
        exception.set("locator", "FILTER")
        etree.SubElement(exception, f"{{{ows}}}ExceptionText").text = message
        status = 400
    else:
        ogc = "http://www.opengis.net/ogc"
        root = etree.Element(f"{{{ogc}}}ServiceExceptionReport", nsmap={None: ogc}, version="1.3.0")
        exception = etree.SubElement(root, f"{{{ogc}}}ServiceException", code="InvalidParameterValue")
        exception.set("locator", "FILTER")
        exception.text = message
        status = 200  # as MapServer answers WMS exceptions
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return body, status, "text/xml; charset=UTF-8"
