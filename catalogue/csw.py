"""pycsw, the catalogue's CSW 2.0.2 / 3.0 engine: its configuration, its process, and the proxy in front of it.

pycsw 2.6.2 cannot share Django's virtual environment (SQLAlchemy 1, setuptools < 81), so it runs as its own
gunicorn process from `.venv-pycsw`, bound to 127.0.0.1, reading the `csw_records` view (migration catalogue 0008)
through the read-only role. This is the only module that knows pycsw; `/csw` forwards requests here.
"""

import configparser
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

import requests
from django.conf import settings
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext

from geoplatform.models import PlatformSettings

from .models import Dataset

VENV = settings.PYCSW_VENV
TABLE = "csw_records"
MAPPINGS_MODULE = "catalogue.pycsw_mappings"
# pycsw's capabilities list a language it knows by its ISO 639-1 code; it then full-text searches in 'french',
# which its connection's search_path makes the catalogue's accent-insensitive configuration (migration 0008).
SERVER_LANGUAGE = "fr-FR"
SEARCH_PATH = "csw,pg_catalog,public"
# pycsw's WSGI entry point reads its configuration path from any query parameter mentioning "config".
_CONFIG_WORD = re.compile("config", re.IGNORECASE)
# Request headers worth passing on; the rest (cookies, authorisation) are none of pycsw's business.
FORWARDED_HEADERS = ("Content-Type", "Accept", "Accept-Language")

OWS_NAMESPACE = "http://www.opengis.net/ows"

logger = logging.getLogger(__name__)


class CswError(Exception):
    """A request the proxy answers itself, as an OGC ExceptionReport."""

    def __init__(self, message: str, status: int, code: str = "NoApplicableCode") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


# --- Configuration ------------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A value on one configuration line: no line break (it would start a new option), `%` doubled for configparser."""
    return " ".join(str(value or "").split()).replace("%", "%%")


def _uses_reader() -> bool:
    """Whether the read-only role exists and may read the view (migration 0008 granted it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)"
            " THEN has_table_privilege(%s, %s, 'SELECT') ELSE false END",
            [settings.RENDER_DB_USER, settings.RENDER_DB_USER, TABLE],
        )
        return bool(cursor.fetchone()[0])


def database_url() -> str:
    """SQLAlchemy URL of the database Django is connected to (the test database under pytest)."""
    db = connection.settings_dict
    if _uses_reader():
        user, password = settings.RENDER_DB_USER, settings.RENDER_DB_PASSWORD
    else:
        user, password = db["USER"], db["PASSWORD"]
    credentials = quote(user or "", safe="") + (":" + quote(password, safe="") if password else "")
    host = db["HOST"] or "127.0.0.1"
    options = quote(f"-csearch_path={SEARCH_PATH}", safe="")
    return f"postgresql://{credentials}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}?options={options}"


def _extent() -> str:
    span = Dataset.objects.filter(anonymous_visible=True).aggregate(start=Min("created_at"), end=Max("updated_at"))
    today = timezone.localdate()
    start = timezone.localdate(span["start"]) if span["start"] else today
    end = timezone.localdate(span["end"]) if span["end"] else today
    return f"{start.isoformat()}/{end.isoformat()}"


def config(site_url: str | None = None) -> configparser.ConfigParser:
    """pycsw's configuration: our URL, the view as repository, the platform as provider, INSPIRE capabilities."""
    site_url = (site_url or settings.SITE_URL).rstrip("/")
    platform = PlatformSettings.objects.filter(pk=1).first() or PlatformSettings()  # reading must not create it
    title = platform.name or settings.PLATFORM_NAME
    email = platform.contact_email or settings.DEFAULT_FROM_EMAIL
    updated = timezone.localdate(platform.updated_at) if platform.updated_at else timezone.localdate()
    parser = configparser.ConfigParser(interpolation=None)
    parser["server"] = {
        "home": str(VENV),
        "url": site_url + "/csw",
        "mimetype": "application/xml; charset=UTF-8",
        "encoding": "UTF-8",
        "language": SERVER_LANGUAGE,
        "maxrecords": str(settings.CSW_MAX_RECORDS),
        "pretty_print": "false",
        # gzip_compresslevel stays unset: pycsw 2.6.2 sends the uncompressed length with a gzip body.
        "domainquerytype": "list",
        "domaincounts": "false",
        "profiles": "apiso",
    }
    parser["manager"] = {"transactions": "false", "allowed_ips": "127.0.0.1"}
    parser["metadata:main"] = {
        "identification_title": _text(title),
        "identification_abstract": _text(platform.tagline or settings.PLATFORM_TAGLINE),
        "identification_keywords": "catalogue,données géographiques,métadonnées,INSPIRE",
        "identification_keywords_type": "theme",
        "identification_fees": "aucun",
        "identification_accessconstraints": "aucune",
        "provider_name": _text(title),
        "provider_url": _text(site_url),
        "contact_name": _text(title),
        "contact_position": "",
        "contact_address": "",
        "contact_city": "",
        "contact_stateorprovince": "",
        "contact_postalcode": "",
        "contact_country": "France",
        "contact_phone": "",
        "contact_fax": "",
        "contact_email": _text(email),
        "contact_url": _text(site_url),
        "contact_hours": "",
        "contact_instructions": "",
        "contact_role": "pointOfContact",
    }
    parser["repository"] = {"database": _text(database_url()), "table": TABLE, "mappings": MAPPINGS_MODULE}
    parser["metadata:inspire"] = {
        "enabled": "true",
        "languages_supported": "fre,eng",
        "default_language": "fre",
        "date": updated.isoformat(),
        "gemet_keywords": "Services d'utilité publique et services publics",
        "conformity_service": "notEvaluated",
        "contact_name": _text(title),
        "contact_email": _text(email),
        "temp_extent": _extent(),
    }
    return parser


def config_text(site_url: str | None = None) -> str:
    out = io.StringIO()
    config(site_url).write(out)
    return out.getvalue()


def write_config(path: Path, site_url: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_text(site_url), encoding="utf-8")
    path.chmod(0o600)  # it holds the database password
    return path


def server_command(config_path: Path, port: int, workers: int = 2) -> tuple[list[str], dict[str, str]]:
    """Command line and extra environment running pycsw on 127.0.0.1:`port` (as the Procfile's `csw:` does)."""
    command = [
        str(VENV / "bin" / "gunicorn"),
        "pycsw.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--chdir",
        str(settings.BASE_DIR),  # so that pycsw imports catalogue.pycsw_mappings
        "--timeout",
        "60",
    ]
    return command, {"PYCSW_CONFIG": str(Path(config_path).resolve())}


# --- Proxy --------------------------------------------------------------------------------------------------------


def _query_string(params: list[tuple[str, str]]) -> str:
    """The request's parameters without `config`, spelled so that no parameter contains the word literally."""
    kept = [(key, value) for key, value in params if not _CONFIG_WORD.search(key)]
    encoded = urlencode(kept, quote_via=quote)
    return _CONFIG_WORD.sub(lambda word: f"%{ord(word[0][0]):02X}{word[0][1:]}", encoded)


def forward(method: str, params: list[tuple[str, str]], body: bytes, headers: dict[str, str]) -> Answer:
    """Send a CSW request to pycsw and return its answer; raises CswError when it cannot be asked."""
    if re.search(rb"<!DOCTYPE|<!ENTITY", body, re.IGNORECASE):
        raise CswError(gettext("Les requêtes XML avec une DTD ne sont pas acceptées."), 400, "InvalidParameterValue")
    url = settings.CSW_URL
    query = _query_string(params)
    if query:
        url = f"{url}?{query}"
    passed = {name: headers[name] for name in FORWARDED_HEADERS if headers.get(name)}
    try:
        response = requests.request(
            method, url, data=body or None, headers=passed, timeout=(3, settings.CSW_TIMEOUT), allow_redirects=False
        )
    except requests.RequestException as error:
        logger.warning("pycsw unreachable at %s: %s", settings.CSW_URL, error)
        raise CswError(gettext("Le catalogue CSW est momentanément indisponible."), 503) from error
    return Answer(response.status_code, response.headers.get("Content-Type", "application/xml"), response.content)


def exception_report(error: CswError) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ows:ExceptionReport xmlns:ows="{OWS_NAMESPACE}" version="1.2.0" language="fr">'
        f'<ows:Exception exceptionCode="{error.code}">'
        f"<ows:ExceptionText>{escape(error.message)}</ows:ExceptionText>"
        "</ows:Exception></ows:ExceptionReport>"
    ).encode()
