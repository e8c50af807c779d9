"""Counters move from Redis into UsageCount rows every minute: counts add up, nothing is lost when uses arrive
during a flush, and a flush that died half-way is finished by the next one without counting anything twice."""

from datetime import date

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from catalogue.models import Dataset
from geoplatform import statistics
from geoplatform.models import UsageCount
from geoplatform.tasks import flush_usage

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2025, 3, 14)


@pytest.fixture(autouse=True)
def usage_keys():
    statistics.reset()

    def clean() -> None:
        client = statistics.redis_client()
        keys = list(client.scan_iter(statistics.redis_key("*")))
        if keys:
            client.delete(*keys)

    clean()
    yield
    clean()
    statistics.reset()


@pytest.fixture
def dataset(organisations):
    return Dataset.objects.create(title="Bâtiments", organisation=organisations["a"], public=True)


def hit(dataset, user=None, kind="page", service="", times=1, day=DAY) -> None:
    for _ in range(times):
        statistics.record(
            kind,
            service=service,
            dataset_id=dataset.pk,
            organisation_id=dataset.organisation_id,
            user_id=user.pk if user else None,
            day=day,
        )


def counted(**lookup) -> int:
    return sum(UsageCount.objects.filter(**lookup).values_list("count", flat=True))


def test_counts_add_up_across_flushes(client, dataset, reader):
    hit(dataset, times=3)
    hit(dataset, reader, kind="ogc", service="WMS", times=2)
    assert statistics.flush() == 5
    hit(dataset, times=4)
    assert statistics.flush() == 4

    anonymous = UsageCount.objects.get(day=DAY, kind="page", dataset=dataset, user=None)
    assert anonymous.count == 7
    assert anonymous.organisation == dataset.organisation
    wms = UsageCount.objects.get(day=DAY, kind="ogc", service="WMS", dataset=dataset, user=reader)
    assert wms.count == 2
    assert UsageCount.objects.count() == 2
    assert statistics.flush() == 0


def test_a_real_page_view_ends_in_the_database(client, dataset):
    client.get(f"/donnees/{dataset.pk}/")
    client.get(f"/donnees/{dataset.pk}/")
    statistics.flush()
    assert counted(kind="page", dataset=dataset, user=None) == 2


def test_uses_counted_during_a_flush_are_kept_for_the_next(dataset):
    hit(dataset, times=2)
    batches = statistics.take()
    hit(dataset, times=5)  # arrives between the take and the database write
    for batch in batches:
        statistics.apply(batch)
    assert counted(dataset=dataset) == 2
    statistics.flush()
    assert counted(dataset=dataset) == 7


def test_a_flush_that_died_before_writing_is_finished_by_the_next(dataset):
    hit(dataset, times=3)
    statistics.take()  # the worker dies here: the counters are out of the day hash, not in the database
    assert counted(dataset=dataset) == 0
    hit(dataset, times=1)
    assert statistics.flush() == 4
    assert counted(dataset=dataset) == 4


def test_a_flush_that_died_after_writing_is_not_counted_twice(dataset):
    hit(dataset, times=3)
    [batch] = statistics.take()
    statistics.store(batch)  # committed, then the worker dies before removing the batch from Redis
    assert counted(dataset=dataset) == 3
    statistics.flush()
    assert counted(dataset=dataset) == 3
    assert statistics.pending_batches() == []


def test_counters_of_deleted_datasets_and_users_do_not_stop_the_flush(organisations, dataset, reader):
    gone = Dataset.objects.create(title="Supprimé", organisation=organisations["b"])
    hit(gone, times=2)
    hit(dataset, reader, times=1)
    hit(dataset, times=1)
    gone.delete()
    reader.delete()
    statistics.flush()
    assert not UsageCount.objects.filter(dataset_id=gone.pk).exists()
    assert counted(dataset=dataset, user=None) == 2  # the deleted user's use counts as anonymous
    assert statistics.pending_batches() == []


def test_each_day_keeps_its_own_rows(dataset):
    hit(dataset, times=1, day=date(2025, 3, 14))
    hit(dataset, times=2, day=date(2025, 3, 15))
    statistics.flush()
    assert counted(day=date(2025, 3, 14)) == 1
    assert counted(day=date(2025, 3, 15)) == 2


def test_the_command_and_the_task_run_the_same_flush(dataset, capsys):
    hit(dataset, times=2)
    call_command("flush_usage")
    assert "2 usage(s) moved" in capsys.readouterr().out
    hit(dataset, times=1)
    assert flush_usage() == 1
    assert counted(dataset=dataset) == 3


def test_only_one_flush_runs_at_a_time(dataset):
    hit(dataset, times=1)
    other = connections.create_connection("default")  # another process's flush, holding the lock
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [statistics.FLUSH_LOCK_ID])
        assert statistics.flush() == 0
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [statistics.FLUSH_LOCK_ID])
    finally:
        other.close()
    assert statistics.flush() == 1


def test_beat_flushes_every_minute():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "geoplatform.tasks.flush_usage")
    assert entry["schedule"] == 60.0
