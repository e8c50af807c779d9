"""Usage statistics: counted in Redis as requests are answered, flushed into `UsageCount` rows, queried for reports.

Recording costs one Redis round trip per counted request (a `MULTI` of `HINCRBY` on the day's hash and `SADD` of
that hash to the set of pending days), never a database write. The hash field says what was used and by whom:
`kind|service|dataset_id|user_id|organisation_id` (empty for "none", so an anonymous user is an empty user id).

A Celery task (`geoplatform.tasks.flush_usage`, every minute) and the `flush_usage` management command move the
counters into PostgreSQL with `flush()`; see its docstring for why nothing is lost or counted twice.
"""

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from psycopg import sql

from .models import UsageCount

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AnonymousUser

    from catalogue.models import Dataset

    from .models import User

logger = logging.getLogger(__name__)

KINDS = [UsageCount.Kind.PAGE, UsageCount.Kind.OGC, UsageCount.Kind.DOWNLOAD]
OGC_SERVICES = {"WMS", "WFS", "WCS", "WMTS"}
# Tile endpoints (wxs/tile_views.py): WMTS KVP and REST, and TMS, all counted as WMTS.
TILE_VIEWS = {"wxs:wmts", "wxs:wmts_capabilities", "wxs:wmts_tile", "wxs:tms"}
# A day's counters nobody flushes within this delay are dropped, so Redis never grows without bound.
DAY_KEY_TTL = 30 * 86400
# After a Redis failure, requests stop trying for this long (a hung Redis must not cost every request a timeout).
REDIS_RETRY_AFTER = 10.0
# Session-level PostgreSQL advisory lock: one flush at a time, released if its process dies.
FLUSH_LOCK_ID = 7_305_001


# --- Redis connection -------------------------------------------------------------------------------------------


class _Redis:
    """One connection pool per process (rebuilt if settings.REDIS_URL changes), and a pause after a failure."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.url: str | None = None
        self.client: redis.Redis | None = None
        self.down_until = 0.0

    def get(self) -> redis.Redis:
        with self.lock:
            if self.client is None or self.url != settings.REDIS_URL:
                self.url = settings.REDIS_URL
                pool = redis.ConnectionPool.from_url(
                    self.url, socket_connect_timeout=0.5, socket_timeout=0.5, health_check_interval=30
                )
                self.client = redis.Redis(connection_pool=pool, decode_responses=False)
                self.down_until = 0.0
            return self.client

    def reset(self) -> None:
        with self.lock:
            if self.client is not None:
                self.client.connection_pool.disconnect()
            self.client = None
            self.url = None
            self.down_until = 0.0


_redis = _Redis()


def redis_client() -> redis.Redis:
    return _redis.get()


def reset() -> None:
    """Forget the connection pool and the dataset → organisation cache (tests, or after changing settings)."""
    _redis.reset()
    _organisations.clear()


def redis_key(name: str) -> str:
    """A key of ours; test runs use the cache's per-run prefix so that runs side by side never share counters."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or ""
    return f"{prefix}:gp:usage:{name}" if prefix else f"gp:usage:{name}"


def day_key(day: date) -> str:
    return redis_key(day.isoformat())


# --- Recording ----------------------------------------------------------------------------------------------------


def encode(kind: str, service: str, dataset_id: int | None, user_id: int | None, organisation_id: int | None) -> str:
    return "|".join([kind, service, *("" if v is None else str(v) for v in (dataset_id, user_id, organisation_id))])


def record(
    kind: str,
    *,
    dataset_id: int | None,
    organisation_id: int | None,
    user_id: int | None,
    service: str = "",
    day: date | None = None,
) -> bool:
    """Count one use. Never raises: a Redis failure is logged and the use is not counted."""
    try:
        client = redis_client()
        if time.monotonic() < _redis.down_until:
            return False
        key = day_key(day or timezone.localdate())
        pipe = client.pipeline(transaction=True)
        pipe.hincrby(key, encode(kind, service, dataset_id, user_id, organisation_id), 1)
        pipe.expire(key, DAY_KEY_TTL)
        pipe.sadd(redis_key("days"), key)
        pipe.execute()
    except Exception as error:  # a bad URL, a refused connection, a timeout: the page must still be served
        _redis.down_until = time.monotonic() + REDIS_RETRY_AFTER
        logger.warning("Usage not counted, Redis unavailable (next try in %ss): %s", REDIS_RETRY_AFTER, error)
        return False
    return True


def record_download(dataset: "Dataset", user: "User | AnonymousUser | None") -> bool:
    """Count a download of `dataset` (for the downloads app)."""
    return record(
        UsageCount.Kind.DOWNLOAD,
        dataset_id=dataset.pk,
        organisation_id=dataset.organisation_id,
        user_id=user.pk if user is not None and user.is_authenticated else None,
    )


class _OrganisationCache:
    """dataset id → organisation id, kept a few minutes so that counting a request costs no database query."""

    TTL = 300.0
    MAX = 10_000

    def __init__(self) -> None:
        self.entries: dict[int, tuple[int | None, float]] = {}

    def get(self, dataset_id: int) -> int | None:
        from catalogue.models import Dataset

        entry = self.entries.get(dataset_id)
        now = time.monotonic()
        if entry is not None and entry[1] > now:
            return entry[0]
        organisation_id = Dataset.objects.filter(pk=dataset_id).values_list("organisation_id", flat=True).first()
        if len(self.entries) >= self.MAX:
            self.entries.clear()
        self.entries[dataset_id] = (organisation_id, now + self.TTL)
        return organisation_id

    def clear(self) -> None:
        self.entries.clear()


_organisations = _OrganisationCache()


def _ogc_service(request: HttpRequest) -> str:
    for name, value in request.GET.items():
        if name.lower() == "service":
            service = value.strip().upper()
            return service if service in OGC_SERVICES else "OWS"
    return "OWS"


def _user_id(request: HttpRequest) -> int | None:
    """Who made the request: the user the OGC proxy identified (`auth.caller`, key or Basic included), else the
    session's user; None for anonymous."""
    from .auth import CALLER_ATTRIBUTE

    user = getattr(request, CALLER_ATTRIBUTE, None) or getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


# The global and organisation OGC services: counted with the dataset when the request names exactly one layer.
SERVICE_VIEWS = {"wxs:global_ows", "wxs:organisation_ows"}
LAYER_PARAMETERS = {"layers", "layer", "query_layers", "typename", "typenames", "coverageid"}


def _named_dataset(request: HttpRequest) -> int | None:
    names = set()
    for name, value in request.GET.items():
        if name.lower() in LAYER_PARAMETERS:
            names |= {part.split(":")[-1].strip() for part in value.split(",") if part.strip()}
    if len(names) == 1 and (name := names.pop()).startswith("ds") and name[2:].isdigit():
        return int(name[2:])
    return None


def classify(request: HttpRequest) -> tuple[str, str] | None:
    """(kind, service) of a request we count, from the URL it matched; None for the others."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name in SERVICE_VIEWS:
        return UsageCount.Kind.OGC, _ogc_service(request)
    if match is None or "pk" not in match.kwargs:
        return None
    if match.view_name == "catalogue:dataset":
        return UsageCount.Kind.PAGE, ""
    if match.view_name == "wxs:dataset_ows":
        return UsageCount.Kind.OGC, _ogc_service(request)
    if match.view_name in TILE_VIEWS:
        return UsageCount.Kind.OGC, "WMTS"
    return None


def record_request(request: HttpRequest, response: HttpResponse) -> bool:
    if not 200 <= response.status_code < 300:
        return False
    counted = classify(request)
    if counted is None:
        return False
    kind, service = counted
    try:
        if "pk" in request.resolver_match.kwargs:
            dataset_id = int(request.resolver_match.kwargs["pk"])
        else:
            dataset_id = _named_dataset(request)
        user_id = _user_id(request)
        organisation_id = _organisations.get(dataset_id) if dataset_id is not None else None
    except Exception:  # counting must never break an answered request
        logger.exception("Usage not counted")
        return False
    return record(kind, service=service, dataset_id=dataset_id, user_id=user_id, organisation_id=organisation_id)


class UsageMiddleware:
    """Counts dataset page views and OGC requests that were answered successfully."""

    def __init__(self, get_response: "Callable[[HttpRequest], HttpResponse]") -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        record_request(request, response)
        return response


# --- Flushing -----------------------------------------------------------------------------------------------------

# Atomically moves every pending day hash to a batch key of its own. Increments after this go to a fresh day hash.
# KEYS[1]: set of pending day keys, KEYS[2]: set of batch keys not yet applied; ARGV[1]: this flush's id.
# It touches keys it is not given, which a single Redis server allows (Redis Cluster would not).
_TAKE = """
local taken = {}
for _, day_key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  redis.call('SREM', KEYS[1], day_key)
  if redis.call('EXISTS', day_key) == 1 then
    local batch = day_key .. ':batch:' .. ARGV[1]
    redis.call('RENAME', day_key, batch)
    redis.call('PERSIST', batch)
    redis.call('SADD', KEYS[2], batch)
    table.insert(taken, batch)
  end
end
return taken
"""


def take() -> list[str]:
    """Move the pending counters out of the day hashes, atomically; returns the batch keys to apply."""
    client = redis_client()
    batches = client.eval(_TAKE, 2, redis_key("days"), redis_key("batches"), uuid.uuid4().hex)
    return sorted(b.decode() for b in batches)


def pending_batches() -> list[str]:
    """Batches taken by an earlier flush that did not finish (crashed, killed, database down)."""
    return sorted(b.decode() for b in redis_client().smembers(redis_key("batches")))


def _batch_day(batch: str) -> date:
    return date.fromisoformat(batch.rsplit(":batch:", 1)[0].rsplit(":", 1)[1])


def _xid_key(batch: str) -> str:
    return f"{batch}:xid"


def _decode(raw: dict[bytes, bytes]) -> list[tuple[str, str, int | None, int | None, int | None, int]]:
    rows = []
    for name, value in raw.items():
        try:
            kind, service, *ids = name.decode().split("|")
            dataset_id, user_id, organisation_id = (int(v) if v else None for v in ids)
            count = int(value)
        except ValueError:
            logger.error("Ignoring malformed usage counter %r=%r", name, value)
            continue
        if kind in UsageCount.Kind.values and count > 0:
            rows.append((kind, service[:20], dataset_id, user_id, organisation_id, count))
    return rows


def _upsert(day: date, rows: list[tuple]) -> None:
    """Add counts to the day's rows. Counters of deleted datasets are dropped (their rows would be deleted too);
    those of deleted users and organisations are kept without them, as `on_delete=SET_NULL` does."""
    from catalogue.models import Dataset

    from .models import Organisation, User

    table = sql.Identifier(UsageCount._meta.db_table)
    query = sql.SQL(
        """
        INSERT INTO {table} (day, kind, service, dataset_id, user_id, organisation_id, count)
        SELECT %s::date, v.kind, v.service, d.id, u.id, max(o.id), sum(v.count)
        FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])
             AS v(kind, service, dataset_id, user_id, organisation_id, count)
        LEFT JOIN {datasets} d ON d.id = v.dataset_id
        LEFT JOIN {users} u ON u.id = v.user_id
        LEFT JOIN {organisations} o ON o.id = v.organisation_id
        WHERE v.dataset_id IS NULL OR d.id IS NOT NULL
        GROUP BY v.kind, v.service, d.id, u.id
        ON CONFLICT (day, kind, service, dataset_id, user_id)
        DO UPDATE SET count = {table}.count + EXCLUDED.count,
                      organisation_id = COALESCE(EXCLUDED.organisation_id, {table}.organisation_id)
        """
    ).format(
        table=table,
        datasets=sql.Identifier(Dataset._meta.db_table),
        users=sql.Identifier(User._meta.db_table),
        organisations=sql.Identifier(Organisation._meta.db_table),
    )
    columns = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(connection.connection), [day, *columns])


def _xact_status(xid: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_xact_status(%s::xid8)", [xid])
        return cursor.fetchone()[0]


def store(batch: str) -> int | None:
    """Add a batch's counters to `UsageCount`, unless an earlier attempt already committed them.

    The id of the database transaction is written to Redis before it commits; `pg_xact_status` later tells
    whether that transaction committed, so a batch left behind after a crash is applied exactly once.
    Returns the number of uses added now, or None when the batch's fate cannot be known (it is then kept,
    and logged, for a person to decide)."""
    client = redis_client()
    xid = client.get(_xid_key(batch))
    if xid is not None:
        status = _xact_status(xid.decode())
        if status == "committed":
            return 0
        if status != "aborted":
            logger.error("Usage batch %s left alone: its transaction %s is %s", batch, xid.decode(), status)
            return None
    rows = _decode(client.hgetall(batch))
    if not rows:
        return 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text")
            client.set(_xid_key(batch), cursor.fetchone()[0])
        _upsert(_batch_day(batch), rows)
    return sum(row[-1] for row in rows)


def forget(batch: str) -> None:
    """Drop a batch from Redis once it is in the database."""
    client = redis_client()
    pipe = client.pipeline(transaction=True)
    pipe.delete(batch, _xid_key(batch))
    pipe.srem(redis_key("batches"), batch)
    pipe.execute()


def apply(batch: str) -> int:
    """Store a batch and forget it; returns the number of uses added to the database now."""
    moved = store(batch)
    if moved is None:
        return 0
    forget(batch)
    return moved


@contextmanager
def _flush_lock() -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [FLUSH_LOCK_ID])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [FLUSH_LOCK_ID])


def flush() -> int:
    """Move the counters from Redis into `UsageCount`; returns the number of uses moved.

    Nothing is lost: a Lua script RENAMEs each day's hash to a batch key of its own, atomically, so a use
    counted during the flush lands in a fresh day hash that the next flush takes. Nothing is counted twice:
    a batch stays in Redis (listed in a set) until its counts are committed, and the committing transaction's
    id is recorded first, so a flush that died at any step is finished by the next one, which checks with
    PostgreSQL whether that transaction committed (`store`). A session advisory lock runs one flush at a time.
    Must not run inside a transaction: the batch's transaction id has to be the one that commits.
    """
    if connection.in_atomic_block:
        raise RuntimeError("flush() must run outside a transaction")
    with _flush_lock() as acquired:
        if not acquired:
            logger.info("Usage flush skipped: another flush is running")
            return 0
        moved = sum(apply(batch) for batch in pending_batches())
        moved += sum(apply(batch) for batch in take())
    return moved


# --- Reports ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def last_twelve_months(cls, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        month, year = today.month - 11, today.year
        if month < 1:
            month, year = month + 12, year - 1
        return cls(date(year, month, 1), today)

    def months(self) -> list[date]:
        months, current = [], self.start.replace(day=1)
        while current <= self.end:
            months.append(current)
            current = (current + timedelta(days=32)).replace(day=1)
        return months


@dataclass
class Row:
    """Uses of one month, dataset or organisation, by kind and by audience."""

    label: str
    key: object = None
    detail: str = ""
    page: int = 0
    ogc: int = 0
    download: int = 0
    total: int = 0
    anonymous: int = 0

    @property
    def registered(self) -> int:
        return self.total - self.anonymous


@dataclass
class Report:
    period: Period
    totals: Row
    months: list[Row]
    datasets: list[Row]
    organisations: list[Row]
    services: list[tuple[str, int]] = field(default_factory=list)

    @property
    def top_datasets(self) -> list[Row]:
        return [row for row in self.datasets[:10] if row.total]

    @property
    def empty(self) -> bool:
        return self.totals.total == 0


def _sums() -> dict:
    sums = {kind.value: Sum("count", filter=Q(kind=kind), default=0) for kind in KINDS}
    sums["total"] = Sum("count", default=0)
    sums["anonymous"] = Sum("count", filter=Q(user__isnull=True), default=0)
    return sums


def _row(values: dict, label: str, key: object = None, detail: str = "") -> Row:
    return Row(
        label=label,
        key=key,
        detail=detail,
        **{name: values[name] for name in ("page", "ogc", "download", "total", "anonymous")},
    )


def usage(period: Period, datasets: QuerySet | None = None) -> QuerySet:
    """The counts of a period, for all datasets (None) or for those of `datasets`."""
    counts = UsageCount.objects.filter(day__gte=period.start, day__lte=period.end)
    if datasets is not None:
        counts = counts.filter(dataset__in=datasets.values("pk"))
    return counts


def report(period: Period, datasets: QuerySet | None = None) -> Report:
    counts = usage(period, datasets)
    totals = _row(counts.aggregate(**_sums()), "total")
    by_month = {
        r["month"]: r for r in counts.annotate(month=TruncMonth("day")).values("month").annotate(**_sums()).order_by()
    }
    empty = dict.fromkeys(("page", "ogc", "download", "total", "anonymous"), 0)
    months = [_row(by_month.get(month, empty), "", key=month) for month in period.months()]
    per_dataset = (
        counts.filter(dataset__isnull=False)
        .values("dataset_id", "dataset__title", "dataset__organisation__name")
        .annotate(**_sums())
        .order_by("-total", "dataset__title")
    )
    dataset_rows = [
        _row(r, r["dataset__title"], key=r["dataset_id"], detail=r["dataset__organisation__name"]) for r in per_dataset
    ]
    per_organisation = counts.values("organisation_id", "organisation__name").annotate(**_sums()).order_by("-total")
    organisation_rows = [_row(r, r["organisation__name"] or "", key=r["organisation_id"]) for r in per_organisation]
    services = list(
        counts.filter(kind=UsageCount.Kind.OGC)
        .values_list("service")
        .annotate(n=Sum("count"))
        .order_by("-n", "service")
    )
    return Report(period, totals, months, dataset_rows, organisation_rows, services)


def export_rows(period: Period, datasets: QuerySet | None = None) -> list[tuple[date, Row]]:
    """One row per month and dataset, for the CSV export."""
    per_month_dataset = (
        usage(period, datasets)
        .filter(dataset__isnull=False)
        .annotate(month=TruncMonth("day"))
        .values("month", "dataset_id", "dataset__title", "dataset__organisation__name")
        .annotate(**_sums())
        .order_by("month", "dataset__title", "dataset_id")
    )
    return [
        (r["month"], _row(r, r["dataset__title"], key=r["dataset_id"], detail=r["dataset__organisation__name"]))
        for r in per_month_dataset
    ]
