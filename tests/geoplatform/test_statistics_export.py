"""The figures on screen can be downloaded as a CSV file that spreadsheets open with their accents."""

import csv
import io

import pytest
from django.utils import timezone

from catalogue.models import Dataset
from geoplatform.models import UsageCount

pytestmark = pytest.mark.django_db

HEADER = [
    "Mois",
    "Identifiant du jeu de données",
    "Jeu de données",
    "Organisation",
    "Consultations",
    "Requêtes OGC",
    "Téléchargements",
    "Total",
    "Anonymes",
    "Utilisateurs inscrits",
]


@pytest.fixture
def usage(organisations, reader):
    day = timezone.localdate()
    ours = Dataset.objects.create(title="Espaces verts à Orléans", organisation=organisations["a"], public=True)
    theirs = Dataset.objects.create(title="Routes départementales", organisation=organisations["b"], public=True)
    for dataset, kind, user, count in [(ours, "page", None, 12), (ours, "ogc", reader, 3), (theirs, "page", None, 4)]:
        UsageCount.objects.create(
            day=day, kind=kind, service="WMS" if kind == "ogc" else "", dataset=dataset, user=user, count=count
        )
    return ours, theirs


def rows(response) -> list[list[str]]:
    body = response.content
    assert body.startswith("\ufeff".encode())  # UTF-8 BOM: spreadsheets read the accents right
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_administrator_exports_the_platform_figures(client, admin_user, usage):
    ours, theirs = usage
    client.force_login(admin_user)
    response = client.get("/statistiques/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    table = rows(response)
    month = timezone.localdate().strftime("%Y-%m")
    assert table[0] == HEADER
    assert table[1:] == [
        [month, str(ours.pk), "Espaces verts à Orléans", "Commune A", "12", "3", "0", "15", "12", "3"],
        [month, str(theirs.pk), "Routes départementales", "Département B", "4", "0", "0", "4", "4", "0"],
    ]


def test_the_export_follows_the_chosen_period(client, admin_user, usage):
    client.force_login(admin_user)
    table = rows(client.get("/statistiques/export.csv", {"du": "2001-01-01", "au": "2001-12-31"}))
    assert table == [HEADER]


def test_a_producer_exports_only_their_datasets(client, producer_a, usage):
    client.force_login(producer_a)
    table = rows(client.get("/statistiques/export.csv", {"perimetre": "mes-donnees"}))
    assert [row[2] for row in table[1:]] == ["Espaces verts à Orléans"]


def test_a_producer_may_not_export_the_platform_figures(client, producer_a, usage):
    client.force_login(producer_a)
    assert client.get("/statistiques/export.csv").status_code == 403


def test_the_page_links_to_the_export_of_what_it_shows(client, producer_a, usage):
    client.force_login(producer_a)
    page = client.get("/statistiques/mes-donnees/", {"du": "2024-01-01", "au": "2024-06-30"}).content.decode()
    assert "/statistiques/export.csv?du=2024-01-01&amp;au=2024-06-30&amp;perimetre=mes-donnees" in page
