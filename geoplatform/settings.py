"""Settings, read from environment variables with safe production defaults.

`make run` sets GP_DEMO=1 (debug pages, console e-mail, a fixed development key, demo accounts).
Production must set GP_SECRET_KEY and GP_ALLOWED_HOSTS.
"""

import os
import re
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEMO_MODE = env_bool("GP_DEMO")
DEBUG = env_bool("GP_DEBUG", default=False)
# Under pytest, or in a worker process the test suite starts (GP_TESTING=1).
TESTING = env_bool("GP_TESTING") or "pytest" in sys.modules

SECRET_KEY = env("GP_SECRET_KEY") or ""
if not SECRET_KEY:
    if DEMO_MODE or DEBUG or TESTING:
        SECRET_KEY = "demo-only-insecure-key-never-use-in-production"
    else:
        raise ImproperlyConfigured("GP_SECRET_KEY is required (or GP_DEMO=1 for a local demo).")

ALLOWED_HOSTS = env_list("GP_ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEMO_MODE or DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("GP_CSRF_TRUSTED_ORIGINS")
SITE_URL = (env("GP_SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.gis",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "geoplatform",
    "catalogue",
    "importer",
    "wxs",
    "viewer",
    "downloads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "geoplatform.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "geoplatform.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "geoplatform.security.AdminMFAMiddleware",
    "geoplatform.statistics.UsageMiddleware",
]

ROOT_URLCONF = "geoplatform.urls"
WSGI_APPLICATION = "geoplatform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "geoplatform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "geoplatform.context_processors.platform",
            ],
        },
    },
]

# --- Database: Django tables in `public`, imported layers in schema `layers` ---
DATABASES = {
    "default": {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": env("GP_DB_NAME", "geoplatform"),
        "USER": env("GP_DB_USER", "geoplatform"),
        "PASSWORD": env("GP_DB_PASSWORD", "geoplatform"),
        "HOST": env("GP_DB_HOST", "127.0.0.1"),
        "PORT": env("GP_DB_PORT", "5432"),
        "CONN_MAX_AGE": 60,
        # One test database per test run, so that runs side by side never drop each other's database.
        "TEST": {"NAME": env("GP_TEST_DB_NAME", f"test_geoplatform_{os.getpid()}")},
    }
}
LAYERS_SCHEMA = "layers"
# Read-only role the rendering engines (MapServer) use to read schema `layers`.
RENDER_DB_USER = env("GP_RENDER_DB_USER", "geoplatform_reader")
RENDER_DB_PASSWORD = env("GP_RENDER_DB_PASSWORD", "geoplatform_reader")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "geoplatform.User"

# --- Redis, cache, Celery ---
# Tests use their own Redis database and queue, so a running `make run` never picks up their jobs.
REDIS_URL = env("GP_REDIS_URL", "redis://127.0.0.1:6379/15" if TESTING else "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Test runs keep their own keys (login rate limits, for one), so runs never see each other's.
        "KEY_PREFIX": f"test-{os.getpid()}" if TESTING else "",
    }
}
CELERY_BROKER_URL = env("GP_CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env("GP_CELERY_QUEUE", "geoplatform-test" if TESTING else "geoplatform")
CELERY_BEAT_SCHEDULE: dict = {
    "cleanup-stale-uploads": {"task": "importer.tasks.cleanup_stale_uploads", "schedule": 3600.0},
    # Usage counters from Redis into the database; a flush that waited a minute in the queue is superseded.
    "flush-usage": {"task": "geoplatform.tasks.flush_usage", "schedule": 60.0, "options": {"expires": 55}},
    "cleanup-expired-downloads": {"task": "downloads.tasks.cleanup_expired_downloads", "schedule": 3600.0},
}

# --- Files ---
DATA_DIR = Path(env("GP_DATA_DIR", str(BASE_DIR / ("var/test" if TESTING else "var"))))
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "dist"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or DEMO_MODE or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or DEMO_MODE or TESTING
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # bigger uploads stream to disk
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Import limits (bytes) ---
IMPORT_MAX_UPLOAD_SIZE = int(env("GP_IMPORT_MAX_UPLOAD_SIZE", str(20 * 1024**3)))
IMPORT_MAX_UNZIPPED_SIZE = int(env("GP_IMPORT_MAX_UNZIPPED_SIZE", str(50 * 1024**3)))
IMPORT_MAX_ZIP_RATIO = int(env("GP_IMPORT_MAX_ZIP_RATIO", "200"))
IMPORT_MAX_ZIP_ENTRIES = int(env("GP_IMPORT_MAX_ZIP_ENTRIES", "1000"))

# --- MapServer ---
MAPSERVER_BIN = env("GP_MAPSERVER_BIN", "/usr/bin/mapserv")
MAPFILE_DIR = DATA_DIR / "mapfiles"
MAPSERVER_CONFIG_FILE = DATA_DIR / "mapserver.conf"
# The FastCGI pool (manage.py mapserver_pool): its socket (empty: one per config file under /tmp), worker count
# (0: CPU count) and how long one request may take.
MAPSERVER_SOCKET = env("GP_MAPSERVER_SOCKET", "")
MAPSERVER_WORKERS = int(env("GP_MAPSERVER_WORKERS", "0") or 0)
MAPSERVER_TIMEOUT = float(env("GP_MAPSERVER_TIMEOUT", "120") or 120)

# --- pycsw (its own process and venv, behind /csw; catalogue/csw.py) ---
CSW_PORT = int(env("GP_CSW_PORT", "8001") or 8001)
CSW_URL = env("GP_CSW_URL", f"http://127.0.0.1:{CSW_PORT}/")
CSW_MAX_RECORDS = int(env("GP_CSW_MAX_RECORDS", "100") or 100)
CSW_TIMEOUT = float(env("GP_CSW_TIMEOUT", "30") or 30)
# Its virtualenv (scripts/install.sh builds .venv-pycsw; the Docker image has /opt/venv-pycsw).
PYCSW_VENV = Path(env("GP_PYCSW_VENV") or BASE_DIR / ".venv-pycsw")

# --- Accounts (django-allauth) ---
SITE_ID = 1
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/comptes/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

EMAIL_BACKEND = env(
    "GP_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if (DEMO_MODE or DEBUG)
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("GP_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("GP_EMAIL_PORT", "25") or 25)
DEFAULT_FROM_EMAIL = env("GP_DEFAULT_FROM_EMAIL", "ne-pas-repondre@geoplateforme.local")

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "geoplatform.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "geoplatform.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API de la plateforme régionale de données géographiques",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- i18n: French first, English available ---
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Deployment identity (theme) ---
PLATFORM_NAME = env("GP_PLATFORM_NAME", "GéoRégion")
PLATFORM_TAGLINE = env("GP_PLATFORM_TAGLINE", "La plateforme régionale de données géographiques")
PLATFORM_LOGO_URL = env("GP_PLATFORM_LOGO_URL", "")
PLATFORM_PRIMARY_COLOR = env("GP_PRIMARY_COLOR", "#1d4f91") or "#1d4f91"
if not re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", PLATFORM_PRIMARY_COLOR):
    raise ImproperlyConfigured(f"GP_PRIMARY_COLOR must be a hex colour like #1d4f91, not {PLATFORM_PRIMARY_COLOR!r}.")

# --- Security (production defaults; demo mode runs on plain http) ---
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not (DEBUG or DEMO_MODE or TESTING):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("GP_HSTS_SECONDS", "31536000") or 0)
    SECURE_SSL_REDIRECT = env_bool("GP_SSL_REDIRECT", True)

# --- Two-factor authentication, login throttling, single sign-on (docs/security.md) ---
ADMIN_MFA_REQUIRED = env_bool("GP_ADMIN_MFA_REQUIRED")  # or PlatformSettings.require_admin_mfa
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = PLATFORM_NAME
MFA_TOTP_TOLERANCE = 1  # one 30 s step either side, for phones whose clock drifts
# Failed logins (login page, API token, HTTP Basic): 5 per account and 20 per address every 5 minutes.
ACCOUNT_RATE_LIMITS = {"login_failed": "20/5m/ip,5/5m/key"}
# Reverse proxies in front of the platform, so rate limits see the client's address in X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("GP_TRUSTED_PROXY_COUNT", "0") or 0)
# External origins (e.g. base map tile servers) the browser may load images and data from.
CSP_EXTRA_SOURCES = env_list("GP_CSP_EXTRA_SOURCES")
SOCIALACCOUNT_PROVIDERS: dict = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": []}}
if env("GP_OIDC_SERVER_URL") and env("GP_OIDC_CLIENT_ID"):
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": env("GP_OIDC_PROVIDER_ID", "sso"),
            "name": env("GP_OIDC_NAME", "OpenID Connect"),
            "client_id": env("GP_OIDC_CLIENT_ID"),
            "secret": env("GP_OIDC_CLIENT_SECRET", ""),
            "settings": {
                "server_url": env("GP_OIDC_SERVER_URL"),
                "scope": env_list("GP_OIDC_SCOPES", "openid,profile,email"),
            },
        }
    )
# Link a single sign-on login to the local account with the same (verified) e-mail address.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = env_bool("GP_OIDC_LINK_BY_EMAIL")
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = SOCIALACCOUNT_EMAIL_AUTHENTICATION

# Networks the server-side fetch of remote services (viewer/remote.py) may reach although they are private or
# loopback (comma-separated CIDR); empty: only public Internet addresses.
REMOTE_ALLOWED_NETWORKS = env_list("GP_REMOTE_ALLOWED_NETWORKS")

# --- Downloads (docs/operations.md) ---
# Below all three thresholds a download streams at once; above any of them it becomes a Celery job.
GP_DOWNLOAD_DIRECT_MAX_FEATURES = int(env("GP_DOWNLOAD_DIRECT_MAX_FEATURES", "100000") or 100000)
GP_DOWNLOAD_DIRECT_MAX_BYTES = int(env("GP_DOWNLOAD_DIRECT_MAX_BYTES", str(50 * 2**20)) or 0)
GP_DOWNLOAD_DIRECT_MAX_PIXELS = int(env("GP_DOWNLOAD_DIRECT_MAX_PIXELS", "25000000") or 0)
GP_DOWNLOAD_LINK_DAYS = int(env("GP_DOWNLOAD_LINK_DAYS", "7") or 7)
GP_DOWNLOAD_QUOTA_BYTES_PER_DAY = int(env("GP_DOWNLOAD_QUOTA_BYTES_PER_DAY", str(5 * 2**30)) or 0)
GP_DOWNLOAD_MAX_JOBS_IN_FLIGHT = int(env("GP_DOWNLOAD_MAX_JOBS_IN_FLIGHT", "3") or 3)
GP_DOWNLOAD_RATE_PER_MINUTE = int(env("GP_DOWNLOAD_RATE_PER_MINUTE", "30") or 30)
GP_DOWNLOAD_MAX_ITEMS = int(env("GP_DOWNLOAD_MAX_ITEMS", "20") or 20)
GP_DOWNLOAD_CLIP_MAX_VERTICES = int(env("GP_DOWNLOAD_CLIP_MAX_VERTICES", "20000") or 20000)
GP_DOWNLOAD_CLIP_MAX_BYTES = int(env("GP_DOWNLOAD_CLIP_MAX_BYTES", str(2 * 2**20)) or 0)
GP_DOWNLOAD_CLIP_MAX_COMMUNES = int(env("GP_DOWNLOAD_CLIP_MAX_COMMUNES", "500") or 500)

# GDAL < 3.9 cannot block file access from spatial reference strings; we only ever pass EPSG codes to it.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("GP_LOG_LEVEL", "INFO")},
}
