"""Benchmark session: its own test database, and the results table printed at the end."""

import pytest

from tests.bench import report
from tests.catalogue.conftest import pycsw_server  # noqa: F401  (the CSW engine the search benchmark compares with)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """`test_geoplatform_bench`, so that `make bench` and `make test` can run at the same time."""
    from django.conf import settings

    for alias in settings.DATABASES.values():
        test = alias.setdefault("TEST", {})
        test["NAME"] = f"test_{alias['NAME']}_bench"


def pytest_terminal_summary(terminalreporter):
    if report.RESULTS:
        terminalreporter.write("\n" + report.render() + "\n")
        terminalreporter.write(f"Results saved to {report.save()}\n")
    for table in report.EXTRA:
        terminalreporter.write("\n" + table + "\n")
