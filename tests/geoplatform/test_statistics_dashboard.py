"""Administrators see the usage of the whole platform at /statistiques/; producers see the usage of the datasets
they may edit at /statistiques/mes-donnees/, and nothing else."""

from datetime import date

import pytest
from django.utils import timezone

from catalogue.models import Dataset
from geoplatform.models import UsageCount

pytestmark = pytest.mark.django_db


@pytest.fixture
def usage(organisations, reader):
    """Two datasets with uses this month: one of organisation A, one of organisation B."""
    this_month = timezone.localdate().replace(day=1)
    ours = Dataset.objects.create(title="Écoles de la commune", organisation=organisations["a"], public=True)
    theirs = Dataset.objects.create(title="Routes départementales", organisation=organisations["b"], public=True)
    rows = [
        (ours, "page", "", None, 1200),
        (ours, "page", "", reader, 34),
        (ours, "ogc", "WMS", None, 56),
        (theirs, "page", "", None, 7),
        (theirs, "download", "", reader, 9),
    ]
    for dataset, kind, service, user, count in rows:
        UsageCount.objects.create(
            day=this_month,
            kind=kind,
            service=service,
            dataset=dataset,
            user=user,
            organisation=dataset.organisation,
            count=count,
        )
    return ours, theirs


def test_the_administrator_sees_every_figure(client, admin_user, usage):
    client.force_login(admin_user)
    response = client.get("/statistiques/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Écoles de la commune" in page and "Routes départementales" in page
    assert "Commune A" in page and "Département B" in page
    total = response.context["report"].totals
    assert (total.page, total.ogc, total.download, total.total) == (1241, 56, 9, 1306)
    assert (total.anonymous, total.registered) == (1263, 43)
    assert "1\xa0306" in page  # French thousands separator
    assert "<svg" in page and "<table" in page  # the chart, and the same numbers in a table
    assert response.context["report"].services == [("WMS", 56)]


def test_months_outside_the_period_are_left_out(client, admin_user, usage, organisations):
    ours, _theirs = usage
    UsageCount.objects.create(day=date(2020, 1, 15), kind="page", dataset=ours, count=500)
    client.force_login(admin_user)
    default = client.get("/statistiques/").context["report"]
    assert default.totals.total == 1306
    assert len(default.months) == 12
    old = client.get("/statistiques/", {"du": "2020-01-01", "au": "2020-01-31"}).context["report"]
    assert old.totals.total == 500
    assert [row.total for row in old.months] == [500]


def test_a_period_ending_before_it_starts_is_refused(client, admin_user, usage):
    client.force_login(admin_user)
    response = client.get("/statistiques/", {"du": "2025-05-01", "au": "2025-01-01"})
    assert response.status_code == 200
    assert "La date de début doit précéder la date de fin." in response.content.decode()
    assert response.context["report"].totals.total == 1306  # the last twelve months instead


def test_a_producer_may_not_see_the_platform_dashboard(client, producer_a, usage):
    client.force_login(producer_a)
    response = client.get("/statistiques/")
    assert response.status_code == 403
    assert "Routes départementales" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client, usage):
    for path in ("/statistiques/", "/statistiques/mes-donnees/", "/statistiques/export.csv"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/comptes/login/" in response["Location"]


def test_a_producer_sees_only_the_datasets_they_may_edit(client, producer_a, usage):
    client.force_login(producer_a)
    response = client.get("/statistiques/mes-donnees/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Écoles de la commune" in page
    assert "Routes départementales" not in page
    assert "Département B" not in page
    report = response.context["report"]
    assert report.totals.total == 1290
    assert [row.label for row in report.datasets] == ["Écoles de la commune"]


def test_a_member_who_may_not_edit_sees_an_empty_page(client, member_a, usage):
    client.force_login(member_a)
    response = client.get("/statistiques/mes-donnees/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Vous ne gérez aucun jeu de données" in page
    assert "Écoles de la commune" not in page


def test_a_reader_with_nothing_sees_an_empty_page(client, reader, usage):
    client.force_login(reader)
    response = client.get("/statistiques/mes-donnees/")
    assert response.status_code == 200
    assert "Vous ne gérez aucun jeu de données" in response.content.decode()
