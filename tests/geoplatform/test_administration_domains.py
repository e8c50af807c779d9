"""Thematic domains and sub-domains, shown as a tree, with their administrators."""

import pytest

from geoplatform.models import AuditEvent, Domain

pytestmark = pytest.mark.django_db


def test_domain_tree(client, admin_user, producer_a):
    client.force_login(admin_user)
    client.post("/administration/domaines/nouveau/", {"name": "Environnement"})
    environment = Domain.objects.get(slug="environnement")
    client.post(
        "/administration/domaines/nouveau/",
        {"name": "Eau", "parent": environment.pk, "administrators": [producer_a.pk]},
    )
    client.post("/administration/domaines/nouveau/", {"name": "Urbanisme"})
    water = Domain.objects.get(slug="eau")
    assert water.parent == environment and list(water.administrators.all()) == [producer_a]

    page = client.get("/administration/domaines/").content.decode()
    page = page[page.index("<h1") :]
    # "Eau" is listed inside the list item of "Environnement", before "Urbanisme".
    assert page.index("Environnement") < page.index("Eau") < page.index("Urbanisme")
    branch = page[page.index("Environnement") : page.index("Urbanisme")]
    assert "<ul" in branch and "producteur-a" in branch
    assert [e.action for e in AuditEvent.objects.order_by("created_at")] == ["domain.create"] * 3


def test_a_domain_cannot_move_under_its_own_sub_domain(client, admin_user):
    parent = Domain.objects.create(name="Environnement", slug="environnement")
    child = Domain.objects.create(name="Eau", slug="eau", parent=parent)
    client.force_login(admin_user)
    response = client.post(
        f"/administration/domaines/{parent.pk}/", {"name": "Environnement", "slug": "environnement", "parent": child.pk}
    )
    assert response.status_code == 200
    parent.refresh_from_db()
    assert parent.parent is None


def test_rename_is_recorded(client, admin_user):
    domain = Domain.objects.create(name="Environement", slug="environnement")
    client.force_login(admin_user)
    client.post(f"/administration/domaines/{domain.pk}/", {"name": "Environnement", "slug": "environnement"})
    event = AuditEvent.objects.get(action="domain.update")
    assert (event.before["name"], event.after["name"]) == ("Environement", "Environnement")
