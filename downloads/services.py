"""Downloads: what views, the API, the worker (and the pages built on them) call. Views stay thin.

Public functions
- `owner_of(request) -> Owner`: who a download belongs to (the user, or an anonymous visitor's session and address).
- `download_decision(user, dataset) -> Decision`: who may download what, where (`rights.decide`, which also holds
  the open-data rule for anonymous visitors).
- `validate_items(user, raw_items) -> list[Extract]`: checks rights, format, CRS and clip of each requested item
  (raises `DownloadError` with a stable code); `normalise_item(extract) -> dict` is what jobs and baskets store.
- `estimate(extracts) -> Estimate` and `is_direct(estimate) -> bool`: small extracts stream, large ones are jobs.
- `create_download(owner, raw_items, force_deferred=False) -> DownloadJob`: validates, checks quotas and rate
  limits, records the job and queues it when deferred (the API always defers).
- `stream_download(job) -> Iterator[bytes]`: the zip of a direct job, produced as it is sent.
- `run_job(job_id) -> DownloadJob`: the worker's entry point (zip written under a temporary name, renamed when
  complete), then statistics and the e-mail with the signed link.
- `cancel_job(job)`, `jobs_for(owner)`, `get_job(owner, pk)`: history, detail (404 for others' jobs), cancel.
- `signed_link(job) -> str`, `job_from_token(token) -> DownloadJob`: the expiring link to a finished zip.
- `basket_items(owner)`, `add_to_basket(owner, raw_item)`, `remove_from_basket(owner, pk)`,
  `order_basket(owner) -> DownloadJob`: the basket, ordered as one job producing one zip.
- `usage_today(owner) -> int`: bytes counted against the daily quota; `check_rate(owner)`, `check_limits(owner,
  size, deferred)`: the 429 refusals (rate_limited, quota_exceeded, too_many_jobs).
- `cleanup_expired() -> int`: removes the files of expired jobs (Celery beat).
- `job_document(job) -> dict`: the job as the API shows it.
"""

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from catalogue.models import Dataset
from geoplatform import rights, statistics
from geoplatform.rights import Action, Decision

from . import clip as clips
from .errors import DownloadCancelled, DownloadError
from .extract import Extract, attribute_names, field_mapping, write_files
from .extract import estimate as estimate_extract
from .formats import DEFAULT_SRID, FORMATS, SRIDS, GeoTiff, VectorDriver
from .models import BasketItem, DownloadJob
from .package import ReadmeEntry, package_members, stream_zip

logger = logging.getLogger(__name__)

# "Open data" here: a public record, not restricted to territories, under an open licence, with no INSPIRE
# limitation on public access. Only such datasets may be downloaded without an account.
LINK_SALT = "downloads.file"
MAX_ATTEMPTS = 3  # a job whose worker died this many times is failed rather than retried again
PROGRESS_EVERY = 0.5  # seconds between two progress writes
JOB_LOCK_NAMESPACE = 7_305_007  # PostgreSQL advisory locks of download jobs (with the job id's hash)


@dataclass(frozen=True)
class Owner:
    user: "object"
    session_key: str = ""
    ip: str | None = None

    @property
    def authenticated(self) -> bool:
        return bool(self.user is not None and self.user.is_authenticated)

    def jobs_filter(self) -> Q:
        if self.authenticated:
            return Q(user=self.user)
        if not self.session_key:
            return Q(pk__in=[])
        return Q(user__isnull=True, session_key=self.session_key)

    def who(self) -> str:
        return f"user:{self.user.pk}" if self.authenticated else f"ip:{self.ip or '-'}"


def owner_of(request: HttpRequest) -> Owner:
    user = getattr(request, "user", None) or AnonymousUser()
    session_key = ""
    if not user.is_authenticated and hasattr(request, "session"):
        if not request.session.session_key:
            request.session.save()
        session_key = request.session.session_key or ""
    return Owner(user, session_key, request.META.get("REMOTE_ADDR"))


def download_decision(user: object, dataset: Dataset) -> Decision:
    """The rights choke point's answer for a download (anonymous visitors: open data only, `rights.is_open_data`)."""
    return rights.decide(user if user is not None else AnonymousUser(), Action.DOWNLOAD, dataset)


# --- Validation -------------------------------------------------------------------------------------------------


def _not_found() -> DownloadError:
    return DownloadError(
        "forbidden", _("Jeu de données introuvable, ou vous n'avez pas le droit de le télécharger."), 404
    )


def _dataset(user: object, raw: object) -> tuple[Dataset, Decision]:
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise DownloadError("invalid_items", _("Chaque élément doit désigner un jeu de données par son numéro."))
    dataset = Dataset.objects.select_related("organisation").filter(pk=int(raw)).first()
    if dataset is None:
        raise _not_found()
    decision = download_decision(user, dataset)
    if not decision:
        if rights.can(user or AnonymousUser(), Action.VIEW_METADATA, dataset):
            raise DownloadError("forbidden", _("Vous n'avez pas le droit de télécharger ce jeu de données."), 403)
        raise _not_found()
    if not dataset.has_data:
        raise DownloadError("no_data", _("Ce jeu de données n'a pas encore de données à télécharger."))
    return dataset, decision


def _format(dataset: Dataset, raw: object):
    driver = FORMATS.get(str(raw or "").lower())
    if driver is None:
        raise DownloadError(
            "unknown_format",
            _("Format inconnu. Formats possibles : %(formats)s.") % {"formats": ", ".join(FORMATS)},
        )
    if driver.kind != dataset.kind:
        raise DownloadError(
            "format_mismatch",
            _("Le format %(format)s ne convient pas à ce jeu de données (%(kind)s).")
            % {"format": driver.name, "kind": dataset.get_kind_display()},
        )
    if not driver.available():
        raise DownloadError(
            "format_unavailable",
            _("Le format %(format)s n'est pas disponible sur ce serveur.") % {"format": driver.name},
        )
    return driver


def _srid(driver, raw: object) -> int:
    if raw in (None, ""):
        return driver.forced_srid or DEFAULT_SRID
    text = str(raw).upper().removeprefix("EPSG:")
    if isinstance(raw, bool) or not text.isdigit() or int(text) not in SRIDS:
        raise DownloadError(
            "unknown_srid",
            _("Système de coordonnées non proposé. Codes EPSG possibles : %(codes)s.")
            % {"codes": ", ".join(map(str, SRIDS))},
        )
    srid = int(text)
    if driver.forced_srid and srid != driver.forced_srid:
        raise DownloadError(
            "unknown_srid",
            _("Le format %(format)s impose EPSG:%(srid)s.") % {"format": driver.name, "srid": driver.forced_srid},
        )
    return srid


def _options(driver, raw: object) -> dict:
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict) or set(raw) - {"compression"} or not isinstance(driver, GeoTiff):
        raise DownloadError("invalid_option", _("Option inconnue pour ce format."))
    if raw["compression"] not in GeoTiff.compressions:
        raise DownloadError(
            "invalid_option",
            _("Compression inconnue. Choix possibles : %(choices)s.") % {"choices": ", ".join(GeoTiff.compressions)},
        )
    return {"compression": raw["compression"]}


def validate_items(user: object, raw_items: object) -> list[Extract]:
    """Each requested item checked (rights first, so a refusal says nothing of a dataset one may not see)."""
    if not isinstance(raw_items, list) or not raw_items:
        raise DownloadError("invalid_items", _("Indiquez au moins un jeu de données à télécharger."))
    if len(raw_items) > settings.GP_DOWNLOAD_MAX_ITEMS:
        raise DownloadError(
            "invalid_items",
            _("Un téléchargement compte au plus %(max)s jeux de données.") % {"max": settings.GP_DOWNLOAD_MAX_ITEMS},
        )
    extracts = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            raise DownloadError("invalid_items", _("Chaque élément doit être un objet (dataset, format, srid, clip)."))
        dataset, decision = _dataset(user, raw.get("dataset"))
        driver = _format(dataset, raw.get("format"))
        srid = _srid(driver, raw.get("srid"))
        options = _options(driver, raw.get("options"))
        clip = clips.parse_clip(raw.get("clip"))
        area = clips.effective_area(clip, decision.territory, dataset.srid or DEFAULT_SRID)
        spec = {
            "dataset": dataset.pk, "format": driver.name, "srid": srid, "clip": clip.spec if clip else None,
            **({"options": options} if options else {}),
        }  # fmt: skip
        extracts.append(
            Extract(
                dataset=dataset,
                format=driver.name,
                srid=srid,
                area=area,
                clip_description=clip.description if clip else _("aucun (jeu de données entier)"),
                territory_applied=decision.territory is not None,
                options=options,
                spec=spec,
            )
        )
    return extracts


def normalise_item(extract: Extract) -> dict:
    return dict(extract.spec)


# --- Estimates and limits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    features: int
    pixels: int
    bytes: int


def estimate(extracts: list[Extract]) -> Estimate:
    features = pixels = size = 0
    for extract in extracts:
        count, weight = estimate_extract(extract)
        if extract.dataset.kind == Dataset.Kind.RASTER:
            pixels += count
        else:
            features += count
        size += weight
    return Estimate(features, pixels, size)


def is_direct(value: Estimate) -> bool:
    return (
        value.features <= settings.GP_DOWNLOAD_DIRECT_MAX_FEATURES
        and value.pixels <= settings.GP_DOWNLOAD_DIRECT_MAX_PIXELS
        and value.bytes <= settings.GP_DOWNLOAD_DIRECT_MAX_BYTES
    )


def usage_today(owner: Owner) -> int:
    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    if owner.authenticated:
        jobs = DownloadJob.objects.filter(user=owner.user)
    else:
        jobs = DownloadJob.objects.filter(user__isnull=True, client_ip=owner.ip)
    jobs = jobs.filter(created_at__gte=since).exclude(
        status__in=[DownloadJob.Status.FAILED, DownloadJob.Status.CANCELLED]
    )
    return jobs.aggregate(total=Sum(Coalesce("size", "estimated_size")))["total"] or 0


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f}"


def check_rate(owner: Owner) -> None:
    """Requests per minute, counted before anything else (refused requests too: probing is slowed down as well)."""
    minute = int(time.time() // 60)
    key = f"downloads:rate:{owner.who()}:{minute}"
    cache.add(key, 0, timeout=120)
    if cache.incr(key) > settings.GP_DOWNLOAD_RATE_PER_MINUTE:
        raise DownloadError("rate_limited", _("Trop de demandes de téléchargement : réessayez dans une minute."), 429)


def check_limits(owner: Owner, size: int, deferred: bool) -> None:
    """Daily quota and jobs in flight; each refusal is a 429 with its own code and French message."""
    used = usage_today(owner)
    if used + size > settings.GP_DOWNLOAD_QUOTA_BYTES_PER_DAY:
        raise DownloadError(
            "quota_exceeded",
            _(
                "Quota journalier de téléchargement atteint : %(used)s Mo déjà téléchargés sur %(quota)s Mo, "
                "cette demande en représente environ %(size)s. Réessayez demain ou réduisez la zone."
            )
            % {
                "used": _megabytes(used),
                "quota": _megabytes(settings.GP_DOWNLOAD_QUOTA_BYTES_PER_DAY),
                "size": _megabytes(size),
            },
            429,
        )
    if deferred:
        in_flight = DownloadJob.objects.filter(
            owner.jobs_filter() if owner.authenticated else Q(user__isnull=True, client_ip=owner.ip),
            mode=DownloadJob.Mode.DEFERRED,
            status__in=[DownloadJob.Status.QUEUED, DownloadJob.Status.RUNNING],
        ).count()
        if in_flight >= settings.GP_DOWNLOAD_MAX_JOBS_IN_FLIGHT:
            raise DownloadError(
                "too_many_jobs",
                _("Vous avez déjà %(count)s téléchargements en cours : attendez qu'ils se terminent.")
                % {"count": in_flight},
                429,
            )


# --- Jobs -------------------------------------------------------------------------------------------------------


def create_download(owner: Owner, raw_items: object, force_deferred: bool = False) -> DownloadJob:
    """A new download: direct when small (the caller then streams it), else a queued Celery job."""
    from .tasks import run_download_task

    check_rate(owner)
    extracts = validate_items(owner.user, raw_items)
    value = estimate(extracts)
    deferred = force_deferred or not is_direct(value)
    check_limits(owner, value.bytes, deferred)
    job = DownloadJob.objects.create(
        user=owner.user if owner.authenticated else None,
        session_key="" if owner.authenticated else owner.session_key,
        client_ip=owner.ip,
        mode=DownloadJob.Mode.DEFERRED if deferred else DownloadJob.Mode.DIRECT,
        items=[normalise_item(extract) for extract in extracts],
        estimated_size=value.bytes,
    )
    job._extracts = extracts  # type: ignore[attr-defined]  # reused by a direct stream: no second validation
    if deferred:
        transaction.on_commit(lambda: run_download_task.delay(str(job.pk)))
    return job


def _readme_entries(extracts: list[Extract]) -> list[ReadmeEntry]:
    entries = []
    for index, extract in enumerate(extracts, start=1):
        driver = extract.driver
        mapping = {}
        if isinstance(driver, VectorDriver):
            mapping = field_mapping(attribute_names(extract.dataset), driver.max_field_length)
        entries.append(
            ReadmeEntry(
                dataset=extract.dataset,
                folder=f"{index:02d}_{extract.basename}",
                format_label=f"{driver.label} ({driver.name})",
                srid=extract.srid,
                clip=extract.clip_description,
                territory_applied=extract.territory_applied,
                mapping=mapping,
                note=str(driver.note),
            )
        )
    return entries


class _Progress:
    """Writes a job's progress (over all its datasets) at most twice a second, and tells whether it was cancelled."""

    def __init__(self, job: DownloadJob, count: int) -> None:
        self.job, self.count, self.index, self.last = job, count, 0, 0.0

    def item(self, index: int) -> None:
        self.index = index
        self.update(0)

    def update(self, percent: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        value = min(99, int((self.index * 100 + percent) / self.count))
        DownloadJob.objects.filter(pk=self.job.pk).update(progress=value)

    def cancelled(self) -> bool:
        return DownloadJob.objects.filter(pk=self.job.pk, status=DownloadJob.Status.CANCELLED).exists()


def _package(job: DownloadJob, extracts: list[Extract], work: Path) -> Iterator[bytes]:
    progress = _Progress(job, len(extracts))
    entries = _readme_entries(extracts)

    def files(index: int) -> list[tuple[str, Path | Iterator[bytes]]]:
        progress.item(index)
        if progress.cancelled():
            raise DownloadCancelled
        return write_files(extracts[index], work / entries[index].folder, progress.update, progress.cancelled)

    return stream_zip(package_members(entries, files))


def _record_statistics(job: DownloadJob, extracts: list[Extract]) -> None:
    for extract in extracts:
        statistics.record_download(extract.dataset, job.user)


def _finish(job: DownloadJob, **fields: object) -> None:
    fields.setdefault("finished_at", timezone.now())
    for name, value in fields.items():
        setattr(job, name, value)
    DownloadJob.objects.filter(pk=job.pk).update(**fields)


def stream_download(job: DownloadJob) -> Iterator[bytes]:
    """The zip of a direct download, produced while it is sent; the job row ends succeeded, or failed if cut short."""
    extracts = getattr(job, "_extracts", None) or validate_items(job.user or AnonymousUser(), job.items)
    work = Path(tempfile.mkdtemp(prefix=f"download-{job.pk}-", dir=_work_root()))
    _finish(job, status=DownloadJob.Status.RUNNING, started_at=timezone.now(), finished_at=None)
    size, complete = 0, False
    try:
        for chunk in _package(job, extracts, work):
            size += len(chunk)
            yield chunk
        complete = True
    except DownloadError as error:
        _finish(job, status=DownloadJob.Status.FAILED, error_code=error.code, error_message=error.message)
        logger.warning("direct download %s failed: %s %s", job.pk, error.code, error.details)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if complete:
            _finish(job, status=DownloadJob.Status.SUCCEEDED, progress=100, size=size)
            _record_statistics(job, extracts)
        elif not job.finished:
            _finish(
                job,
                status=DownloadJob.Status.FAILED,
                error_code="interrupted",
                error_message=_("Le téléchargement a été interrompu avant la fin."),
            )


def _work_root() -> Path:
    root = Path(settings.DATA_DIR) / "work"
    root.mkdir(parents=True, exist_ok=True)
    return root


def results_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def partial_path(job: DownloadJob) -> Path:
    """Where a job's zip is written while incomplete; nothing ever serves this name."""
    return results_dir() / f".{job.pk}.zip.part"


def result_path(job: DownloadJob) -> Path:
    return results_dir() / f"{job.pk}.zip"


def _claim(job_id: str) -> DownloadJob | None:
    """Mark the job running for this attempt (a retried job starts again from scratch); None when nothing to do."""
    with transaction.atomic():
        job = DownloadJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return job
        job.attempts += 1
        if job.attempts > MAX_ATTEMPTS:
            with override("fr"):
                message = _(
                    "Le téléchargement a échoué plusieurs fois : le serveur s'est arrêté pendant sa préparation."
                )
            _finish(job, status=DownloadJob.Status.FAILED, error_code="worker_lost", error_message=message)
            return job
        job.status, job.started_at, job.progress = DownloadJob.Status.RUNNING, timezone.now(), 0
        job.save(update_fields=["attempts", "status", "started_at", "progress"])
        return job


@contextmanager
def _exclusive(job_id: str) -> Iterator[None]:
    """One runner per job: a second delivery of the same job waits for the first, then finds it finished. The lock
    belongs to the database session, so a killed worker's lock goes with its connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [JOB_LOCK_NAMESPACE, str(job_id)])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [JOB_LOCK_NAMESPACE, str(job_id)])


def run_job(job_id: str) -> DownloadJob | None:
    """Build a deferred job's zip (the worker's entry point). The zip takes its final name only when complete."""
    with _exclusive(job_id):
        return _run_job(job_id)


def _run_job(job_id: str) -> DownloadJob | None:
    job = _claim(job_id)
    if job is None or job.finished:
        return job
    part, final = partial_path(job), result_path(job)
    work = Path(tempfile.mkdtemp(prefix=f"download-{job.pk}-", dir=_work_root()))
    try:
        with override("fr"):
            extracts = validate_items(job.user or AnonymousUser(), job.items)
            size = 0
            with part.open("wb") as fh:
                for chunk in _package(job, extracts, work):
                    fh.write(chunk)
                    size += len(chunk)
                fh.flush()
                os.fsync(fh.fileno())
        with transaction.atomic():
            current = DownloadJob.objects.select_for_update().get(pk=job.pk)
            if current.status == DownloadJob.Status.CANCELLED:
                raise DownloadCancelled
            os.replace(part, final)
            finished = timezone.now()
            _finish(
                job,
                status=DownloadJob.Status.SUCCEEDED,
                progress=100,
                size=size,
                result=str(final),
                finished_at=finished,
                expires_at=finished + timedelta(days=settings.GP_DOWNLOAD_LINK_DAYS),
            )
    except DownloadCancelled:
        job.status = DownloadJob.Status.CANCELLED
    except DownloadError as error:
        _finish(job, status=DownloadJob.Status.FAILED, error_code=error.code, error_message=error.message)
    except Exception:
        logger.exception("download job %s failed", job.pk)
        with override("fr"):
            message = _("Le téléchargement n'a pas pu être préparé à cause d'une erreur du serveur.")
        _finish(job, status=DownloadJob.Status.FAILED, error_code="internal_error", error_message=message)
    finally:
        part.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    if job.status == DownloadJob.Status.SUCCEEDED:
        _record_statistics(job, extracts)
        _send_ready_mail(job)
    return job


def cancel_job(job: DownloadJob) -> DownloadJob:
    """Cancel a job that has not finished (the worker stops its GDAL process within a second)."""
    updated = DownloadJob.objects.filter(
        pk=job.pk, status__in=[DownloadJob.Status.QUEUED, DownloadJob.Status.RUNNING]
    ).update(status=DownloadJob.Status.CANCELLED, finished_at=timezone.now())
    job.refresh_from_db()
    if not updated and job.status != DownloadJob.Status.CANCELLED:
        raise DownloadError("not_cancellable", _("Ce téléchargement est déjà terminé."), 409)
    return job


def jobs_for(owner: Owner) -> QuerySet[DownloadJob]:
    return DownloadJob.objects.filter(owner.jobs_filter())


def get_job(owner: Owner, pk: object) -> DownloadJob:
    """One of the owner's jobs; anybody else's is indistinguishable from a missing one."""
    job = jobs_for(owner).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


# --- Signed links and e-mail ------------------------------------------------------------------------------------


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=LINK_SALT)


def signed_link(job: DownloadJob) -> str:
    """The absolute address of the finished zip, valid GP_DOWNLOAD_LINK_DAYS days for whoever holds it."""
    return settings.SITE_URL + reverse("downloads:file", args=[_signer().sign(str(job.pk))])


def job_from_token(token: str) -> DownloadJob:
    """The finished job a signed link names; the owner's rights on each dataset are checked again."""
    try:
        job_id = _signer().unsign(token, max_age=timedelta(days=settings.GP_DOWNLOAD_LINK_DAYS))
    except signing.SignatureExpired as error:
        raise DownloadError(
            "link_expired", _("Ce lien de téléchargement a expiré : demandez une nouvelle extraction."), 410
        ) from error
    except signing.BadSignature as error:
        raise DownloadError("invalid_link", _("Ce lien de téléchargement n'est pas valide."), 404) from error
    job = DownloadJob.objects.filter(pk=job_id, status=DownloadJob.Status.SUCCEEDED).first()
    if job is None or not job.result or not Path(job.result).is_file():
        raise DownloadError(
            "link_expired", _("Ce fichier n'est plus disponible : demandez une nouvelle extraction."), 410
        )
    user = job.user or AnonymousUser()
    for dataset in Dataset.objects.filter(pk__in=job.dataset_ids).select_related("organisation"):
        if not download_decision(user, dataset):
            raise DownloadError("invalid_link", _("Ce lien de téléchargement n'est pas valide."), 404)
    return job


def _send_ready_mail(job: DownloadJob) -> None:
    if job.user is None or not job.user.email:
        return
    with override("fr"):
        subject = _("Votre téléchargement est prêt")
        body = _(
            "Bonjour,\n\nLes données que vous avez demandées sont prêtes :\n%(link)s\n\n"
            "Ce lien est valable %(days)s jours.\n"
        ) % {"link": signed_link(job), "days": settings.GP_DOWNLOAD_LINK_DAYS}
    try:
        send_mail(subject, body, None, [job.user.email])
    except Exception:  # the zip is ready and listed on the user's page even if the mail server is down
        logger.exception("download %s: the e-mail could not be sent", job.pk)


def cleanup_expired() -> int:
    """Remove the zips of expired jobs (the rows stay for history and quotas) and stray partial files."""
    now = timezone.now()
    count = 0
    for job in DownloadJob.objects.filter(expires_at__lt=now).exclude(result=""):
        Path(job.result).unlink(missing_ok=True)
        DownloadJob.objects.filter(pk=job.pk).update(result="")
        count += 1
    running = {
        str(pk) for pk in DownloadJob.objects.filter(status=DownloadJob.Status.RUNNING).values_list("pk", flat=True)
    }
    for part in results_dir().glob(".*.zip.part"):
        if part.name[1:].split(".")[0] not in running and part.stat().st_mtime < time.time() - 86400:
            part.unlink(missing_ok=True)
    return count


# --- Basket -----------------------------------------------------------------------------------------------------


def basket_items(owner: Owner) -> QuerySet[BasketItem]:
    if owner.authenticated:
        return BasketItem.objects.filter(user=owner.user).select_related("dataset")
    if not owner.session_key:
        return BasketItem.objects.none()
    return BasketItem.objects.filter(user__isnull=True, session_key=owner.session_key).select_related("dataset")


def add_to_basket(owner: Owner, raw_item: object) -> BasketItem:
    """Check one item as an order would, then keep it in the basket."""
    spec = normalise_item(validate_items(owner.user, [raw_item])[0])
    return BasketItem.objects.create(
        user=owner.user if owner.authenticated else None,
        session_key="" if owner.authenticated else owner.session_key,
        dataset_id=spec["dataset"],
        format=spec["format"],
        srid=spec["srid"],
        clip=spec["clip"],
        options=spec.get("options", {}),
    )


def remove_from_basket(owner: Owner, pk: object) -> None:
    if not basket_items(owner).filter(pk=pk).delete()[0]:
        raise Http404


def order_basket(owner: Owner) -> DownloadJob:
    """One deferred job producing one zip for everything in the basket, which is then emptied."""
    items = list(basket_items(owner))
    if not items:
        raise DownloadError("empty_basket", _("Votre panier est vide."))
    with transaction.atomic():
        job = create_download(owner, [item.as_item() for item in items], force_deferred=True)
        BasketItem.objects.filter(pk__in=[item.pk for item in items]).delete()
    return job


# --- API document -----------------------------------------------------------------------------------------------


def job_document(job: DownloadJob, url: str) -> dict:
    error = {"code": job.error_code, "message": job.error_message} if job.status == DownloadJob.Status.FAILED else None
    succeeded = job.status == DownloadJob.Status.SUCCEEDED and bool(job.result)
    return {
        "id": str(job.pk),
        "url": url,
        "status": job.status,
        "mode": job.mode,
        "progress": job.progress,
        "items": job.items,
        "estimated_size": job.estimated_size,
        "size": job.size,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "expires_at": job.expires_at.isoformat() if job.expires_at else None,
        "result": signed_link(job) if succeeded and job.mode == DownloadJob.Mode.DEFERRED else None,
        "error": error,
    }
