"""The dataset page: record, attribute table (paginated), map, editable title."""

import pytest
from django.utils.html import escape

from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=30)), "Parcelles")
    return job.dataset


def test_page_shows_record_table_and_map(client, producer_a, dataset):
    client.force_login(producer_a)
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert "Parcelles" in page and "EPSG:2154" in page and "MULTIPOLYGON" in page
    assert escape("Parcelle n°0 à l'été") in page
    assert f'data-wms-url="/ows/dataset/{dataset.pk}"' in page
    assert f'data-wms-layers="{dataset.layer_name}"' in page
    assert "Page 1 sur 2" in page
    second = client.get(f"/donnees/{dataset.pk}/?page=2").content.decode()
    assert escape("Parcelle n°29 à l'été") in second and escape("Parcelle n°0 à l'été") not in second


def test_producer_edits_title_and_abstract(client, producer_a, dataset):
    client.force_login(producer_a)
    response = client.post(
        f"/donnees/{dataset.pk}/modifier/", {"title": "Parcelles cadastrales", "abstract": "Extraction 2026."}
    )
    assert response.status_code == 302
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert "Parcelles cadastrales" in page and "Extraction 2026." in page


def test_publish_from_the_page_puts_it_on_the_home_page(client, producer_a, dataset):
    assert "Parcelles" not in client.get("/").content.decode()
    client.force_login(producer_a)
    client.post(f"/donnees/{dataset.pk}/publier/")
    client.logout()
    assert "Parcelles" in client.get("/").content.decode()
    assert client.get(f"/donnees/{dataset.pk}/").status_code == 200


def test_producer_files_the_dataset_in_a_domain_whose_administrators_then_manage_it(
    client, producer_a, reader, dataset
):
    from geoplatform.models import Domain

    urbanisme = Domain.objects.create(name="Urbanisme", slug="urbanisme")
    urbanisme.administrators.add(reader)
    client.force_login(reader)
    assert client.get(f"/donnees/{dataset.pk}/partage/").status_code == 404

    client.force_login(producer_a)
    response = client.post(
        f"/donnees/{dataset.pk}/modifier/", {"title": dataset.title, "abstract": "", "domains": [urbanisme.pk]}
    )
    assert response.status_code == 302
    assert list(dataset.domains.values_list("slug", flat=True)) == ["urbanisme"]

    client.force_login(reader)
    assert client.get(f"/donnees/{dataset.pk}/partage/").status_code == 200


def test_domains_through_the_api(producer_a, dataset):
    from geoplatform.models import Domain
    from tests.conftest import token_client

    Domain.objects.create(name="Environnement", slug="environnement")
    api = token_client(producer_a)
    response = api.patch(f"/api/v1/datasets/{dataset.pk}/", {"domains": ["environnement"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["domains"] == ["environnement"]


def test_publishing_and_editing_are_in_the_audit_log(client, producer_a, dataset):
    from geoplatform.models import AuditEvent
    from tests.conftest import token_client

    client.force_login(producer_a)
    client.post(f"/donnees/{dataset.pk}/publier/")
    token_client(producer_a).patch(f"/api/v1/datasets/{dataset.pk}/", {"title": "Parcelles 2026"}, format="json")
    events = {e.action: e for e in AuditEvent.objects.filter(target_id=str(dataset.pk))}
    assert events["dataset.sharing"].before["public"] is False and events["dataset.sharing"].after["public"] is True
    assert events["dataset.update"].after["title"] == "Parcelles 2026"
    assert events["dataset.update"].actor == producer_a
