"""Password guessing is slowed down (login page and API), and weak passwords are refused at sign-up."""

import pytest

from tests.conftest import _user

pytestmark = pytest.mark.django_db

# Each test guesses from its own address, so other tests' failed logins never count here.
ADDRESS = {"REMOTE_ADDR": "203.0.113.10"}


def test_sixth_wrong_password_locks_the_account_for_a_while(client, db):
    _user("devine")
    for _attempt in range(5):
        response = client.post("/comptes/login/", {"login": "devine", "password": "au-hasard"}, **ADDRESS)
        assert "incorrect" in response.content.decode()
    blocked = client.post("/comptes/login/", {"login": "devine", "password": "devine-demo"}, **ADDRESS)
    assert blocked.status_code == 200
    assert "Trop de tentatives de connexion" in blocked.content.decode()
    assert client.get("/comptes/profil/").status_code == 302  # still not signed in


def test_the_token_endpoint_counts_the_same_attempts(api_client, db):
    _user("script")
    for _attempt in range(5):
        response = api_client.post("/api/v1/token/", {"username": "script", "password": "non"}, **ADDRESS)
        assert response.json()["error"]["code"] == "invalid_credentials"
    blocked = api_client.post("/api/v1/token/", {"username": "script", "password": "script-demo"}, **ADDRESS)
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert "Trop de tentatives" in blocked.json()["error"]["message"]


@pytest.mark.parametrize(
    "password, reason",
    [
        ("Court-1", "trop court"),
        ("azertyuiop", "trop courant"),
        ("7281946350192", "entièrement numérique"),
        ("agent-faible-2024", "trop semblable"),
    ],
)
def test_weak_passwords_are_refused_at_signup(client, password, reason):
    response = client.post(
        "/comptes/signup/",
        {"email": "agent-faible@example.org", "username": "agent-faible", "password1": password, "password2": password},
    )
    assert response.status_code == 200
    assert reason in response.content.decode()
