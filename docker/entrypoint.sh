#!/usr/bin/env bash
# Entry point of the platform image: wait for PostgreSQL, link the image's static files into GP_DATA_DIR,
# apply migrations when GP_MIGRATE=1 (the web service only, so that one process migrates), load the demo
# region when GP_DEMO=1 as well, then run the command (gunicorn by default, or celery, or manage.py ...).
set -euo pipefail

log() { printf '[entrypoint] %s\n' "$*" >&2; }

# Same reading as env_bool() in geoplatform/settings.py.
truthy() {
  local value=${1:-}
  value=${value,,}
  case "${value//[[:space:]]/}" in
    1 | true | yes | on) return 0 ;;
    *) return 1 ;;
  esac
}

wait_for_database() {
  local host=${GP_DB_HOST:-127.0.0.1} port=${GP_DB_PORT:-5432} timeout=${GP_DB_WAIT_SECONDS:-60}
  [ "$timeout" -gt 0 ] || return 0
  local deadline=$((SECONDS + timeout))
  until pg_isready -q -h "$host" -p "$port" -d "${GP_DB_NAME:-geoplatform}" -U "${GP_DB_USER:-geoplatform}"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "PostgreSQL at $host:$port did not answer within ${timeout}s"
      exit 1
    fi
    sleep 1
  done
}

# STATIC_ROOT is $GP_DATA_DIR/static, a volume shared by every container; the files were collected into
# the image at build time. A symbolic link resolves inside each container, so each one serves the files of
# its own image, even while two versions run side by side during an upgrade.
link_static() {
  local built=/app/static data=${GP_DATA_DIR:-/data}
  local link="$data/static"
  [ -d "$built" ] || return 0
  [ "$(readlink "$link" 2>/dev/null || true)" != "$built" ] || return 0
  mkdir -p "$data"
  if [ -d "$link" ] && [ ! -L "$link" ]; then
    rm -rf "$link"
  fi
  # Several containers may start at once: build the link aside, then rename it into place (atomic).
  if ! { ln -sfn "$built" "$link.$$" && mv -Tf "$link.$$" "$link"; }; then
    log "could not link $link to $built"
  fi
}

wait_for_database
link_static
if truthy "${GP_MIGRATE:-}"; then
  log "applying migrations"
  python /app/manage.py migrate --noinput
  if truthy "${GP_DEMO:-}"; then
    log "loading the demo accounts and region (GP_DEMO=1)"
    python /app/manage.py load_demo
  fi
  # Records never indexed (after an upgrade): search, facets and the CSW repository read what this computes.
  python /app/manage.py refresh_records
fi
exec "$@"
