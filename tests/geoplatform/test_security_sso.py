"""Single sign-on through an OpenID Connect provider, offered on the login page when configured (GP_OIDC_*)."""

import pytest

pytestmark = pytest.mark.django_db

KEYCLOAK = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "keycloak",
                "name": "Compte régional",
                "client_id": "geoplateforme",
                "secret": "secret",
                "settings": {"server_url": "https://sso.region.example/realms/agents"},
            }
        ],
    }
}


def test_login_page_offers_the_configured_provider(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = KEYCLOAK
    response = client.get("/comptes/login/")
    page = response.content.decode()
    assert "Se connecter avec Compte régional" in page
    assert 'href="/comptes/oidc/keycloak/login/?process=login"' in page
    # The login form posts to us, then the browser is sent on to the provider: the CSP must allow it.
    assert "form-action 'self' https://sso.region.example" in response["Content-Security-Policy"]
    assert client.get("/comptes/oidc/keycloak/login/").status_code == 200  # the "continue" page


def test_no_provider_no_button(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    page = client.get("/comptes/login/").content.decode()
    assert "Se connecter avec" not in page
    assert "/comptes/oidc/" not in page
