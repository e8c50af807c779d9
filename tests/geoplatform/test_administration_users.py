"""Administrators find accounts, deactivate and reactivate them, and make platform administrators."""

import re

import pytest

from geoplatform.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def _login(client, username: str) -> int:
    return client.post("/comptes/login/", {"login": username, "password": f"{username}-demo"}).status_code


def test_deactivated_user_can_no_longer_log_in(client, admin_user, reader):
    client.force_login(admin_user)
    response = client.post(f"/administration/utilisateurs/{reader.pk}/", {"action": "deactivate"}, follow=True)
    assert "Le compte est désactivé" in response.content.decode()
    reader.refresh_from_db()
    assert not reader.is_active
    event = AuditEvent.objects.get(action="user.deactivate")
    assert event.before["is_active"] is True and event.after["is_active"] is False
    assert "password" not in event.after

    client.logout()
    _login(client, "lecteur")
    assert client.get("/comptes/profil/").status_code == 302  # not logged in

    client.force_login(admin_user)
    client.post(f"/administration/utilisateurs/{reader.pk}/", {"action": "activate"})
    client.logout()
    assert _login(client, "lecteur") == 302
    assert client.get("/comptes/profil/").status_code == 200


def test_admin_cannot_deactivate_or_demote_themselves(client, admin_user):
    client.force_login(admin_user)
    url = f"/administration/utilisateurs/{admin_user.pk}/"
    response = client.post(url, {"action": "deactivate"}, follow=True)
    assert "Vous ne pouvez pas désactiver votre propre compte." in response.content.decode()
    response = client.post(url, {"action": "revoke_admin"}, follow=True)
    assert "Vous ne pouvez pas retirer vos propres droits" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.is_staff
    assert not AuditEvent.objects.exists()


def test_make_and_unmake_platform_administrator(client, admin_user, reader):
    client.force_login(admin_user)
    client.post(f"/administration/utilisateurs/{reader.pk}/", {"action": "grant_admin"})
    reader.refresh_from_db()
    assert reader.is_staff
    client.force_login(reader)
    assert client.get("/administration/").status_code == 200

    client.force_login(admin_user)
    client.post(f"/administration/utilisateurs/{reader.pk}/", {"action": "revoke_admin"})
    reader.refresh_from_db()
    assert not reader.is_staff and not reader.is_superuser
    client.force_login(reader)
    assert client.get("/administration/").status_code == 403
    assert list(AuditEvent.objects.order_by("created_at").values_list("action", flat=True)) == [
        "user.admin_grant",
        "user.admin_revoke",
    ]


def test_search_and_filters(client, admin_user, producer_a, producer_b, reader):
    client.force_login(admin_user)
    reader.is_active = False
    reader.save()

    def listed(**params) -> set[str]:
        page = client.get("/administration/utilisateurs/", params).content.decode()
        return set(re.findall(r'href="/administration/utilisateurs/\d+/">([^<]+)</a>', page))

    assert listed() == {"admin", "producteur-a", "producteur-b", "lecteur"}
    assert listed(q="producteur-a") == {"producteur-a"}
    assert listed(active="0") == {"lecteur"}
    assert listed(admin="1") == {"admin"}
    assert listed(organisation=producer_b.memberships.get().organisation_id) == {"producteur-b"}


def test_edit_names(client, admin_user, reader):
    client.force_login(admin_user)
    url = f"/administration/utilisateurs/{reader.pk}/"
    assert client.post(url, {"first_name": "Louise", "last_name": "Michel", "insee_codes": ""}).status_code == 302
    assert User.objects.get(pk=reader.pk).get_full_name() == "Louise Michel"
    event = AuditEvent.objects.get(action="user.update")
    assert (event.before["first_name"], event.after["first_name"]) == ("", "Louise")


@pytest.mark.django_db(transaction=True)
def test_user_territory_from_insee_codes(client, admin_user, reader, organisations, tmp_path):
    from tests.geoplatform.test_administration_organisations import communes_layer

    communes_layer(admin_user, organisations["a"], tmp_path)
    client.force_login(admin_user)
    url = f"/administration/utilisateurs/{reader.pk}/"
    assert client.post(url, {"insee_codes": "37002 37003"}).status_code == 302
    reader.refresh_from_db()
    assert reader.territory.insee_codes == ["37002", "37003"]
    assert "37002, 37003" in client.get(url).content.decode()
    assert client.post(url, {"insee_codes": ""}).status_code == 302
    reader.refresh_from_db()
    assert reader.territory is None
    events = AuditEvent.objects.filter(action="user.update").order_by("created_at")
    assert [(e.before["territory"], e.after["territory"]) for e in events] == [
        (None, "37002, 37003"),
        ("37002, 37003", None),
    ]
