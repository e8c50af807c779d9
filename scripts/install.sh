#!/usr/bin/env bash
# Install what is missing: Debian packages, the Python virtualenv, the front-end build. Idempotent and quick
# when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[install] %s\n' "$*"; }

DEBIAN_PACKAGES=(
  postgresql-15-postgis-3 postgresql-client gdal-bin libgdal-dev mapserver-bin cgi-mapserver
  redis-server redis-tools chromium fonts-dejavu-core python3-venv gettext python3-mapscript
)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating the virtualenv"
  "$PYTHON" -m venv .venv
  .venv/bin/pip install -q --upgrade pip wheel
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  log "installing Python packages"
  .venv/bin/python - <<'PY' > .venv/requirements.txt
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["dev"]))
PY
  .venv/bin/pip install -q -r .venv/requirements.txt
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# pycsw 2.6 cannot share the main venv (SQLAlchemy < 2, setuptools < 81, OWSLib < 0.29): it gets its own.
PYCSW_REQUIREMENTS='pycsw==2.6.2 SQLAlchemy<2 setuptools<81 OWSLib<0.29 psycopg2-binary gunicorn'
pycsw_stamp=.venv-pycsw/.installed-$(printf '%s' "$PYCSW_REQUIREMENTS" | sha1sum | cut -c1-12)
if [ ! -f "$pycsw_stamp" ]; then
  log "installing pycsw in its own virtualenv"
  [ -x .venv-pycsw/bin/python ] || "$PYTHON" -m venv .venv-pycsw
  # shellcheck disable=SC2086
  .venv-pycsw/bin/pip install -q $PYCSW_REQUIREMENTS
  rm -f .venv-pycsw/.installed-*
  touch "$pycsw_stamp"
fi
gdal_version=$(gdal-config --version)
if ! .venv/bin/python -c "from osgeo import gdal, gdal_array; assert gdal.__version__ == '$gdal_version'" 2>/dev/null; then
  log "building GDAL $gdal_version Python bindings against the system library"
  .venv/bin/pip install -q numpy setuptools
  .venv/bin/pip install -q --no-build-isolation --force-reinstall --no-deps "gdal==$gdal_version"
fi

# mapscript (SLD import/export) only exists as a Debian package: link it into the venv.
site_packages=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
if [ -d /usr/lib/python3/dist-packages/mapscript ] && [ ! -e "$site_packages/mapscript" ]; then
  log "linking Debian's mapscript into the virtualenv"
  ln -sfn /usr/lib/python3/dist-packages/mapscript "$site_packages/mapscript"
fi

if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
  log "installing front-end packages"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -f frontend/dist/app.js ] || [ ! -f frontend/dist/viewer.js ] || [ -n "$(find frontend/src frontend/build.mjs -newer frontend/dist/app.js 2>/dev/null)" ]; then
  log "building front-end assets"
  (cd frontend && npm run --silent build)
fi
for po in locale/*/LC_MESSAGES/django.po; do [ -f "$po" ] || continue; mo="${po%.po}.mo"; if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then log "compiling translations"; GP_DEMO=1 .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=frontend --ignore=var -v 0; break; fi; done
