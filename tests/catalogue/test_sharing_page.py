"""The "Partage" page of a dataset: who may open it, what it tells, custom grants added and removed."""

from html import unescape

import pytest

from catalogue.models import Grant
from geoplatform.models import AuditEvent, Domain, UserGroup
from tests.conftest import _user, import_now
from tests.sample_data import shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    return import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=2)), "Haies").dataset


def test_only_who_administers_the_dataset_opens_the_page(
    client, dataset, producer_a, producer_b, member_a, reader, admin_user
):
    url = f"/donnees/{dataset.pk}/partage/"
    response = client.get(url)
    assert response.status_code == 302 and "/comptes/login/" in response["Location"]
    for user in (member_a, reader, producer_b):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert client.post(f"{url}mode/", {"preset": "public"}).status_code == 404, user
        assert client.post(f"{url}droits/", {"grantee": "anyone", "action": "view_data"}).status_code == 404, user
    dataset.refresh_from_db()
    assert not dataset.public and not dataset.grants.exists()
    for user in (producer_a, admin_user):
        client.force_login(user)
        assert client.get(url).status_code == 200, user


def test_domain_administrators_manage_sharing(client, dataset):
    steward = _user("referent-eau")
    domain = Domain.objects.create(name="Eau", slug="eau")
    domain.administrators.add(steward)
    client.force_login(steward)
    assert client.get(f"/donnees/{dataset.pk}/partage/").status_code == 404
    dataset.domains.add(domain)
    assert client.get(f"/donnees/{dataset.pk}/partage/").status_code == 200


def test_page_says_who_has_access_in_plain_french(client, dataset, producer_a, organisations):
    client.force_login(producer_a)
    page = client.get(f"/donnees/{dataset.pk}/partage/").content.decode()
    assert "Les membres de Commune A peuvent le voir et le télécharger" in page
    assert "Tout le monde peut voir et télécharger" not in page
    for label in ("Public", "Utilisateurs inscrits", "Mon organisation seulement", "Partenaires de la plateforme"):
        assert label in page
    client.post(f"/donnees/{dataset.pk}/partage/mode/", {"preset": "public"})
    page = client.get(f"/donnees/{dataset.pk}/partage/").content.decode()
    assert "Tout le monde peut voir et télécharger ce jeu de données." in page
    client.post(
        f"/donnees/{dataset.pk}/partage/droits/",
        {"grantee": "organisation", "organisation": organisations["b"].pk, "action": "edit"},
    )
    page = client.get(f"/donnees/{dataset.pk}/partage/").content.decode()
    assert "Les membres de Département B peuvent voir, télécharger et modifier les données." in page


def test_add_and_remove_a_custom_grant(client, dataset, producer_a, reader):
    group = UserGroup.objects.create(name="EPCI du Cher", slug="epci-cher")
    client.force_login(producer_a)
    response = client.post(
        f"/donnees/{dataset.pk}/partage/droits/", {"grantee": "group", "group": group.pk, "action": "download"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Le droit est ajouté." in page
    assert "Les membres du groupe EPCI du Cher peuvent voir et télécharger les données." in page
    grant = dataset.grants.get()
    assert (grant.grantee, grant.group, grant.action) == ("group", group, "download")

    response = client.post(f"/donnees/{dataset.pk}/partage/droits/{grant.pk}/retirer/")
    assert response.status_code == 302
    assert not dataset.grants.exists()
    assert "Le droit est retiré." in client.get(response["Location"]).content.decode()
    assert AuditEvent.objects.filter(action="dataset.sharing", target_id=str(dataset.pk)).count() == 2


def test_grant_form_explains_what_is_missing(client, dataset, producer_a):
    client.force_login(producer_a)
    url = f"/donnees/{dataset.pk}/partage/droits/"
    response = client.post(url, {"grantee": "organisation", "action": "view_data"})
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "Le droit n'a pas été ajouté" in page and "Choisissez l'organisation." in page
    assert 'aria-invalid="true"' in page
    response = client.post(url, {"grantee": "user", "username": "personne", "action": "view_data"})
    assert "Aucun utilisateur n'a cet identifiant." in unescape(response.content.decode())
    assert not dataset.grants.exists()


def test_the_same_grant_twice_is_refused(client, dataset, producer_a, reader):
    client.force_login(producer_a)
    url = f"/donnees/{dataset.pk}/partage/droits/"
    assert client.post(url, {"grantee": "user", "username": "lecteur", "action": "view_data"}).status_code == 302
    response = client.post(url, {"grantee": "user", "username": "lecteur", "action": "view_data"})
    assert response.status_code == 400 and "Ce droit existe déjà." in response.content.decode()
    assert dataset.grants.count() == 1


def test_a_grant_of_another_dataset_cannot_be_removed_from_here(client, dataset, producer_a, organisations, tmp_path):
    other = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path / "o", squares(count=1)), "Autre")
    grant = Grant.objects.create(dataset=other.dataset, action="view_data", grantee="registered")
    client.force_login(producer_a)
    response = client.post(f"/donnees/{dataset.pk}/partage/droits/{grant.pk}/retirer/", follow=True)
    assert "Ce droit n'existe pas ou plus." in unescape(response.content.decode())
    assert Grant.objects.filter(pk=grant.pk).exists()


def test_dataset_page_shows_the_sharing_tab_to_administrators_only(client, dataset, producer_a, member_a):
    client.force_login(producer_a)
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert f'href="/donnees/{dataset.pk}/partage/"' in page
    assert "Les membres de Commune A peuvent le voir" in page
    assert "Privé à l'organisation" in unescape(page)
    client.post(f"/donnees/{dataset.pk}/partage/mode/", {"preset": "registered"})
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert "Partagé" in page and "Les utilisateurs inscrits peuvent voir et télécharger les données." in page

    client.force_login(member_a)
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert "/partage/" not in page and "Les utilisateurs inscrits peuvent" not in page
