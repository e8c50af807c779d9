"""Run one import as the worker does, in a fresh process, and print its timings and peak memory as JSON.

Usage: python -m tests.bench.measure_import '{"user": 1, "organisation": 1, "path": "...", "filename": "..."}'
The environment names the database (GP_DB_NAME), GP_TESTING=1 and GP_DATA_DIR.

Each pipeline step is wrapped with a timer from outside; the import code itself is not changed.
"""

import json
import os
import sys
import time
from functools import wraps
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoplatform.settings")

import django  # noqa: E402

django.setup()

from catalogue.models import Dataset  # noqa: E402
from geoplatform.models import Organisation, User  # noqa: E402
from importer.services import inspect, load, pipeline, sources  # noqa: E402
from tests.bench.memory import own_peak_mb  # noqa: E402

STEPS: dict[str, float] = {}


def _timed(module, name: str, step: str) -> None:
    function = getattr(module, name)

    @wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            STEPS[step] = STEPS.get(step, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(arguments: dict) -> dict:
    # `precheck` runs before the job is created; `prepare` also runs inside it (it unzips archives).
    _timed(pipeline, "precheck", "precheck")
    _timed(sources, "prepare", "prepare")
    _timed(inspect, "inspect_vector", "inspect")
    _timed(load, "load_vector", "load")
    _timed(load, "repair_geometries", "repair")
    _timed(load, "describe_table", "describe")
    _timed(pipeline, "publish_version", "publish")
    user = User.objects.get(pk=arguments["user"])
    organisation = Organisation.objects.get(pk=arguments["organisation"])
    rss_before = _rss_mb()
    start = time.perf_counter()
    job = pipeline.create_import(
        user=user,
        path=Path(arguments["path"]),
        filename=arguments["filename"],
        organisation=organisation,
        run_now=True,
    )
    wall = time.perf_counter() - start
    dataset = Dataset.objects.get(pk=job.dataset_id)
    return {
        "status": job.status,
        "error": [job.error_code, job.error_message, job.error_details],
        "report": job.report,
        "dataset": dataset.pk,
        "table": dataset.table_name,
        "feature_count": dataset.feature_count,
        "wall": wall,
        "steps": STEPS,
        "rss_before_mb": rss_before,
        "python_peak_mb": own_peak_mb(),
    }


if __name__ == "__main__":
    result = main(json.loads(sys.argv[1]))
    print("BENCH-RESULT " + json.dumps(result, default=str), flush=True)
