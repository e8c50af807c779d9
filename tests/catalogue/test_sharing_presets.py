"""Sharing presets chosen on the "Partage" page: each one opens the dataset to whom it says, and switching
preset replaces the previous one's access."""

import re

import pytest

from catalogue.models import Grant
from geoplatform.models import AuditEvent, Organisation
from tests.conftest import _user, import_now
from tests.sample_data import shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    return import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=2)), "Voirie").dataset


@pytest.fixture
def partner(db):
    organisation = Organisation.objects.create(name="Parc naturel C", slug="parc-c", is_partner=True)
    return _user("partenaire", organisation=organisation, role="member")


def choose(client, dataset, preset: str, **extra) -> None:
    response = client.post(f"/donnees/{dataset.pk}/partage/mode/", {"preset": preset, **extra})
    assert response.status_code == 302
    dataset.refresh_from_db()


def page_status(client, user, dataset) -> int:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(f"/donnees/{dataset.pk}/").status_code


def test_new_dataset_is_private_to_its_organisation(client, dataset, producer_a, member_a, reader):
    client.force_login(producer_a)
    page = client.get(f"/donnees/{dataset.pk}/partage/").content.decode()
    assert re.search(r'id="preset-organisation"[^>]*checked', page)
    assert not re.search(r'id="preset-public"[^>]*checked', page)
    assert page_status(client, member_a, dataset) == 200
    assert page_status(client, reader, dataset) == 404
    assert page_status(client, None, dataset) == 404


def test_public_preset_publishes_and_organisation_preset_takes_it_back(client, dataset, producer_a, reader):
    client.force_login(producer_a)
    choose(client, dataset, "public")
    assert dataset.public and dataset.published_at is not None
    assert not dataset.grants.exists()
    assert page_status(client, None, dataset) == 200
    assert "Voirie" in client.get("/").content.decode()

    client.force_login(producer_a)
    choose(client, dataset, "organisation")
    assert not dataset.public
    assert page_status(client, None, dataset) == 404
    assert page_status(client, reader, dataset) == 404
    assert "Voirie" not in client.get("/").content.decode()


def test_registered_preset_needs_an_account(client, dataset, producer_a, reader):
    client.force_login(producer_a)
    choose(client, dataset, "registered")
    assert not dataset.public
    assert list(dataset.grants.values_list("grantee", "action")) == [("registered", "download")]
    assert page_status(client, reader, dataset) == 200
    assert page_status(client, None, dataset) == 404


def test_partners_preset(client, dataset, producer_a, producer_b, partner):
    client.force_login(producer_a)
    choose(client, dataset, "partners")
    assert list(dataset.grants.values_list("grantee", "action")) == [("partners", "download")]
    assert page_status(client, partner, dataset) == 200
    assert page_status(client, producer_b, dataset) == 404


def test_switching_preset_replaces_the_previous_grants(client, dataset, producer_a, reader, partner):
    client.force_login(producer_a)
    choose(client, dataset, "registered")
    choose(client, dataset, "partners")
    assert list(dataset.grants.values_list("grantee", flat=True)) == ["partners"]
    assert page_status(client, reader, dataset) == 404
    client.force_login(producer_a)
    choose(client, dataset, "public")
    assert dataset.public and not dataset.grants.exists()


def test_custom_keeps_todays_access_as_grants_to_edit(client, dataset, producer_a, reader):
    client.force_login(producer_a)
    choose(client, dataset, "public")
    choose(client, dataset, "custom")
    assert not dataset.public
    assert list(dataset.grants.values_list("grantee", "action")) == [("anyone", "download")]
    assert page_status(client, None, dataset) == 200
    client.force_login(producer_a)
    grant = dataset.grants.get()
    client.post(f"/donnees/{dataset.pk}/partage/droits/{grant.pk}/retirer/")
    assert page_status(client, None, dataset) == 404


def test_choosing_a_preset_over_custom_grants_removes_them(client, dataset, producer_a, reader):
    Grant.objects.create(dataset=dataset, action="edit", grantee="user", user=reader)
    client.force_login(producer_a)
    choose(client, dataset, "organisation")
    assert not dataset.grants.exists()
    assert page_status(client, reader, dataset) == 404


def test_territory_flag_is_saved_with_the_preset(client, dataset, producer_a):
    client.force_login(producer_a)
    choose(client, dataset, "registered", territory_restricted="on")
    assert dataset.territory_restricted
    page = client.get(f"/donnees/{dataset.pk}/partage/").content.decode()
    assert "chacun ne voit et ne télécharge que les objets de son territoire" in page
    choose(client, dataset, "registered")
    assert not dataset.territory_restricted


def test_every_change_is_audited_with_the_grants_before_and_after(client, dataset, producer_a):
    client.force_login(producer_a)
    choose(client, dataset, "registered")
    choose(client, dataset, "registered")  # no change, no event
    choose(client, dataset, "public")
    events = list(AuditEvent.objects.filter(action="dataset.sharing").order_by("created_at"))
    assert len(events) == 2
    first, second = events
    assert first.actor == producer_a and first.target_id == str(dataset.pk)
    assert first.before["preset"] == "organisation" and first.before["grants"] == []
    assert [(g["grantee"], g["action"]) for g in first.after["grants"]] == [("registered", "download")]
    assert second.before["grants"] == first.after["grants"]
    assert second.after == {"preset": "public", "public": True, "territory_restricted": False, "grants": []}


def test_unknown_preset_is_refused(client, dataset, producer_a):
    client.force_login(producer_a)
    response = client.post(f"/donnees/{dataset.pk}/partage/mode/", {"preset": "everybody"})
    assert response.status_code == 400
    dataset.refresh_from_db()
    assert not dataset.public and not dataset.grants.exists()
