"""Content-Security-Policy of the map pages: a map's external layers (WMS images, WMTS capabilities and tiles, WFS
features) come from other origins, which the platform's policy (`geoplatform.security`) does not allow.

A map page allows, for images and data only, the origins of the external layers its context holds; the composer's
page allows any web origin there, since a producer may add a layer of any public service while composing. Scripts,
frames and everything else keep the platform's policy.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings

from geoplatform.security import content_security_policy

LAYER_DIRECTIVES = ("img-src", "connect-src")
# A host as it may stand in a CSP source: letters, digits, dots and hyphens (IDNs come in punycode), or an IPv6
# literal in brackets. Anything else (";", spaces, quotes) could end the directive, so it is never written.
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}|\[[0-9a-f:.]+\])$")


def external_origins(context: dict) -> list[str]:
    """`scheme://host[:port]` of every layer address of `context` outside the platform, sorted."""
    own = urlsplit(settings.SITE_URL)
    origins = set()
    for feature in context.get("features") or []:
        for offering in (feature.get("properties") or {}).get("offerings") or []:
            for operation in offering.get("operations") or []:
                origin = _origin(str(operation.get("href", "")))
                if origin and origin != f"{own.scheme}://{own.netloc}":
                    origins.add(origin)
    return sorted(origins)


def map_page_policy(path: str, context: dict, *, composing: bool = False) -> str:
    """The platform's policy for `path`, with the sources a map page needs for its layers."""
    sources = ["http:", "https:"] if composing else external_origins(context)
    return with_sources(content_security_policy(path), LAYER_DIRECTIVES, sources)


def with_sources(policy: str, directives: tuple[str, ...], sources: list[str]) -> str:
    """`policy` with `sources` added to each of `directives` (already there: left as is)."""
    if not sources:
        return policy
    parts = []
    for part in policy.split(";"):
        words = part.split()
        if words and words[0] in directives:
            words += [source for source in sources if source not in words[1:]]
        parts.append(" ".join(words))
    return "; ".join(part for part in parts if part)


def _origin(href: str) -> str | None:
    if not href.startswith(("http://", "https://")):
        return None  # a path on our own site
    try:
        parts = urlsplit(href)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if not _HOST.match(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")
