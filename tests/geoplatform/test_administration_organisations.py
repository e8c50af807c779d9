"""Administrators create and edit organisations: identity, logo (images only), territory from INSEE codes, members."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from osgeo import ogr
from PIL import Image

from geoplatform.models import AuditEvent, Membership, Organisation, PlatformSettings
from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip

pytestmark = pytest.mark.django_db(transaction=True)

COMMUNES = [("37001", "Aubigny"), ("37002", "Bléré"), ("37003", "Chinon"), ("37004", "Descartes")]


def communes_layer(user, organisation, tmp_path):
    """A small communes reference layer (fields insee, nom), set in the platform settings."""
    features = []
    for i, (insee, nom) in enumerate(COMMUNES):
        x, y = ORIGIN[0] + i * 1000, ORIGIN[1]
        wkt = f"POLYGON(({x} {y},{x + 1000} {y},{x + 1000} {y + 1000},{x} {y + 1000},{x} {y}))"
        features.append((wkt, {"insee": insee, "nom": nom}))
    archive = shapefile_zip(
        tmp_path / "communes", features, name="communes", fields={"insee": ogr.OFTString, "nom": ogr.OFTString}
    )
    dataset = import_now(user, organisation, archive, "Communes").dataset
    PlatformSettings.objects.update_or_create(pk=1, defaults={"communes_dataset": dataset})
    return dataset


def png(colour: str = "navy") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_create_organisation_with_territory_and_logo(admin_client, admin_user, organisations, tmp_path):
    communes_layer(admin_user, organisations["a"], tmp_path)
    response = admin_client.post(
        "/administration/organisations/nouvelle/",
        {
            "name": "Communauté de communes du Val",
            "slug": "",
            "website": "https://cc-val.example.org",
            "contact_name": "Mme Martin",
            "contact_email": "sig@cc-val.example.org",
            "is_partner": "on",
            "insee_codes": "37001, 37002 ;37003",
            "logo": SimpleUploadedFile("logo.png", png(), content_type="image/png"),
        },
    )
    organisation = Organisation.objects.get(name="Communauté de communes du Val")
    assert response.status_code == 302 and response["Location"] == f"/administration/organisations/{organisation.pk}/"
    assert organisation.slug == "communaute-de-communes-du-val"
    assert organisation.is_partner
    assert organisation.territory.insee_codes == ["37001", "37002", "37003"]
    assert organisation.territory.geometry.srid == 4326 and organisation.territory.geometry.area > 0
    assert organisation.logo.name.endswith(".png")
    event = AuditEvent.objects.get(action="organisation.create")
    assert event.before is None and event.after["territory"] == "37001, 37002, 37003"


def test_unknown_insee_code_is_refused_in_french(admin_client, admin_user, organisations, tmp_path):
    communes_layer(admin_user, organisations["a"], tmp_path)
    response = admin_client.post(
        f"/administration/organisations/{organisations['b'].pk}/",
        {"name": "Département B", "slug": "departement-b", "insee_codes": "37001 99999"},
    )
    assert response.status_code == 200
    assert "Codes INSEE inconnus : 99999." in response.content.decode()
    organisations["b"].refresh_from_db()
    assert organisations["b"].territory is None


def test_territory_needs_the_communes_layer(admin_client, organisations):
    response = admin_client.post(
        f"/administration/organisations/{organisations['b'].pk}/",
        {"name": "Département B", "slug": "departement-b", "insee_codes": "37001"},
    )
    assert "Aucune couche de référence des communes" in response.content.decode()


def test_edit_records_before_and_after(admin_client, admin_user, organisations, tmp_path):
    communes_layer(admin_user, organisations["a"], tmp_path)
    url = f"/administration/organisations/{organisations['b'].pk}/"
    response = admin_client.post(url, {"name": "Département B (SIG)", "slug": "departement-b", "insee_codes": "37004"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.before["name"] == "Département B" and event.after["name"] == "Département B (SIG)"
    assert event.before["territory"] is None and event.after["territory"] == "37004"
    assert "37004" in admin_client.get(url).content.decode()


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("logo.png", b"<html><script>alert(1)</script></html>"),
        ("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
)
def test_logo_must_be_a_png_jpeg_or_webp_image(admin_client, organisations, filename, content):
    response = admin_client.post(
        f"/administration/organisations/{organisations['a'].pk}/",
        {"name": "Commune A", "slug": "commune-a", "logo": SimpleUploadedFile(filename, content)},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "PNG, JPEG ou WebP" in page and "Rien n'a été enregistré" in page
    organisations["a"].refresh_from_db()
    assert not organisations["a"].logo


def test_members_added_role_changed_removed(admin_client, organisations, reader):
    url = f"/administration/organisations/{organisations['a'].pk}/"
    admin_client.post(url, {"action": "member_add", "user": reader.pk, "role": "producer"})
    membership = Membership.objects.get(user=reader, organisation=organisations["a"])
    assert membership.role == "producer"
    assert "lecteur" in admin_client.get(url).content.decode()

    admin_client.post(url, {"action": "member_role", "membership": membership.pk, "role": "member"})
    membership.refresh_from_db()
    assert membership.role == "member"

    admin_client.post(url, {"action": "member_remove", "membership": membership.pk})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    actions = list(AuditEvent.objects.order_by("created_at").values_list("action", flat=True))
    assert actions == ["membership.add", "membership.update", "membership.remove"]
    update = AuditEvent.objects.get(action="membership.update")
    assert (update.before["role"], update.after["role"]) == ("producer", "member")


def test_list_shows_member_counts(admin_client, producer_a, member_a):
    page = admin_client.get("/administration/organisations/").content.decode()
    assert "Commune A" in page and "Département B" in page
