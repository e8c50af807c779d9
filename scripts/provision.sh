#!/usr/bin/env bash
# Make PostgreSQL+PostGIS and Redis available: use running ones, else start local ones.
# Creates the roles and database the platform uses (idempotent).
set -euo pipefail

DB_HOST=${GP_DB_HOST:-127.0.0.1}
DB_PORT=${GP_DB_PORT:-5432}
DB_NAME=${GP_DB_NAME:-geoplatform}
DB_USER=${GP_DB_USER:-geoplatform}
DB_PASSWORD=${GP_DB_PASSWORD:-geoplatform}
READER=${GP_RENDER_DB_USER:-geoplatform_reader}
READER_PASSWORD=${GP_RENDER_DB_PASSWORD:-geoplatform_reader}
REDIS_URL=${GP_REDIS_URL:-redis://127.0.0.1:6379/0}

log() { printf '[provision] %s\n' "$*"; }

pg_up() { pg_isready -q -h "$DB_HOST" -p "$DB_PORT"; }

if ! pg_up; then
  if [ "$DB_HOST" != "127.0.0.1" ] && [ "$DB_HOST" != "localhost" ]; then
    log "PostgreSQL at $DB_HOST:$DB_PORT does not answer"; exit 1
  fi
  log "starting the local PostgreSQL cluster"
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
    pg_createcluster "$version" main >/dev/null
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { log "PostgreSQL did not start"; exit 1; }
fi

# Run SQL as a superuser: through the local socket as `postgres` (fresh Debian), else over TCP.
as_superuser() {
  if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && runuser -u postgres -- psql -qtA -c 'select 1' >/dev/null 2>&1; then
    runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"
  else
    psql -v ON_ERROR_STOP=1 -qtA -h "$DB_HOST" -p "$DB_PORT" -U "${GP_DB_SUPERUSER:-postgres}" "$@"
  fi
}

as_superuser -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE "$DB_USER" LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$READER') THEN
    CREATE ROLE "$READER" LOGIN PASSWORD '$READER_PASSWORD';
  END IF;
END \$\$;
SQL
if [ "$(as_superuser -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
  log "creating database $DB_NAME"
  as_superuser -d postgres -c "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\""
fi
# PostGIS in template1 too, so that test databases are created with it without superuser rights.
for db in template1 "$DB_NAME"; do
  as_superuser -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
  as_superuser -d "$db" -c "CREATE EXTENSION IF NOT EXISTS unaccent" >/dev/null
done
log "PostgreSQL ready ($DB_HOST:$DB_PORT/$DB_NAME, PostGIS $(as_superuser -d "$DB_NAME" -c 'select postgis_lib_version()'))"

redis_host=$(printf '%s' "$REDIS_URL" | sed -E 's#^redis://([^:/]+).*#\1#')
redis_port=$(printf '%s' "$REDIS_URL" | sed -E 's#^redis://[^:/]+:([0-9]+).*#\1#; t; s#.*#6379#')
if ! redis-cli -h "$redis_host" -p "$redis_port" ping >/dev/null 2>&1; then
  log "starting a local Redis on $redis_host:$redis_port"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind "$redis_host" --port "$redis_port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/geoplatform.log
  for _ in $(seq 1 20); do redis-cli -h "$redis_host" -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
redis-cli -h "$redis_host" -p "$redis_port" ping >/dev/null || { log "Redis did not start"; exit 1; }
log "Redis ready ($redis_host:$redis_port)"
