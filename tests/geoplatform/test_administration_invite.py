"""An administrator invites someone by e-mail; the link lets them choose a password and log in."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from geoplatform.models import AuditEvent, Membership, User

pytestmark = pytest.mark.django_db


def _link(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0).replace("http://testserver", "")


def test_invitation_sets_a_password_and_logs_in(client, admin_user, organisations):
    client.force_login(admin_user)
    response = client.post(
        "/administration/utilisateurs/inviter/",
        {
            "email": "Claire.Dupont@cc-val.example.org",
            "first_name": "Claire",
            "last_name": "Dupont",
            "organisation": organisations["a"].pk,
            "role": "producer",
        },
    )
    user = User.objects.get(email="claire.dupont@cc-val.example.org")
    assert response.status_code == 302 and response["Location"] == f"/administration/utilisateurs/{user.pk}/"
    assert user.username == "claire.dupont"
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert Membership.objects.get(user=user).role == "producer"
    assert AuditEvent.objects.get(action="user.invite").after["organisation"] == "Commune A (producteur)"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["claire.dupont@cc-val.example.org"]
    assert "claire.dupont" in message.body

    client.logout()
    set_password = client.get(_link(message))
    assert set_password.status_code == 302  # allauth keeps the key in the session
    form_url = set_password["Location"]
    done = client.post(form_url, {"password1": "Hirondelle-Loire-37", "password2": "Hirondelle-Loire-37"})
    assert done.status_code == 302

    login = client.post("/comptes/login/", {"login": "claire.dupont", "password": "Hirondelle-Loire-37"})
    assert login.status_code == 302 and login["Location"] == "/"
    assert "Commune A" in client.get("/comptes/profil/").content.decode()
    client.logout()
    reused = client.get(_link(message), follow=True)
    assert 'name="password1"' not in reused.content.decode()  # the link served once


def test_address_already_used_is_refused(client, admin_user, reader):
    client.force_login(admin_user)
    response = client.post("/administration/utilisateurs/inviter/", {"email": "LECTEUR@example.org"})
    assert response.status_code == 200
    assert "Un compte utilise déjà cette adresse." in response.content.decode()
    assert not mail.outbox


def test_role_is_required_with_an_organisation(client, admin_user, organisations):
    client.force_login(admin_user)
    response = client.post(
        "/administration/utilisateurs/inviter/", {"email": "x@example.org", "organisation": organisations["a"].pk}
    )
    assert "Choisissez le rôle dans l&#x27;organisation." in response.content.decode()
