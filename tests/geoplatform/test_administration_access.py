"""Only platform administrators reach the administration pages: others get 403, anonymous visitors log in."""

import pytest
from django.urls import reverse

from geoplatform.models import Domain, UserGroup

pytestmark = pytest.mark.django_db

PAGES = [
    ("administration:index", None),
    ("administration:organisations", None),
    ("administration:organisation_create", None),
    ("administration:organisation_edit", "organisation"),
    ("administration:users", None),
    ("administration:user_invite", None),
    ("administration:user_edit", "user"),
    ("administration:groups", None),
    ("administration:group_create", None),
    ("administration:group_edit", "group"),
    ("administration:domains", None),
    ("administration:domain_create", None),
    ("administration:domain_edit", "domain"),
    ("administration:settings", None),
    ("administration:audit", None),
]


@pytest.fixture
def targets(organisations, reader):
    return {
        "organisation": organisations["a"].pk,
        "user": reader.pk,
        "group": UserGroup.objects.create(name="Services de l'État", slug="etat").pk,
        "domain": Domain.objects.create(name="Environnement", slug="environnement").pk,
    }


def _url(name: str, target: str | None, targets: dict) -> str:
    return reverse(name, kwargs={"pk": targets[target]} if target else None)


@pytest.mark.parametrize(("name", "target"), PAGES)
def test_admin_sees_the_page(client, admin_user, targets, name, target):
    client.force_login(admin_user)
    assert client.get(_url(name, target, targets)).status_code == 200


@pytest.mark.parametrize(("name", "target"), PAGES)
def test_producers_and_readers_are_refused(client, producer_a, reader, targets, name, target):
    url = _url(name, target, targets)
    for person in (producer_a, reader):
        client.force_login(person)
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "Pirate"}).status_code == 403


@pytest.mark.parametrize(("name", "target"), PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, targets, name, target):
    url = _url(name, target, targets)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/?next=")


def test_menu_shows_administration_to_admins_only(client, admin_user, producer_a):
    client.force_login(producer_a)
    assert 'href="/administration/"' not in client.get("/").content.decode()
    client.force_login(admin_user)
    assert 'href="/administration/"' in client.get("/").content.decode()


def test_index_counts_and_links(client, admin_user, targets):
    client.force_login(admin_user)
    page = client.get("/administration/").content.decode()
    assert "2 organisations" in page
    assert "1 groupe" in page
    for name in ("organisations", "users", "groups", "domains", "settings", "audit"):
        assert f'href="{reverse(f"administration:{name}")}"' in page
