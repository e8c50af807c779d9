"""Grants given on the "Partage" page: for each kind of grantee, who can now see the dataset (page, API list,
WMS map), and grants limited to communes of the reference layer."""

import pytest
from django.contrib.gis.geos import Point
from osgeo import ogr

from catalogue import sharing
from catalogue.models import Dataset, Grant
from geoplatform import rights
from geoplatform.models import Organisation, PlatformSettings, UserGroup
from tests.conftest import _user, import_now, token_client
from tests.sample_data import ORIGIN, shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)

X, Y = ORIGIN
# Three communes of 1 km², side by side from west to east.
COMMUNES = [("37001", "Abilly"), ("37002", "Ambillou"), ("37003", "Amboise")]


def communes_layer(user, organisation, folder) -> Dataset:
    """A small communes reference layer (fields `insee`, `nom`) set in the platform settings."""
    features = [
        (
            f"POLYGON(({X + i * 1000} {Y},{X + (i + 1) * 1000} {Y},{X + (i + 1) * 1000} {Y + 1000},"
            f"{X + i * 1000} {Y + 1000},{X + i * 1000} {Y}))",
            {"insee": code, "nom": name},
        )
        for i, (code, name) in enumerate(COMMUNES)
    ]
    path = shapefile_zip(folder, features, name="communes", fields={"insee": ogr.OFTString, "nom": ogr.OFTString})
    dataset = import_now(user, organisation, path, "Communes").dataset
    platform = PlatformSettings.load()
    platform.communes_dataset = dataset
    platform.save()
    return dataset


def wgs84(x: float, y: float) -> Point:
    return Point(x, y, srid=2154).transform(4326, clone=True)


def getmap_status(client, dataset: Dataset) -> int:
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": dataset.layer_name,
        "STYLES": "",
        "CRS": "EPSG:2154",
        "BBOX": ",".join(map(str, dataset.bbox)),
        "WIDTH": 32,
        "HEIGHT": 32,
        "FORMAT": "image/png",
    }
    response = client.get(f"/ows/dataset/{dataset.pk}", params)
    assert response.status_code != 200 or response["Content-Type"] == "image/png", response.content[:300]
    return response.status_code


@pytest.fixture
def partner(db):
    organisation = Organisation.objects.create(name="Parc naturel C", slug="parc-c", is_partner=True)
    return _user("partenaire", organisation=organisation, role="member")


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    return import_now(producer_a, organisations["a"], shapefile_zip(tmp_path / "d", squares(count=4)), "Réseau").dataset


def add_grant(client, dataset: Dataset, **fields) -> None:
    response = client.post(f"/donnees/{dataset.pk}/partage/droits/", {"action": "view_data", **fields})
    assert response.status_code == 302, response.content.decode()[-3000:]


GRANTS = {
    # grant kind: (form fields, who among reader / producer_b / partner / anonymous may now see the dataset)
    "anyone": (lambda f: {"grantee": "anyone"}, {"anonymous", "reader", "producer_b", "partner"}),
    "registered": (lambda f: {"grantee": "registered"}, {"reader", "producer_b", "partner"}),
    "organisation": (lambda f: {"grantee": "organisation", "organisation": f["org_b"].pk}, {"producer_b"}),
    "partners": (lambda f: {"grantee": "partners"}, {"partner"}),
    "group": (lambda f: {"grantee": "group", "group": f["group"].pk}, {"reader"}),
    "user": (lambda f: {"grantee": "user", "username": "lecteur"}, {"reader"}),
}


@pytest.mark.parametrize("kind", GRANTS)
def test_each_kind_of_grant_opens_the_dataset_to_its_grantees(
    kind, client, dataset, organisations, producer_a, producer_b, member_a, reader, partner
):
    group = UserGroup.objects.create(name="Services de l'État", slug="etat")
    group.members.add(reader)
    fields, expected = GRANTS[kind]
    people = {"anonymous": None, "reader": reader, "producer_b": producer_b, "partner": partner, "member_a": member_a}

    def sees(user) -> dict[str, bool]:
        client.logout()
        if user is not None:
            client.force_login(user)
        api = token_client(user) if user is not None else client
        listed = api.get("/api/v1/datasets/")
        return {
            "page": client.get(f"/donnees/{dataset.pk}/").status_code == 200,
            "api": any(item["id"] == dataset.pk for item in listed.json()["results"]),
            "wms": getmap_status(client, dataset) == 200,
        }

    for name, user in people.items():
        assert not any(sees(user).values()) or name == "member_a", f"{name} sees the private dataset before sharing"

    client.force_login(producer_a)
    add_grant(client, dataset, **fields({"org_b": organisations["b"], "group": group}))
    assert dataset.grants.get().grantee == kind

    for name, user in people.items():
        allowed = name in expected or name == "member_a"
        assert sees(user) == {"page": allowed, "api": allowed, "wms": allowed}, name


def test_a_grant_of_an_action_gives_the_lesser_ones(client, dataset, producer_a, reader):
    client.force_login(producer_a)
    add_grant(client, dataset, grantee="user", username="lecteur", action="download")
    assert rights.can(reader, rights.Action.VIEW_METADATA, dataset)
    assert rights.can(reader, rights.Action.VIEW_DATA, dataset)
    assert rights.can(reader, rights.Action.DOWNLOAD, dataset)
    assert not rights.can(reader, rights.Action.EDIT, dataset)


def test_metadata_only_grant_shows_the_record_but_not_the_map(client, dataset, producer_a, reader):
    client.force_login(producer_a)
    add_grant(client, dataset, grantee="registered", action="view_metadata")
    client.force_login(reader)
    assert client.get(f"/donnees/{dataset.pk}/").status_code == 200
    assert getmap_status(client, dataset) == 404


def test_grant_on_communes_limits_the_decision_to_them(client, dataset, organisations, producer_a, reader, tmp_path):
    communes_layer(producer_a, organisations["a"], tmp_path / "communes")
    client.force_login(producer_a)
    add_grant(client, dataset, grantee="user", username="lecteur", insee_codes="37001")

    grant = dataset.grants.get()
    assert grant.territory.insee_codes == ["37001"]
    decision = rights.decide(reader, rights.Action.VIEW_DATA, dataset)
    assert decision.allowed and decision.territory_ids == (grant.territory_id,)
    assert decision.territory.contains(wgs84(X + 500, Y + 500))  # in Abilly
    assert not decision.territory.contains(wgs84(X + 1500, Y + 500))  # in Ambillou
    # The record itself is not limited, only the data.
    assert rights.decide(reader, rights.Action.VIEW_METADATA, dataset).territory is None
    page = client.get(f"/donnees/{dataset.pk}/partage/").content.decode()
    assert "Communes 37001" in page


def test_two_communes_grant_covers_both(client, dataset, organisations, producer_a, reader, tmp_path):
    communes_layer(producer_a, organisations["a"], tmp_path / "communes")
    client.force_login(producer_a)
    add_grant(client, dataset, grantee="registered", insee_codes="37001, 37002")
    territory = rights.decide(reader, rights.Action.VIEW_DATA, dataset).territory
    assert territory.contains(wgs84(X + 500, Y + 500)) and territory.contains(wgs84(X + 1500, Y + 500))
    assert not territory.contains(wgs84(X + 2500, Y + 500))


def test_unknown_insee_code_is_refused_by_name(client, dataset, organisations, producer_a, tmp_path):
    communes_layer(producer_a, organisations["a"], tmp_path / "communes")
    client.force_login(producer_a)
    response = client.post(
        f"/donnees/{dataset.pk}/partage/droits/",
        {"grantee": "registered", "action": "view_data", "insee_codes": "99999"},
    )
    assert response.status_code == 400
    assert "99999" in response.content.decode()
    assert not dataset.grants.exists()


def test_restricted_to_each_territory(client, dataset, organisations, producer_a, reader, member_a, tmp_path):
    communes_layer(producer_a, organisations["a"], tmp_path / "communes")
    client.force_login(producer_a)
    client.post(f"/donnees/{dataset.pk}/partage/mode/", {"preset": "registered", "territory_restricted": "on"})
    dataset.refresh_from_db()
    assert dataset.territory_restricted
    # Someone without a territory gets the record, not the data.
    assert rights.can(reader, rights.Action.VIEW_METADATA, dataset)
    assert not rights.can(reader, rights.Action.VIEW_DATA, dataset)
    # Once attached to Ambillou, they see the data there only.
    reader.territory = sharing.territory_for(insee_codes=["37002"])
    reader.save()
    territory = rights.decide(reader, rights.Action.VIEW_DATA, dataset).territory
    assert territory.contains(wgs84(X + 1500, Y + 500)) and not territory.contains(wgs84(X + 500, Y + 500))
    # The owning organisation is not restricted.
    assert rights.decide(member_a, rights.Action.VIEW_DATA, dataset).territory is None


def test_grant_to_administer_opens_the_sharing_page(client, dataset, producer_a, producer_b):
    client.force_login(producer_b)
    assert client.get(f"/donnees/{dataset.pk}/partage/").status_code == 404
    client.force_login(producer_a)
    add_grant(client, dataset, grantee="user", username="producteur-b", action="administer")
    client.force_login(producer_b)
    assert client.get(f"/donnees/{dataset.pk}/partage/").status_code == 200
    assert Grant.objects.filter(dataset=dataset, user=producer_b, action="administer").exists()


def test_a_member_of_several_groups_is_found_through_any(client, dataset, producer_a, reader):
    first = UserGroup.objects.create(name="EPCI du Cher", slug="epci-cher")
    second = UserGroup.objects.create(name="Syndicats", slug="syndicats")
    second.members.add(reader)
    client.force_login(producer_a)
    add_grant(client, dataset, grantee="group", group=first.pk)
    assert not rights.can(reader, rights.Action.VIEW_DATA, dataset)
    add_grant(client, dataset, grantee="group", group=second.pk)
    assert rights.can(reader, rights.Action.VIEW_DATA, dataset)
