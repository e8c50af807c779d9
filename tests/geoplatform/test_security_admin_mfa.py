"""Two-factor authentication (TOTP): optional for everyone, mandatory for administrators when the platform says so."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value

from geoplatform.models import PlatformSettings

pytestmark = pytest.mark.django_db

ACTIVATE = "/comptes/2fa/totp/activate/"


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _login(client, username: str):
    return client.post("/comptes/login/", {"login": username, "password": f"{username}-demo"})


def _open_activation(client, username: str):
    """allauth asks for the password again before adding an authenticator."""
    first = client.get(ACTIVATE)
    assert first["Location"].startswith("/comptes/reauthenticate/")
    client.post(first["Location"], {"password": f"{username}-demo"})
    return client.get(ACTIVATE)


@pytest.fixture
def mfa_required(db):
    platform = PlatformSettings.load()
    platform.require_admin_mfa = True
    platform.save()


def test_admin_without_totp_is_sent_to_the_activation_page(client, admin_user, mfa_required):
    _login(client, "admin")
    for page in ("/", "/comptes/profil/", "/donnees/", "/comptes/cles/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"] == ACTIVATE, page
    reauthentication = client.get(client.get(ACTIVATE)["Location"])
    assert reauthentication.status_code == 200
    assert "obligatoire pour les administrateurs" in reauthentication.content.decode()
    assert client.post(reauthentication.wsgi_request.get_full_path(), {"password": "admin-demo"}).status_code == 302
    assert client.get(ACTIVATE).status_code == 200
    assert client.post("/comptes/logout/").status_code == 302  # logging out stays possible


def test_other_users_and_optional_mode_are_not_forced(client, admin_user, producer_a, mfa_required):
    _login(client, "producteur-a")
    assert client.get("/").status_code == 200
    PlatformSettings.objects.filter(pk=1).update(require_admin_mfa=False)
    client.force_login(admin_user)
    assert client.get("/").status_code == 200


def test_the_environment_can_make_it_mandatory(client, admin_user, settings):
    settings.ADMIN_MFA_REQUIRED = True
    client.force_login(admin_user)
    assert client.get("/")["Location"] == ACTIVATE


def test_admin_activates_totp_then_login_asks_for_the_code(client, admin_user, mfa_required):
    _login(client, "admin")
    assert _open_activation(client, "admin").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert client.post(ACTIVATE, {"code": "000000" if _code(secret) != "000000" else "111111"}).status_code == 200
    activated = client.post(ACTIVATE, {"code": _code(secret)})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=admin_user, type=Authenticator.Type.TOTP).exists()
    assert client.get("/").status_code == 200
    assert "Activée" in client.get("/comptes/profil/").content.decode()

    client.post("/comptes/logout/")
    login = _login(client, "admin")
    assert login["Location"] == "/comptes/2fa/authenticate/"
    assert client.get("/comptes/profil/").status_code == 302  # not signed in until the code is given
    wrong = client.post("/comptes/2fa/authenticate/", {"code": "123"})
    assert wrong.status_code == 200 and "incorrect" in wrong.content.decode().lower()
    done = client.post("/comptes/2fa/authenticate/", {"code": _code(secret)})
    assert done.status_code == 302
    assert client.get("/").status_code == 200


def test_a_password_alone_no_longer_gets_an_api_key(api_client, admin_user, mfa_required):
    response = api_client.post("/api/v1/token/", {"username": "admin", "password": "admin-demo"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "mfa_required"
    assert "clé d'accès" in response.json()["error"]["message"]
