"""The import pipeline: from an uploaded file to a new, atomically swapped data version of a Dataset."""

import logging
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalogue.models import Dataset
from geoplatform.models import Organisation, User
from wxs import mapserver

from ..models import ImportJob
from . import inspect, load, raster, sources
from .errors import ImportCancelled, ImportError_, fail, multiple_layers

logger = logging.getLogger(__name__)


def precheck(path: Path, layer: str | None) -> None:
    """Cheap checks done before queuing a job, so that obvious mistakes answer at once.

    Archives are checked from their directory (no extraction); GeoPackages list their layers.
    Everything else is checked by the job itself.
    """
    if not path.exists() or path.stat().st_size == 0:
        raise fail("empty_file", _("Le fichier est vide."))
    if path.stat().st_size > settings.IMPORT_MAX_UPLOAD_SIZE:
        raise fail("file_too_large", _("Le fichier dépasse la taille maximale autorisée."))
    if sources.is_archive(path):
        names = sources.archive_layers(path)
        if len(names) > 1 and not layer:
            raise multiple_layers(names)
        return
    source = sources.prepare(path, path.parent)
    if source.driver == "GPKG":
        names = inspect.layer_names(source)
        if len(names) > 1 and not layer:
            raise multiple_layers(names)
        if layer and layer not in names:
            raise fail(
                "unknown_layer",
                _("La couche « %(layer)s » n'existe pas dans le fichier.") % {"layer": layer},
                layers=names,
            )


def create_import(
    *,
    user: User,
    path: Path,
    filename: str,
    organisation: Organisation | None = None,
    dataset: Dataset | None = None,
    title: str = "",
    layer: str = "",
    srid: int | None = None,
    run_now: bool = False,
) -> ImportJob:
    """Check the file, create the Dataset if new, queue the job (or run it here with `run_now`).

    Raises ImportError_ on bad input.
    """
    from ..tasks import run_import_task

    precheck(path, layer or None)
    with transaction.atomic():
        if dataset is None:
            dataset = Dataset.objects.create(
                title=title or Path(filename).stem.replace("_", " ")[:255],
                organisation=organisation,
                created_by=user,
                source_filename=filename,
            )
        elif title:
            dataset.title = title
            dataset.save(update_fields=["title", "updated_at"])
        job = ImportJob.objects.create(
            dataset=dataset,
            user=user,
            source_path=str(path),
            source_filename=filename,
            layer=layer,
            srid=srid,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        if not run_now:
            transaction.on_commit(lambda: run_import_task.delay(str(job.pk)))
    if run_now:
        return run_import(str(job.pk))
    return job


class _Progress:
    """Writes progress to the job row, at most twice a second."""

    def __init__(self, job: ImportJob, total: int | None) -> None:
        self.job, self.total, self.last = job, total, 0.0

    def __call__(self, percent: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and percent < 100:
            return
        self.last = now
        features = int(self.total * percent / 100) if self.total else 0
        ImportJob.objects.filter(pk=self.job.pk).update(progress=min(percent, 99), features_done=features)

    def cancelled(self) -> bool:
        return ImportJob.objects.filter(pk=self.job.pk, status=ImportJob.Status.CANCELLED).exists()


def _work_directory(job: ImportJob) -> Path:
    path = Path(settings.DATA_DIR) / "work" / str(job.pk)
    if path.exists():  # a retried job starts clean
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def temporary_table(job: ImportJob) -> str:
    return f"import_{job.pk.hex}"


def run_import(job_id: str) -> ImportJob:
    """Run one import job to its end: succeeded, failed (with code and message) or cancelled."""
    job = ImportJob.objects.select_related("dataset").get(pk=job_id)
    with translation.override(job.language):
        return _run(job)


def _run(job: ImportJob) -> ImportJob:
    # A job cancelled while queued (even at this very moment) is not started.
    started = (
        ImportJob.objects.filter(pk=job.pk)
        .exclude(status__in=[ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED, ImportJob.Status.CANCELLED])
        .update(status=ImportJob.Status.RUNNING, started_at=timezone.now(), progress=0, features_done=0)
    )
    if not started:
        job.refresh_from_db()
        return job
    workdir = _work_directory(job)
    table = temporary_table(job)
    try:
        source = sources.prepare(Path(job.source_path), workdir)
        layer = job.layer or None
        if source.alternatives:
            if not layer:
                raise multiple_layers(sorted(source.alternatives))
            # The choice names a file of the archive, which holds that one layer.
            source, layer = sources.select_layer_file(source, layer), None
        source = sources.utf8_text(source, workdir)
        if source.kind == "raster":
            _import_raster(job, source)
        else:
            _import_vector(job, source, layer, table)
    except ImportCancelled:
        _discard(job, table)
        _finish(job, ImportJob.Status.CANCELLED)
    except ImportError_ as error:
        _discard(job, table)
        _finish(job, ImportJob.Status.FAILED, code=error.code, message=error.message, details=error.details)
    except Exception as error:  # an unexpected fault must still leave the job visibly failed
        logger.exception("import %s failed", job.pk)
        _discard(job, table)
        _finish(
            job,
            ImportJob.Status.FAILED,
            code="internal_error",
            message=_("Une erreur inattendue a interrompu l'import. L'équipe technique a été prévenue."),
            details={"detail": str(error)[:500]},
        )
    else:  # publish_version recorded the success
        _remove_upload(job)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    job.refresh_from_db()
    return job


def _finish(
    job: ImportJob,
    status: str,
    *,
    code: str = "",
    message: str = "",
    details: dict | None = None,
    report: dict | None = None,
) -> bool:
    """Record how the job ended; False when it had been cancelled meanwhile (it then stays cancelled)."""
    fields = {
        "status": status,
        "finished_at": timezone.now(),
        "error_code": code,
        "error_message": message,
        "error_details": details or {},
    }
    if status == ImportJob.Status.SUCCEEDED:
        fields.update(progress=100, report=report or {})
    return bool(ImportJob.objects.filter(pk=job.pk).exclude(status=ImportJob.Status.CANCELLED).update(**fields))


def temporary_raster(job: ImportJob) -> Path:
    return raster.raster_directory() / f"import_{job.pk.hex}.tif"


def _discard(job: ImportJob, table: str) -> None:
    """Remove what a job that did not publish has written: its temporary table or COG."""
    load.drop_table(table)
    temporary_raster(job).unlink(missing_ok=True)


def _remove_upload(job: ImportJob) -> None:
    path = Path(job.source_path)
    uploads = Path(settings.MEDIA_ROOT) / "uploads"
    if path.parent.parent == uploads:
        shutil.rmtree(path.parent, ignore_errors=True)


def _import_vector(job: ImportJob, source: sources.Source, layer: str | None, table: str) -> None:
    info = inspect.inspect_vector(source, layer, job.srid)
    ImportJob.objects.filter(pk=job.pk).update(features_total=info.feature_count)
    progress = _Progress(job, info.feature_count)
    invalid = load.load_vector(info, table, progress, progress.cancelled)
    repaired = load.repair_geometries(table, info.family, invalid)
    described = load.describe_table(table)
    if described["feature_count"] == 0:
        raise fail("empty_layer", _("La couche ne contient aucun objet."))
    report = {
        "features": described["feature_count"],
        "repaired_geometries": repaired,
        "null_geometries": described["null_geometries"],
        "srid": info.srid,
        "layer": info.layer,
        "encoding": info.encoding,
        "geometry_type": described["geometry_type"],
    }
    publish_version(
        job.dataset,
        kind=Dataset.Kind.VECTOR,
        table=table,
        srid=info.srid,
        geometry_type=described["geometry_type"],
        feature_count=described["feature_count"],
        bbox=described["bbox"],
        attributes=described["attributes"],
        source_filename=job.source_filename,
        data_format=sources.format_name(source.driver),
        job=job,
        report=report,
    )


def _import_raster(job: ImportJob, source: sources.Source) -> None:
    info = inspect.inspect_raster(source, job.srid)
    target = temporary_raster(job)
    progress = _Progress(job, None)
    raster.convert_to_cog(info, target, progress, progress.cancelled)
    described = raster.describe_cog(target)
    publish_version(
        job.dataset,
        kind=Dataset.Kind.RASTER,
        raster_file=target,
        srid=info.srid,
        geometry_type="raster",
        feature_count=None,
        bbox=described["bbox"],
        attributes=[],
        raster_info=described["raster_info"],
        source_filename=job.source_filename,
        data_format="GeoTIFF",
        job=job,
        report={"srid": info.srid, **described["raster_info"]},
    )


def publish_version(
    dataset: Dataset,
    *,
    kind: str,
    srid: int,
    geometry_type: str,
    feature_count: int | None,
    bbox: list[float] | None,
    attributes: list[dict],
    source_filename: str,
    data_format: str = "",
    table: str = "",
    raster_file: Path | None = None,
    raster_info: dict | None = None,
    job: ImportJob | None = None,
    report: dict | None = None,
) -> None:
    """Swap a fully loaded version in: the record and the data change together, then the old data go.

    The `job` publishing it is marked succeeded in the same transaction: a cancel comes either before
    (ImportCancelled, nothing published) or too late (the job is over).
    """
    with transaction.atomic():
        if job is not None and not _finish(job, ImportJob.Status.SUCCEEDED, report=report):
            raise ImportCancelled
        current = Dataset.objects.select_for_update().get(pk=dataset.pk)
        old_table, old_raster = current.table_name, current.raster_path
        version = current.version + 1
        current.table_name, current.raster_path = "", ""
        if table:
            current.table_name = f"ds{current.pk}_v{version}"
            load.rename_table(table, current.table_name)
        if raster_file is not None:
            final = raster_file.with_name(f"ds{current.pk}_v{version}.tif")
            raster_file.rename(final)
            current.raster_path = str(final)
        current.kind = kind
        current.version = version
        current.srid = srid
        current.geometry_type = geometry_type
        current.feature_count = feature_count
        current.bbox = bbox
        current.bbox_wgs84 = load.bbox_to_wgs84(bbox, srid)
        current.attributes = attributes
        current.raster_info = raster_info or {}
        current.source_filename = source_filename
        current.data_format = data_format
        # The record's temporal reference follows the data: first import creates, every import revises.
        current.data_created = current.data_created or timezone.localdate()
        current.data_revised = timezone.localdate()
        current.save()
    mapserver.write_mapfile(current)
    # Only now that the new mapfile is in place is the previous version unused.
    load.drop_table(old_table)
    if old_raster and old_raster != current.raster_path:
        Path(old_raster).unlink(missing_ok=True)
    dataset.refresh_from_db()


def cancel(job: ImportJob) -> ImportJob:
    """Ask a queued or running job to stop; the worker notices within a second and discards its work."""
    ImportJob.objects.filter(pk=job.pk, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]).update(
        status=ImportJob.Status.CANCELLED, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job
