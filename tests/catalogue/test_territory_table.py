"""The attribute table on the dataset page lists and counts only the features of the reader's territory."""

import re

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils.html import escape

from catalogue.models import Grant
from geoplatform.models import Territory
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)

X, Y = ORIGIN
# 30 squares on a 4-column grid; the territory holds the first two columns (15 squares), the second one only
# in part (it is cut at x = 1250).
WEST = Polygon.from_bbox((X - 100, Y - 100, X + 1250, Y + 8000))
WEST.srid = 2154
NOTICE = "limitées aux objets de votre territoire"


def _name(code: int) -> str:
    return escape(f"Parcelle n°{code} à l'été")


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    return import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=30)), "Parcelles").dataset


@pytest.fixture
def territory(db):
    return Territory.objects.create(name="Ouest", geometry=MultiPolygon(WEST.transform(4326, clone=True), srid=4326))


def test_restricted_grant_lists_and_counts_only_the_territory(client, reader, dataset, territory):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="user", user=reader, territory=territory)
    client.force_login(reader)
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    inside = [code for code in range(30) if code % 4 in (0, 1)]
    assert all(f"<td>{_name(code)}</td>" in page for code in inside)
    assert not any(f"<td>{_name(code)}</td>" in page for code in range(30) if code not in inside)
    assert "Page 1 sur" not in page, "15 features fit on one page: the total of 30 is not revealed"
    assert NOTICE in page
    count = re.search(r"<dd data-feature-count>(\d+)</dd>", page)
    assert count and count.group(1) == str(len(inside)), "the record shows the count within the territory only"


def test_unrestricted_reader_and_producer_see_every_row(client, reader, producer_a, dataset, territory):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="user", user=reader)
    for user in (reader, producer_a):
        client.force_login(user)
        page = client.get(f"/donnees/{dataset.pk}/").content.decode()
        assert "Page 1 sur 2" in page and f"<td>{_name(2)}</td>" in page
        assert NOTICE not in page


def test_territory_restricted_dataset_without_territory_shows_the_record_without_the_table(
    client, reader, dataset, territory
):
    dataset.public = True
    dataset.territory_restricted = True
    dataset.save()
    client.force_login(reader)
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert "Parcelles" in page and "Table attributaire" not in page and _name(0) not in page
    assert "aucun territoire ne vous est attribué" in page
    client.logout()
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert "Parcelles" in page and "Table attributaire" not in page and _name(0) not in page
    reader.territory = territory
    reader.save()
    client.force_login(reader)
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert f"<td>{_name(1)}</td>" in page and f"<td>{_name(2)}</td>" not in page and NOTICE in page
