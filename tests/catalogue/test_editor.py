"""The metadata editor: simple and expert modes, completeness, contacts reused, history, metadata-only records."""

import re

import pytest
from django.utils.html import escape

from catalogue import records, thesauri
from catalogue.models import Contact, Dataset, Keyword, RecordRevision
from geoplatform.models import AuditEvent
from tests.conftest import import_now
from tests.sample_data import shapefile_zip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _thesauri(db):
    thesauri.load()  # what migration 0007 loads; transactional tests flush it between tests


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    return import_now(producer_a, organisations["a"], shapefile_zip(tmp_path), "Parcelles").dataset


def _kw(thesaurus: str, code: str) -> Keyword:
    return Keyword.objects.get(thesaurus=thesaurus, code=code)


def _management(prefix: str, total: int, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


SIMPLE = {
    "title": "Parcelles agricoles du bocage",
    "abstract": "Parcelles déclarées en 2026 sur le bocage de la commune.",
    "licence": "odbl-1.0",
    "update_frequency": "annually",
    "lineage": "Numérisé sur l'orthophotographie 2025.",
    "scale_denominator": "5000",
    "temporal_start": "2026-01-01",
    "temporal_end": "2026-12-31",
    "free_keywords": "haies, bocage",
    "poc_name": "Jeanne Martin",
    "poc_organisation": "Commune A — service SIG",
    "poc_email": "sig@commune-a.fr",
}


def _simple_post(dataset: Dataset) -> dict:
    return {
        **SIMPLE,
        "inspire_themes": [_kw("inspire_theme", "lu").pk],
        "topic_categories": [_kw("iso_topic", "farming").pk],
    }


def test_imported_data_fill_the_record_and_the_editor_shows_it(client, producer_a, dataset):
    from django.utils import timezone

    assert dataset.bbox_wgs84 and dataset.srid == 2154 and dataset.feature_count == 12
    assert dataset.data_created == timezone.localdate() and dataset.data_revised == timezone.localdate()
    client.force_login(producer_a)
    page = client.get(f"/donnees/{dataset.pk}/modifier/").content.decode()
    assert "Renseigné à partir des données" in page and "EPSG:2154" in page
    assert 'data-completeness="' in page


def test_simple_mode_saves_everything_it_shows_and_completeness_rises(client, producer_a, dataset):
    client.force_login(producer_a)
    before = records.completeness(dataset)
    missing_before = {r.field for r in records.missing(dataset)}
    assert {"abstract", "inspire_themes", "topic_categories", "lineage", "resolution"} <= missing_before

    page = client.get(f"/donnees/{dataset.pk}/modifier/").content.decode()
    assert 'href="#id_abstract"' in page and 'id="id_abstract_missing"' in page
    assert 'name="resource_type"' not in page  # expert only

    response = client.post(f"/donnees/{dataset.pk}/modifier/", _simple_post(dataset))
    assert response.status_code == 302, response.content.decode()[:3000]
    dataset.refresh_from_db()
    assert dataset.title == SIMPLE["title"] and dataset.licence == "odbl-1.0"
    assert dataset.update_frequency == "annually" and dataset.scale_denominator == 5000
    assert str(dataset.temporal_start) == "2026-01-01" and "orthophotographie" in dataset.lineage
    codes = {(k.thesaurus, k.code) for k in dataset.keywords.all()}
    assert {("inspire_theme", "lu"), ("iso_topic", "farming"), ("free", "haies"), ("free", "bocage")} <= codes
    contact = dataset.parties.get(for_metadata=False).contact
    assert contact.email == "sig@commune-a.fr" and contact.organisation == dataset.organisation

    after = records.completeness(dataset)
    missing_after = {r.field for r in records.missing(dataset)}
    assert after > before and missing_after < missing_before
    assert missing_after == {"metadata_contact"}
    page = client.get(f"/donnees/{dataset.pk}/modifier/").content.decode()
    assert f'data-completeness="{after}"' in page
    assert 'href="?mode=expert#id_mdc_contact"' in page  # the missing element is in expert mode


def test_expert_mode_saves_everything_and_the_record_reaches_100(client, producer_a, dataset):
    client.force_login(producer_a)
    client.post(f"/donnees/{dataset.pk}/modifier/", _simple_post(dataset))
    contact = Contact.objects.get(email="sig@commune-a.fr")
    page = client.get(f"/donnees/{dataset.pk}/modifier/?mode=expert").content.decode()
    assert 'name="resource_type"' in page and 'name="parties-TOTAL_FORMS"' in page and "gemet-suggestions" in page

    data = {
        **{k: v for k, v in SIMPLE.items() if not k.startswith("poc_")},
        "inspire_themes": [_kw("inspire_theme", "lu").pk, _kw("inspire_theme", "lc").pk],
        "topic_categories": [_kw("iso_topic", "farming").pk],
        "resource_type": "series",
        "language": "fre",
        "gemet_keywords": "agriculture, paysage",
        "resolution_m": "0.5",
        "data_created": "2025-03-01",
        "data_revised": "2026-02-01",
        "access_constraint": "INSPIRE_Directive_Article13_1e",
        "use_constraints": "Citer la commune A.",
        "conformity_specification": "Règlement (UE) n° 1089/2010",
        "conformity_date": "2010-12-08",
        "conformity_degree": "conformant",
        "mdc_contact": str(contact.pk),
        **_management("parties", 2, 1),
        "parties-0-contact": str(contact.pk),
        "parties-0-role": "pointOfContact",
        "parties-1-name": "Paul Durand",
        "parties-1-organisation_name": "Bureau d'études",
        "parties-1-email": "paul@be.fr",
        "parties-1-role": "originator",
        **_management("links", 1),
        "links-0-url": "https://example.org/notice.html",
        "links-0-name": "Notice",
        "links-0-protocol": "WWW:LINK",
    }
    response = client.post(f"/donnees/{dataset.pk}/modifier/?mode=expert", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"].endswith("?mode=expert")
    dataset.refresh_from_db()
    assert dataset.resource_type == "series" and dataset.resolution_m == 0.5
    assert dataset.access_constraint.endswith("13_1e") and dataset.conformity_degree == "conformant"
    assert str(dataset.data_created) == "2025-03-01" and dataset.use_constraints == "Citer la commune A."
    assert {k.code for k in dataset.keywords.filter(thesaurus="gemet")} == {"agriculture", "landscape"}
    roles = {(p.contact.email, p.role, p.for_metadata) for p in dataset.parties.select_related("contact")}
    assert roles == {
        ("sig@commune-a.fr", "pointOfContact", False),
        ("paul@be.fr", "originator", False),
        ("sig@commune-a.fr", "pointOfContact", True),
    }
    assert list(dataset.extra_links.values_list("name", flat=True)) == ["Notice"]
    assert records.missing(dataset) == [] and records.completeness(dataset) == 100

    page = client.get(f"/donnees/{dataset.pk}/modifier/?mode=expert").content.decode()
    assert 'data-completeness="100"' in page and "tous les éléments obligatoires INSPIRE" in page
    detail = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert "100 %" in detail and "paysage" in detail and "Notice" in detail and "paul@be.fr" in detail


def test_unknown_gemet_keyword_and_contact_without_email_are_flagged(client, producer_a, dataset):
    client.force_login(producer_a)
    data = {
        "title": "Parcelles",
        "gemet_keywords": "agriculture, licorne",
        "mdc_name": "Sans courriel",
        **_management("parties", 0),
        **_management("links", 0),
    }
    response = client.post(f"/donnees/{dataset.pk}/modifier/?mode=expert", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert escape("« licorne » n'est pas un mot-clé du thésaurus GEMET.") in page
    assert 'href="#id_gemet_keywords"' in page and 'href="#id_mdc_email"' in page
    assert not dataset.keywords.filter(thesaurus="gemet").exists()


def test_contacts_are_reused_across_records(client, producer_a, organisations, dataset):
    other = Dataset.objects.create(title="Haies", organisation=organisations["a"])
    client.force_login(producer_a)
    client.post(f"/donnees/{dataset.pk}/modifier/", _simple_post(dataset))
    contact = Contact.objects.get(email="sig@commune-a.fr")
    page = client.get(f"/donnees/{other.pk}/modifier/").content.decode()
    assert re.search(rf'<option value="{contact.pk}">[^<]*Jeanne Martin', page)
    client.post(f"/donnees/{other.pk}/modifier/", {"title": "Haies", "poc_contact": contact.pk})
    # Describing the same person again reuses the contact rather than duplicating it.
    client.post(f"/donnees/{dataset.pk}/modifier/", _simple_post(dataset))
    assert Contact.objects.filter(email="sig@commune-a.fr").count() == 1
    assert other.parties.get().contact == contact


def test_organisation_contact_is_suggested_for_the_record(client, producer_a, organisations, dataset):
    organisations["a"].contact_name = "Service SIG"
    organisations["a"].contact_email = "sig@commune-a.fr"
    organisations["a"].save()
    client.force_login(producer_a)
    page = client.get(f"/donnees/{dataset.pk}/modifier/?mode=expert").content.decode()
    contact = Contact.objects.get(email="sig@commune-a.fr", organisation=organisations["a"])
    assert re.search(rf'<option value="{contact.pk}" selected>', page)


def test_every_save_records_a_revision_and_an_audit_event(client, producer_a, dataset):
    client.force_login(producer_a)
    client.post(f"/donnees/{dataset.pk}/modifier/", _simple_post(dataset))
    revision = RecordRevision.objects.get(dataset=dataset, source="editor")
    assert revision.author == producer_a
    assert revision.changes["title"] == ["Parcelles", SIMPLE["title"]]
    assert "free:bocage" in revision.changes["keywords"][1] and revision.changes["keywords"][0] == []
    assert "licence" in revision.changes and "contacts" in revision.changes
    event = AuditEvent.objects.get(action="dataset.update", target_id=str(dataset.pk))
    assert event.actor == producer_a and event.after["title"] == SIMPLE["title"]

    history = client.get(f"/donnees/{dataset.pk}/historique/").content.decode()
    assert "producteur-a" in history and "éditeur" in history and "Parcelles agricoles du bocage" in history
    assert escape("Début de l'étendue temporelle") in history and "Mots-clés" in history


def test_only_editors_edit(client, producer_b, member_a, dataset):
    for user in (producer_b, member_a):
        client.force_login(user)
        assert client.get(f"/donnees/{dataset.pk}/modifier/").status_code == 404
        assert client.post(f"/donnees/{dataset.pk}/modifier/", {"title": "Piraté"}).status_code == 404
        assert client.get(f"/donnees/{dataset.pk}/historique/").status_code == 404
    dataset.refresh_from_db()
    assert dataset.title == "Parcelles" and not dataset.revisions.exists()


def test_metadata_only_record_creation(client, producer_a, member_a, organisations):
    organisations["a"].contact_email = "contact@commune-a.fr"
    organisations["a"].save()
    client.force_login(member_a)
    assert client.get("/donnees/nouvelle-fiche/").status_code == 403
    client.force_login(producer_a)
    page = client.get("/donnees/nouvelle-fiche/").content.decode()
    assert "série de données" in page and "table non géographique" in page
    response = client.post(
        "/donnees/nouvelle-fiche/",
        {"title": "Service WMS du PLU", "resource_type": "service", "organisation": organisations["a"].pk},
    )
    dataset = Dataset.objects.get(title="Service WMS du PLU")
    assert response.status_code == 302 and response["Location"] == f"/donnees/{dataset.pk}/modifier/"
    assert dataset.resource_type == "service" and not dataset.has_data and not dataset.public
    assert dataset.parties.get(for_metadata=True).contact.email == "contact@commune-a.fr"
    assert dataset.revisions.get().source == "editor"
    # Another organisation's producer cannot file a record under Commune A.
    response = client.post(
        "/donnees/nouvelle-fiche/",
        {"title": "Intrus", "resource_type": "map", "organisation": organisations["b"].pk},
    )
    assert response.status_code == 400 and not Dataset.objects.filter(title="Intrus").exists()
    page = client.get(f"/donnees/{dataset.pk}/modifier/").content.decode()
    assert "seront lus dans les données" in page


def test_keyword_suggestions_only_from_visible_records(client, producer_a, producer_b, organisations, dataset):
    client.force_login(producer_a)
    client.post(f"/donnees/{dataset.pk}/modifier/", _simple_post(dataset))
    gemet = client.get("/donnees/mots-cles/", {"thesaurus": "gemet", "q": "eau"}).json()["results"]
    assert {"drinking-water", "groundwater"} <= {k["code"] for k in gemet}
    assert all(set(k) == {"thesaurus", "code", "label", "uri"} for k in gemet)
    assert "bocage" in {k["code"] for k in client.get("/donnees/mots-cles/?thesaurus=free&q=boc").json()["results"]}
    client.force_login(producer_b)  # the record is private to Commune A: its free keywords too
    assert client.get("/donnees/mots-cles/?thesaurus=free&q=boc").json()["results"] == []
    assert client.get("/donnees/mots-cles/?thesaurus=nope").status_code == 400
