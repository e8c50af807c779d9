"""Reading external OGC services from the server without opening a door into our network (SSRF).

`safe_fetch(url)` is the only way the platform fetches an address a person typed: http and https only; the host is
resolved once and every address it resolves to must be a public one (no private, loopback, link-local, multicast,
reserved or unspecified address, IPv4 or IPv6, IPv4-mapped, 6to4 and Teredo included) unless it lies in
`settings.REMOTE_ALLOWED_NETWORKS`; the connection goes to that checked address (a second DNS answer cannot move
it); redirects are followed at most `MAX_REDIRECTS` times, each checked again; time and size are bounded.
`capabilities(url, service)` reads a WMS, WMTS or WFS GetCapabilities that way and lists its layers (OWSLib), after
lxml parsed it without DTD, entities or network.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

TIMEOUT = 10.0  # seconds, for the whole exchange (redirects included)
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}
USER_AGENT = "GeoPlateforme remote-capabilities/1.0"
SERVICES = ("WMS", "WMTS", "WFS")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RemoteError(Exception):
    """A remote address that was refused or did not answer well; `code` is stable, the message is French."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


# --- Address policy ---------------------------------------------------------------------------------------------


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in getattr(settings, "REMOTE_ALLOWED_NETWORKS", ()) or ()]


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and not _public(embedded):
            return False
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_loopback or address.is_link_local
    )


def address_allowed(address: str | IPAddress) -> bool:
    """May the server connect to this address? Public Internet addresses, or those of the allowed networks."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:a.b.c.d is a.b.c.d to the kernel
    if any(ip in network for network in _allowed_networks()):
        return True
    return _public(ip)


def _refused(host: str) -> RemoteError:
    return RemoteError(
        "address_refused",
        _("L'adresse « %(host)s » n'est pas autorisée : seuls les services publics d'Internet peuvent être lus.")
        % {"host": host},
    )


def _checked_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an address the server may fetch, or RemoteError."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise RemoteError("bad_url", _("L'adresse du service est invalide.")) from error
    if parts.scheme.lower() not in ("http", "https"):
        raise RemoteError("address_refused", _("Seules les adresses http:// et https:// sont acceptées."))
    if not parts.hostname:
        raise RemoteError("bad_url", _("L'adresse du service est invalide."))
    if parts.username or parts.password:
        raise RemoteError("bad_url", _("L'adresse du service ne doit pas contenir d'identifiants."))
    try:
        host = parts.hostname.encode("idna").decode("ascii")  # internationalised names, as DNS and Host carry them
    except UnicodeError as error:
        raise RemoteError("bad_url", _("L'adresse du service est invalide.")) from error
    scheme = parts.scheme.lower()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int) -> str:
    """The address to connect to: every address `host` resolves to must be allowed (no mixed answers)."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if not address_allowed(literal):
            raise _refused(host)
        return str(literal)
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise RemoteError(
            "unreachable", _("Le nom « %(host)s » ne correspond à aucun serveur.") % {"host": host}
        ) from error
    addresses = [info[4][0].split("%")[0] for info in answers]
    if not addresses or not all(address_allowed(a) for a in addresses):
        raise _refused(host)
    return addresses[0]


# --- Fetching ---------------------------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Talks HTTP to `host` (Host header) at the already checked `address`."""

    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked `address`, the certificate verified for `host` (SNI too)."""

    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _exchange(url: str, deadline: float, max_bytes: int, accept: str) -> tuple[int, dict[str, str], bytes]:
    scheme, host, port, path = _checked_url(url)
    address = resolve(host, port)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timeout()
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, address, port, remaining)
    try:
        connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": accept})
        response = connection.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        if response.status in REDIRECTS:
            return response.status, headers, b""
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(max_bytes)
        chunks, size = [], 0
        while True:
            if time.monotonic() > deadline:
                raise _timeout()
            chunk = response.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            chunks.append(chunk)
        return response.status, headers, b"".join(chunks)
    except TimeoutError as error:
        raise _timeout() from error
    except ssl.SSLError as error:
        raise RemoteError(
            "unreachable", _("La connexion sécurisée à « %(host)s » a échoué (certificat ?).") % {"host": host}
        ) from error
    except (OSError, http.client.HTTPException) as error:
        raise RemoteError("unreachable", _("Le serveur « %(host)s » ne répond pas.") % {"host": host}) from error
    finally:
        connection.close()


def _timeout() -> RemoteError:
    return RemoteError("timeout", _("Le service distant a mis trop de temps à répondre."))


def _too_large(max_bytes: int) -> RemoteError:
    return RemoteError(
        "too_large", _("La réponse du service distant dépasse %(n)s Mo.") % {"n": round(max_bytes / 1024 / 1024, 1)}
    )


def safe_fetch(
    url: str,
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    accept: str = "*/*",
    redirects: int = MAX_REDIRECTS,
) -> Fetched:
    """GET an address a person gave, refusing any that leads into a private network (see the module docstring)."""
    deadline = time.monotonic() + timeout
    current = url
    for _attempt in range(redirects + 1):
        status, headers, body = _exchange(current, deadline, max_bytes, accept)
        if status in REDIRECTS:
            location = headers.get("location")
            if not location:
                raise RemoteError("unreachable", _("Le service distant a renvoyé une redirection sans adresse."))
            current = urljoin(current, location)
            continue
        if not 200 <= status < 300:
            raise RemoteError(
                "unreachable", _("Le service distant a répondu par une erreur (HTTP %(status)s).") % {"status": status}
            )
        return Fetched(current, status, headers.get("content-type", ""), body, headers)
    raise RemoteError("unreachable", _("Le service distant redirige trop de fois (%(n)s au plus).") % {"n": redirects})


# --- Capabilities -----------------------------------------------------------------------------------------------


def parse_xml(body: bytes) -> etree._Element:
    """An XML document from outside: no DTD (so no entity), nothing loaded from the network, no huge tree."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise _not_capabilities() from error
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise RemoteError("not_capabilities", _("Le document du service distant contient une DTD : il est refusé."))
    return root


def _not_capabilities() -> RemoteError:
    return RemoteError(
        "not_capabilities", _("L'adresse ne renvoie pas les capacités (GetCapabilities) d'un service WMS, WMTS ou WFS.")
    )


OGC_PARAMETERS = {"service", "request", "version", "acceptversions"}


def _service_parameters(query: str) -> list[tuple[str, str]]:
    """A service address's own parameters (MAP=…, a key…), without the OGC request ones."""
    return [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() not in OGC_PARAMETERS]


def capabilities_url(url: str, service: str) -> str:
    """The GetCapabilities request of the service at `url` (its own parameters kept, ours set once)."""
    parts = urlsplit(url.strip())
    if service == "WMTS" and parts.path.lower().endswith(".xml"):
        return urlunsplit(parts)  # RESTful WMTSCapabilities.xml
    query = [*_service_parameters(parts.query), ("SERVICE", service), ("REQUEST", "GetCapabilities")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _base_url(url: str) -> str:
    """The address without the OGC parameters: where GetMap/GetTile/GetFeature requests are sent."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(_service_parameters(parts.query)), fragment=""))


def _operation_url(service, name: str, fallback: str) -> str:
    try:
        methods = service.getOperationByName(name).methods
    except (KeyError, AttributeError, IndexError):
        return fallback
    for method in methods or []:
        href = method.get("url") if isinstance(method, dict) else None
        if href and urlsplit(href).scheme.lower() in ("http", "https"):
            return _base_url(href)
    return fallback


def _bbox(value) -> list[float] | None:
    if not value:
        return None
    try:
        west, south, east, north = (float(v) for v in value[:4])
    except (TypeError, ValueError):
        return None
    return [west, south, east, north]


def _wms_layers(service) -> list[dict]:
    formats = list(service.getOperationByName("GetMap").formatOptions or [])
    layers = []
    for name, layer in service.contents.items():
        if not name:
            continue
        layers.append(
            {
                "name": name,
                "title": layer.title or name,
                "abstract": layer.abstract or "",
                "styles": [{"name": key, "title": value.get("title") or key} for key, value in layer.styles.items()],
                "bbox_wgs84": _bbox(layer.boundingBoxWGS84),
                "queryable": bool(layer.queryable),
                "formats": formats,
            }
        )
    return layers


def _wmts_layers(service) -> list[dict]:
    layers = []
    for name, layer in service.contents.items():
        styles = [
            {"name": key, "title": (value or {}).get("title") or key, "default": bool((value or {}).get("isDefault"))}
            for key, value in (layer.styles or {}).items()
        ]
        layers.append(
            {
                "name": name,
                "title": layer.title or name,
                "abstract": layer.abstract or "",
                "styles": styles,
                "bbox_wgs84": _bbox(layer.boundingBoxWGS84),
                "queryable": bool(getattr(layer, "infoformats", None)),
                "formats": list(layer.formats or []),
                "matrix_sets": sorted(layer.tilematrixsetlinks),
                "resource_urls": [r for r in (layer.resourceURLs or []) if r.get("resourceType") == "tile"],
            }
        )
    return layers


def _operation_parameter(service, operation: str, name: str) -> list[str]:
    """The values an OperationsMetadata parameter allows (e.g. GetFeature's outputFormat), any letter case."""
    try:
        parameters = service.getOperationByName(operation).parameters or {}
    except (KeyError, AttributeError, IndexError):
        return []
    for key, value in parameters.items():
        if key.lower() == name.lower():
            return [v for v in (value.get("values") if isinstance(value, dict) else value) or [] if v]
    return []


def _wfs_layers(service) -> list[dict]:
    service_formats = _operation_parameter(service, "GetFeature", "outputFormat")
    layers = []
    for name, layer in service.contents.items():
        layers.append(
            {
                "name": name,
                "title": layer.title or name,
                "abstract": layer.abstract or "",
                "styles": [],
                "bbox_wgs84": _bbox(layer.boundingBoxWGS84),
                "queryable": True,
                "formats": list(getattr(layer, "outputFormats", None) or service_formats),
            }
        )
    return layers


def _read(service: str, url: str, body: bytes, root: etree._Element):
    from owslib.wfs import WebFeatureService
    from owslib.wms import WebMapService
    from owslib.wmts import WebMapTileService

    local = etree.QName(root).localname
    if service == "WMS" and local in ("WMS_Capabilities", "WMT_MS_Capabilities"):
        version = root.get("version") or ("1.3.0" if local == "WMS_Capabilities" else "1.1.1")
        return WebMapService(url, version="1.3.0" if version.startswith("1.3") else "1.1.1", xml=body)
    if service == "WMTS" and local == "Capabilities":
        return WebMapTileService(url, xml=body)
    if service == "WFS" and local == "WFS_Capabilities":
        version = root.get("version") or "1.1.0"
        supported = "2.0.0" if version.startswith("2") else "1.1.0" if version.startswith("1.1") else "1.0.0"
        return WebFeatureService(url, version=supported, xml=body)
    raise _not_capabilities()


def capabilities(url: str, service: str) -> dict:
    """What the composer needs of an external service: title, layers, and the address to send map requests to."""
    service = (service or "").strip().upper()
    if service not in SERVICES:
        raise RemoteError("bad_service", _("Service inconnu : indiquez WMS, WMTS ou WFS."))
    if not (url or "").strip():
        raise RemoteError("bad_url", _("Indiquez l'adresse du service."))
    request_url = capabilities_url(url, service)
    fetched = safe_fetch(request_url, accept="application/xml, text/xml;q=0.9, */*;q=0.1")
    root = parse_xml(fetched.body)
    try:
        reader = _read(service, fetched.url, fetched.body, root)
        layers = {"WMS": _wms_layers, "WMTS": _wmts_layers, "WFS": _wfs_layers}[service](reader)
        title = reader.identification.title or ""
    except RemoteError:
        raise
    except Exception as error:  # OWSLib raises anything on a malformed document: all mean the same here
        raise _not_capabilities() from error
    operation = {"WMS": "GetMap", "WMTS": "GetTile", "WFS": "GetFeature"}[service]
    return {
        "service": service,
        "version": getattr(reader, "version", ""),
        "title": title,
        "layers": layers,
        "url": _operation_url(reader, operation, _base_url(fetched.url)),
    }
