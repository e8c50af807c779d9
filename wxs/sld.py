"""SLD 1.0 / 1.1 export and import of a dataset's style, both done by MapServer itself (mapscript).

Export: MapServer writes the SLD of the layer as the mapfile draws it. Import: the document is checked (size, no
DTD or entities, nothing that makes MapServer fetch a URL), then MapServer applies it to the dataset's layer and
the CLASS blocks it built are read back as text for our mapfiles.
"""

import re
import threading

from django.utils.translation import gettext as _
from lxml import etree

from catalogue.models import Dataset
from wxs.styles import StyleError, definition_classes, validate

MAX_SLD_BYTES = 512 * 1024
SLD_VERSIONS = ("1.0.0", "1.1.0")
SLD_NAMESPACE = "http://www.opengis.net/sld"
SE_NAMESPACE = "http://www.opengis.net/se"
# Elements that make MapServer read a remote or local resource, or inline data it was not given by us.
FORBIDDEN_ELEMENTS = {"ExternalGraphic", "OnlineResource", "RemoteOWS", "InlineFeature", "InlineContent"}
# mapscript keeps global error state: one SLD operation at a time per process.
_lock = threading.Lock()


def _mapscript():
    import mapscript  # Debian python3-mapscript, linked into the venv by scripts/install.sh

    return mapscript


def export_sld(dataset: Dataset, version: str = "1.0.0", classes: str | None = None) -> str:
    """The SLD document of the dataset's layer (its default style, or `classes`), written by MapServer."""
    if version not in SLD_VERSIONS:
        raise StyleError("bad_sld_version", _("Version SLD non prise en charge : %(v)s.") % {"v": version})
    with _lock:
        mapobj = _map_from_text(_mapfile_text(dataset, classes))
        return mapobj.generateSLD(version)


def _mapfile_text(dataset: Dataset, classes: str | None) -> str:
    from wxs.mapserver import mapfiles

    text = mapfiles.mapfile_text(dataset)
    # Only the default style (or `classes`), even when the layer offers several WMS styles.
    drawn = classes if classes is not None else mapfiles.styles.mapfile_classes(dataset)
    return text.replace(mapfiles.styles.layer_classes(dataset), drawn, 1)


def _map_from_text(text: str):
    """mapscript's reading of a mapfile (its `fromstring` wants the text to start with MAP)."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return _mapscript().fromstring(body)


def check_sld(document: bytes | str) -> etree._Element:
    """The parsed SLD, or StyleError: too big, not XML, DTD/entities, remote resources, not an SLD."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    if len(data) > MAX_SLD_BYTES:
        raise StyleError("sld_too_big", _("Le fichier SLD est trop volumineux (512 Ko au plus)."))
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise StyleError("sld_not_xml", _("Le fichier SLD n'est pas un XML valide : %(e)s") % {"e": error}) from error
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise StyleError("sld_dtd", _("Les SLD contenant une déclaration DOCTYPE ou des entités sont refusés."))
    if etree.QName(root).localname != "StyledLayerDescriptor":
        raise StyleError("sld_not_sld", _("Ce document n'est pas un SLD (StyledLayerDescriptor attendu)."))
    if root.get("version") not in (None, *SLD_VERSIONS):
        raise StyleError("bad_sld_version", _("Version SLD non prise en charge : %(v)s.") % {"v": root.get("version")})
    for element in root.iter():
        if not isinstance(element.tag, str):
            if isinstance(element, etree._Entity):
                raise StyleError("sld_dtd", _("Les SLD contenant une déclaration DOCTYPE ou des entités sont refusés."))
            continue
        name = etree.QName(element).localname
        if name in FORBIDDEN_ELEMENTS or any("href" in key for key in element.attrib):
            raise StyleError(
                "sld_remote",
                _("Les SLD faisant référence à des ressources externes (%(name)s) sont refusés.") % {"name": name},
            )
    return root


def _rename_layers(root: etree._Element, layer_name: str) -> bytes:
    """Every NamedLayer applies to our layer, whatever the tool that wrote the SLD called it."""
    layers = [el for el in root if etree.QName(el).localname == "NamedLayer"]
    if not layers:
        raise StyleError("sld_no_layer", _("Le SLD ne contient aucune couche (NamedLayer)."))
    for layer in layers[1:]:
        root.remove(layer)
    names = [el for el in layers[0] if etree.QName(el).localname == "Name"]
    if names:
        names[0].text = layer_name
    else:
        name = etree.Element(f"{{{SE_NAMESPACE if root.get('version') == '1.1.0' else SLD_NAMESPACE}}}Name")
        name.text = layer_name
        layers[0].insert(0, name)
    return etree.tostring(root, encoding="utf-8")


def import_sld(dataset: Dataset, document: bytes | str) -> str:
    """MapServer's reading of an SLD as mapfile text for the dataset's layer (LAYER-level lines, then CLASSes)."""
    root = check_sld(document)
    data = _rename_layers(root, dataset.layer_name).decode("utf-8")
    with _lock:
        # The layer must be openable: MapServer checks the filter attributes against the real table.
        mapobj = _map_from_text(
            _mapfile_text(dataset, definition_classes(dataset, "single", validate(dataset, "single", {})))
        )
        layer = mapobj.getLayerByName(dataset.layer_name)
        while layer.numclasses:
            layer.removeClass(0)
        layer.classitem = None
        layer.labelitem = None
        layer.setProcessingKey("CLOSE_CONNECTION", "ALWAYS")  # no database session left behind in this process
        try:
            layer.applySLD(data, dataset.layer_name)
        except Exception as error:  # mapscript raises OSError/MapServerError with MapServer's message
            raise StyleError(
                "sld_rejected", _("MapServer n'a pas pu lire ce SLD : %(e)s") % {"e": str(error)[:300]}
            ) from error
        if not layer.numclasses:
            raise StyleError("sld_no_rules", _("Le SLD ne contient aucune règle applicable à cette couche."))
        text = _known_symbols(_layer_text(layer))
        try:  # what goes into every mapfile must load: a broken LAYER would refuse every request
            _map_from_text(_mapfile_text(dataset, text))
        except Exception as error:
            raise StyleError(
                "sld_rejected", _("MapServer n'a pas pu lire ce SLD : %(e)s") % {"e": str(error)[:300]}
            ) from error
        return text


def _known_symbols(text: str) -> str:
    """MapServer names the marks it builds from an SLD (`sld_mark_symbol_square_filled`…), symbols our mapfiles do
    not define: draw them with the mapfile's circle."""
    return re.sub(
        r'SYMBOL\s+"(?!circle")[^"\n]*"', 'SYMBOL "circle"', re.sub(r"SYMBOL\s+[1-9][0-9]*\b", 'SYMBOL "circle"', text)
    )


def _layer_text(layer) -> str:
    from wxs.mapserver.mapfiles import _quote

    lines = []
    if layer.minscaledenom > 0:
        lines.append(f"    MINSCALEDENOM {layer.minscaledenom:.0f}")
    if layer.maxscaledenom > 0:
        lines.append(f"    MAXSCALEDENOM {layer.maxscaledenom:.0f}")
    if layer.classitem:
        lines.append(f"    CLASSITEM {_quote(layer.classitem)}")
    if layer.labelitem:
        lines.append(f"    LABELITEM {_quote(layer.labelitem)}")
    for index in range(layer.numclasses):
        text = layer.getClass(index).convertToString()
        lines.append("\n".join("    " + line for line in text.strip().splitlines()))
    return "\n".join(lines)
