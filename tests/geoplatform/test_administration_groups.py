"""Administrators create groups of people across organisations and edit their members."""

import pytest

from geoplatform.models import AuditEvent, UserGroup

pytestmark = pytest.mark.django_db


def test_create_group_with_members(client, admin_user, producer_a, producer_b, reader):
    client.force_login(admin_user)
    form = client.get("/administration/groupes/nouveau/").content.decode()
    assert "producteur-a" in form and "<legend" in form
    response = client.post(
        "/administration/groupes/nouveau/",
        {"name": "EPCI du Cher", "description": "Intercommunalités", "members": [producer_a.pk, producer_b.pk]},
    )
    assert response.status_code == 302 and response["Location"] == "/administration/groupes/"
    group = UserGroup.objects.get(name="EPCI du Cher")
    assert group.slug == "epci-du-cher"
    assert set(group.members.all()) == {producer_a, producer_b}
    listing = client.get("/administration/groupes/").content.decode()
    assert "EPCI du Cher" in listing
    event = AuditEvent.objects.get(action="group.create")
    assert event.after["members"] == ["producteur-a", "producteur-b"]


def test_edit_group_members(client, admin_user, producer_a, reader):
    group = UserGroup.objects.create(name="Services de l'État", slug="etat")
    group.members.add(producer_a)
    client.force_login(admin_user)
    response = client.post(
        f"/administration/groupes/{group.pk}/", {"name": group.name, "slug": "etat", "members": [reader.pk]}
    )
    assert response.status_code == 302
    assert list(group.members.all()) == [reader]
    event = AuditEvent.objects.get(action="group.update")
    assert event.before["members"] == ["producteur-a"] and event.after["members"] == ["lecteur"]


def test_duplicate_name_is_refused(client, admin_user):
    UserGroup.objects.create(name="EPCI", slug="epci")
    client.force_login(admin_user)
    response = client.post("/administration/groupes/nouveau/", {"name": "EPCI"})
    assert response.status_code == 200
    assert UserGroup.objects.count() == 1
