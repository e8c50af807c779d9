"""Sign-up with e-mail confirmation, login, logout, password reset, profile (django-allauth)."""

import re

import pytest
from django.core import mail

from geoplatform.models import User

pytestmark = pytest.mark.django_db


def _link(message) -> str:
    return re.search(r"https?://[^\s]+", message.body).group(0).replace("http://testserver", "")


def test_signup_requires_email_confirmation(client):
    response = client.post(
        "/comptes/signup/",
        {
            "email": "agent@mairie-exemple.fr",
            "username": "agent",
            "password1": "Tilleul-37-Chêne",
            "password2": "Tilleul-37-Chêne",
        },
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "agent@mairie-exemple.fr" in mail.outbox[0].to
    # Not confirmed yet: logging in sends the user back to confirmation.
    client.logout()
    login = client.post("/comptes/login/", {"login": "agent", "password": "Tilleul-37-Chêne"})
    assert "/comptes/confirm-email/" in login["Location"]
    confirm_url = _link(mail.outbox[-1])
    client.post(confirm_url)
    login = client.post("/comptes/login/", {"login": "agent", "password": "Tilleul-37-Chêne"})
    assert login.status_code == 302 and login["Location"] == "/"
    assert client.get("/comptes/profil/").status_code == 200


def test_login_by_username_or_email_and_logout(client, producer_a):
    assert client.post("/comptes/login/", {"login": "producteur-a", "password": "producteur-a-demo"}).status_code == 302
    profile = client.get("/comptes/profil/")
    assert "Commune A" in profile.content.decode()
    client.post("/comptes/logout/")
    assert client.get("/comptes/profil/").status_code == 302
    response = client.post("/comptes/login/", {"login": "producteur-a@example.org", "password": "producteur-a-demo"})
    assert response.status_code == 302


def test_wrong_password_is_refused_in_french(client, producer_a):
    response = client.post("/comptes/login/", {"login": "producteur-a", "password": "nope"})
    assert response.status_code == 200
    assert "incorrect" in response.content.decode()


def test_password_reset_by_email(client, producer_a):
    response = client.post("/comptes/password/reset/", {"email": "producteur-a@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    reset_url = _link(mail.outbox[0])
    form = client.get(reset_url, follow=True)
    action = form.redirect_chain[-1][0] if form.redirect_chain else reset_url
    done = client.post(action, {"password1": "Nouveau-Mot-2-Passe", "password2": "Nouveau-Mot-2-Passe"})
    assert done.status_code == 302
    assert User.objects.get(username="producteur-a").check_password("Nouveau-Mot-2-Passe")


def test_profile_requires_login(client):
    response = client.get("/comptes/profil/")
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/")
