"""Personal access keys: created and revoked from the profile, accepted by the API and the OGC services."""

import base64
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from geoplatform.models import ApiToken
from tests.conftest import import_now
from tests.sample_data import shapefile_zip


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


@pytest.mark.django_db
def test_token_endpoint_issues_a_revocable_key(api_client, producer_a):
    response = api_client.post("/api/v1/token/", {"username": "producteur-a", "password": "producteur-a-demo"})
    key = response.json()["token"]
    token = ApiToken.objects.get(user=producer_a)
    assert token.name == "API" and key.startswith(token.prefix)
    assert token.key_hash != key  # only the hash is stored
    assert api_client.get("/api/v1/datasets/", **_auth(key)).status_code == 200

    token.revoked_at = timezone.now()
    token.save()
    refused = api_client.get("/api/v1/datasets/", **_auth(key))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "not_authenticated"
    assert "révoquée" in refused.json()["error"]["message"]


@pytest.mark.django_db
def test_unknown_key_is_refused(api_client, db):
    response = api_client.get("/api/v1/datasets/", **_auth("not-a-key"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
def test_last_use_is_recorded_at_most_once_a_minute(api_client, producer_a):
    token, key = ApiToken.issue(producer_a, "script")
    assert token.last_used_at is None
    api_client.get("/api/v1/datasets/", **_auth(key))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    api_client.get("/api/v1/datasets/", **_auth(key))
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api_client.get("/api/v1/datasets/", **_auth(key))
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


@pytest.mark.django_db
def test_profile_creates_lists_and_revokes_keys(client, producer_a, api_client):
    client.force_login(producer_a)
    created = client.post("/comptes/cles/", {"name": "QGIS du bureau"})
    assert created.status_code == 200
    page = created.content.decode()
    assert "ne sera plus jamais affichée" in page
    key = re.search(r'id="gp-new-key"[^>]*value="([^"]+)"', page).group(1)
    token = ApiToken.objects.get(user=producer_a, name="QGIS du bureau")
    assert ApiToken.hash(key) == token.key_hash

    listing = client.get("/comptes/profil/").content.decode()
    assert "QGIS du bureau" in listing and token.prefix in listing and "active" in listing
    assert key not in listing  # the clear key is never shown again

    confirmation = client.get(f"/comptes/cles/{token.pk}/revoquer/")
    assert "définitive" in confirmation.content.decode()
    assert ApiToken.objects.get(pk=token.pk).active  # a GET does not revoke
    done = client.post(f"/comptes/cles/{token.pk}/revoquer/", follow=True)
    assert "est révoquée" in done.content.decode()
    assert not ApiToken.objects.get(pk=token.pk).active
    assert api_client.get("/api/v1/datasets/", **_auth(key)).status_code == 401


@pytest.mark.django_db
def test_keys_of_others_cannot_be_revoked(client, producer_a, producer_b):
    token, _key = ApiToken.issue(producer_b, "le sien")
    client.force_login(producer_a)
    assert client.post(f"/comptes/cles/{token.pk}/revoquer/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).active
    assert "le sien" not in client.get("/comptes/cles/").content.decode()


@pytest.mark.django_db
def test_key_pages_require_login(client):
    assert client.get("/comptes/cles/")["Location"].startswith("/comptes/login/")


@pytest.mark.django_db
def test_a_name_is_required(client, producer_a):
    client.force_login(producer_a)
    response = client.post("/comptes/cles/", {"name": ""})
    assert "obligatoire" in response.content.decode()
    assert not ApiToken.objects.filter(user=producer_a).exists()


@pytest.fixture
def private_dataset(organisations, producer_a, tmp_path):
    return import_now(producer_a, organisations["a"], shapefile_zip(tmp_path), "Parcelles privées").dataset


@pytest.mark.django_db(transaction=True)
def test_ogc_clients_use_a_key_in_the_url_the_header_or_basic(client, private_dataset, producer_a):
    token, key = ApiToken.issue(producer_a, "QGIS")
    url = f"/ows/dataset/{private_dataset.pk}?SERVICE=WMS&REQUEST=GetCapabilities"
    layer = private_dataset.layer_name.encode()
    assert client.get(url).status_code == 404  # private: anonymous callers see nothing

    by_url = client.get(f"{url}&key={key}")
    assert by_url.status_code == 200 and layer in by_url.content
    assert key.encode() not in by_url.content  # never echoed back by MapServer
    assert layer in client.get(url, **_auth(key)).content
    basic_key = base64.b64encode(f"producteur-a:{key}".encode()).decode()
    assert layer in client.get(url, HTTP_AUTHORIZATION=f"Basic {basic_key}").content
    basic_password = base64.b64encode(b"producteur-a:producteur-a-demo").decode()
    assert layer in client.get(url, HTTP_AUTHORIZATION=f"Basic {basic_password}").content

    token.revoked_at = timezone.now()
    token.save()
    assert client.get(f"{url}&key={key}").status_code == 404
    assert client.get(url, **_auth(key)).status_code == 404
    assert client.get(url, HTTP_AUTHORIZATION=f"Basic {basic_key}").status_code == 404
