"""`rights.decide`: who may do what on a dataset, and within which territory, for every rule."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import MultiPolygon, Polygon

from catalogue.models import Dataset, Grant
from geoplatform.models import Domain, Membership, Organisation, Territory, User, UserGroup
from geoplatform.rights import Action, decide

pytestmark = pytest.mark.django_db

READ = [Action.VIEW_METADATA, Action.VIEW_DATA, Action.DOWNLOAD]
WRITE = [Action.EDIT, Action.ADMINISTER]


def square(name: str, west: float, south: float, size: float = 0.1) -> Territory:
    polygon = Polygon.from_bbox((west, south, west + size, south + size))
    return Territory.objects.create(name=name, geometry=MultiPolygon(polygon, srid=4326))


@pytest.fixture
def dataset(organisations, producer_a):
    return Dataset.objects.create(title="Parcelles", organisation=organisations["a"], created_by=producer_a)


@pytest.fixture
def north(db):
    return square("Nord", 0.6, 47.4)


@pytest.fixture
def south(db):
    return square("Sud", 0.6, 47.2)


def everywhere(decision) -> bool:
    return decision.allowed and decision.territory is None and decision.territory_ids == ()


def test_platform_administrator_may_do_everything_everywhere(admin_user, dataset):
    dataset.territory_restricted = True
    dataset.save()
    assert all(everywhere(decide(admin_user, action, dataset)) for action in Action)


def test_producer_of_the_organisation_may_do_everything_others_nothing(producer_a, producer_b, dataset):
    assert all(everywhere(decide(producer_a, action, dataset)) for action in Action)
    assert not any(decide(producer_b, action, dataset) for action in Action)


def test_member_reads_but_does_not_write(member_a, dataset):
    dataset.territory_restricted = True
    dataset.save()
    assert all(everywhere(decide(member_a, action, dataset)) for action in READ)
    assert not any(decide(member_a, action, dataset) for action in WRITE)


def test_domain_administrator_may_do_everything(reader, dataset):
    domain = Domain.objects.create(name="Urbanisme", slug="urbanisme")
    domain.administrators.add(reader)
    assert not decide(reader, Action.VIEW_METADATA, dataset)
    dataset.domains.add(domain)
    assert all(everywhere(decide(reader, action, dataset)) for action in Action)


def test_public_dataset_is_read_by_anyone_not_written(reader, dataset):
    assert not decide(AnonymousUser(), Action.VIEW_METADATA, dataset)
    dataset.public = True
    dataset.save()
    for user in (AnonymousUser(), reader):
        assert all(everywhere(decide(user, action, dataset)) for action in READ)
        assert not any(decide(user, action, dataset) for action in WRITE)


def test_anonymous_visitors_download_open_data_only(reader, dataset):
    from geoplatform.rights import visible

    dataset.public = True
    dataset.licence = Dataset.Licence.OTHER
    dataset.save()
    Grant.objects.create(dataset=dataset, action="download", grantee="anyone")
    assert not decide(AnonymousUser(), Action.DOWNLOAD, dataset)
    assert not visible(AnonymousUser(), Dataset.objects.all(), Action.DOWNLOAD).exists()
    assert everywhere(decide(AnonymousUser(), Action.VIEW_DATA, dataset))
    assert everywhere(decide(reader, Action.DOWNLOAD, dataset))  # a signed-in person, under the licence's terms
    dataset.licence = Dataset.Licence.LO_2
    dataset.save()
    assert everywhere(decide(AnonymousUser(), Action.DOWNLOAD, dataset))
    assert visible(AnonymousUser(), Dataset.objects.all(), Action.DOWNLOAD).exists()
    dataset.access_constraint = Dataset.AccessConstraint.ARTICLE_13_1_E
    dataset.save()
    assert not decide(AnonymousUser(), Action.DOWNLOAD, dataset)


def test_grant_to_anyone_includes_anonymous(reader, dataset):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="anyone")
    assert everywhere(decide(AnonymousUser(), Action.VIEW_DATA, dataset))
    assert everywhere(decide(reader, Action.VIEW_DATA, dataset))


def test_grant_to_registered_users_excludes_anonymous(reader, dataset):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="registered")
    assert not decide(AnonymousUser(), Action.VIEW_DATA, dataset)
    assert everywhere(decide(reader, Action.VIEW_DATA, dataset))


def test_grant_to_an_organisation_reaches_its_members(reader, producer_b, organisations, dataset):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="organisation", organisation=organisations["b"])
    assert everywhere(decide(producer_b, Action.VIEW_DATA, dataset))
    assert not decide(reader, Action.VIEW_DATA, dataset)


def test_grant_to_partners_reaches_members_of_partner_organisations(reader, producer_b, organisations, dataset):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="partners")
    assert not decide(producer_b, Action.VIEW_DATA, dataset)
    Organisation.objects.filter(pk=organisations["b"].pk).update(is_partner=True)
    assert everywhere(decide(producer_b, Action.VIEW_DATA, dataset))
    assert not decide(reader, Action.VIEW_DATA, dataset)


def test_grant_to_a_group_reaches_its_members(reader, producer_b, dataset):
    group = UserGroup.objects.create(name="Services de l'État", slug="etat")
    group.members.add(reader)
    Grant.objects.create(dataset=dataset, action="view_data", grantee="group", group=group)
    assert everywhere(decide(reader, Action.VIEW_DATA, dataset))
    assert not decide(producer_b, Action.VIEW_DATA, dataset)


def test_grant_to_a_user_reaches_only_that_user(reader, producer_b, dataset):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="user", user=reader)
    assert everywhere(decide(reader, Action.VIEW_DATA, dataset))
    assert not decide(producer_b, Action.VIEW_DATA, dataset)


def test_a_grant_gives_the_lesser_actions_only(reader, dataset):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="user", user=reader)
    assert decide(reader, Action.VIEW_METADATA, dataset)
    assert not decide(reader, Action.DOWNLOAD, dataset)
    assert not decide(reader, Action.EDIT, dataset)
    Grant.objects.create(dataset=dataset, action="edit", grantee="user", user=reader)
    assert all(everywhere(decide(reader, action, dataset)) for action in [*READ, Action.EDIT])
    assert not decide(reader, Action.ADMINISTER, dataset)


def test_grants_with_territories_give_the_union_of_their_territories(reader, dataset, north, south):
    Grant.objects.create(dataset=dataset, action="download", grantee="user", user=reader, territory=north)
    decision = decide(reader, Action.VIEW_DATA, dataset)
    assert decision.restricted and decision.territory_ids == (north.pk,)
    assert decision.territory.equals(north.geometry)
    Grant.objects.create(dataset=dataset, action="view_data", grantee="registered", territory=south)
    decision = decide(reader, Action.VIEW_DATA, dataset)
    assert decision.territory_ids == tuple(sorted([north.pk, south.pk]))
    assert decision.territory.geom_type == "MultiPolygon" and decision.territory.srid == 4326
    assert decision.territory.area == pytest.approx(north.geometry.area + south.geometry.area)
    assert decide(reader, Action.DOWNLOAD, dataset).territory_ids == (north.pk,)
    assert everywhere(decide(reader, Action.VIEW_METADATA, dataset)), "the record is not cut by territory"


def test_a_grant_without_territory_lifts_the_restriction(reader, dataset, north):
    Grant.objects.create(dataset=dataset, action="view_data", grantee="user", user=reader, territory=north)
    Grant.objects.create(dataset=dataset, action="view_data", grantee="registered")
    assert everywhere(decide(reader, Action.VIEW_DATA, dataset))


def test_territory_restricted_dataset_serves_each_user_their_own_territory(reader, organisations, dataset):
    dataset.public = True
    dataset.territory_restricted = True
    dataset.save()
    assert not decide(reader, Action.VIEW_DATA, dataset), "no territory, no data"
    assert everywhere(decide(reader, Action.VIEW_METADATA, dataset))

    own = square("Mien", 0.5, 47.0)
    organisation_territory, group_territory = square("B", 0.7, 47.0), square("G", 0.9, 47.0)
    reader.territory = own
    reader.save()
    assert decide(reader, Action.VIEW_DATA, dataset).territory_ids == (own.pk,)

    organisation = organisations["b"]
    organisation.territory = organisation_territory
    organisation.save()
    Membership.objects.create(user=reader, organisation=organisation, role="member")
    group = UserGroup.objects.create(name="EPCI", slug="epci", territory=group_territory)
    group.members.add(reader)
    decision = decide(reader, Action.DOWNLOAD, dataset)
    assert decision.territory_ids == tuple(sorted([own.pk, organisation_territory.pk, group_territory.pk]))
    assert decision.territory.area == pytest.approx(3 * own.geometry.area)


def test_territory_restricted_dataset_uses_the_organisation_or_group_territory_alone(organisations, dataset):
    dataset.public = True
    dataset.territory_restricted = True
    dataset.save()
    by_organisation = User.objects.create_user("par-organisation")
    Membership.objects.create(user=by_organisation, organisation=organisations["b"], role="member")
    organisations["b"].territory = square("B", 0.7, 47.0)
    organisations["b"].save()
    assert decide(by_organisation, Action.VIEW_DATA, dataset).territory_ids == (organisations["b"].territory.pk,)
    by_group = User.objects.create_user("par-groupe")
    group = UserGroup.objects.create(name="EPCI", slug="epci", territory=square("G", 0.9, 47.0))
    group.members.add(by_group)
    assert decide(by_group, Action.VIEW_DATA, dataset).territory_ids == (group.territory.pk,)


def test_anonymous_on_a_territory_restricted_public_dataset_sees_the_record_not_the_data(dataset):
    dataset.public = True
    dataset.territory_restricted = True
    dataset.save()
    anonymous = AnonymousUser()
    assert everywhere(decide(anonymous, Action.VIEW_METADATA, dataset))
    assert not decide(anonymous, Action.VIEW_DATA, dataset)
    assert not decide(anonymous, Action.DOWNLOAD, dataset)


def test_inactive_accounts_have_no_rights(producer_a, dataset):
    producer_a.is_active = False
    producer_a.save()
    assert not any(decide(producer_a, action, dataset) for action in Action)


def test_territory_grant_on_a_territory_restricted_dataset_never_serves_beyond_either(reader, dataset, north, south):
    """A grant limited to one territory, for a person attached to another: nothing beyond either is served."""
    dataset.territory_restricted = True
    dataset.save()
    Grant.objects.create(dataset=dataset, action="view_data", grantee="user", user=reader, territory=north)
    reader.territory = south
    reader.save()
    assert not decide(reader, Action.VIEW_DATA, dataset)
    assert decide(reader, Action.VIEW_METADATA, dataset)
    reader.territory = north
    reader.save()
    decision = decide(reader, Action.VIEW_DATA, dataset)
    assert decision.allowed and decision.territory_ids == (north.pk,)
