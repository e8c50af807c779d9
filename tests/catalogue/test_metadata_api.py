"""The record's metadata through the REST API: read and written as JSON, validated with codes, with history."""

import pytest

from catalogue import thesauri
from catalogue.models import Contact, Dataset, RecordRevision
from geoplatform.models import AuditEvent
from tests.conftest import import_now, token_client
from tests.sample_data import shapefile_zip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _thesauri(db):
    thesauri.load()


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    return import_now(producer_a, organisations["a"], shapefile_zip(tmp_path), "Parcelles").dataset


COMPLETE = {
    "abstract": "Parcelles du bocage, numérisées en 2026.",
    "resource_type": "dataset",
    "lineage": "Numérisation sur orthophotographie.",
    "scale_denominator": 5000,
    "temporal_start": "2026-01-01",
    "temporal_end": "2026-12-31",
    "update_frequency": "annually",
    "licence": "lo-2.0",
    "access_constraint": "noLimitations",
    "use_constraints": "Mentionner la source.",
    "conformity_degree": "notEvaluated",
    "keywords": [
        {"thesaurus": "inspire_theme", "code": "lu"},
        {"thesaurus": "iso_topic", "code": "farming"},
        {"thesaurus": "gemet", "code": "agriculture"},
        {"thesaurus": "free", "label": "bocage"},
    ],
    "contacts": [
        {"role": "pointOfContact", "name": "Jeanne Martin", "organisation_name": "Commune A", "email": "sig@a.fr"},
        {"role": "pointOfContact", "for_metadata": True, "organisation_name": "Commune A", "email": "sig@a.fr"},
    ],
    "distributions": [{"url": "https://example.org/notice.pdf", "name": "Notice", "protocol": "WWW:LINK"}],
}


def test_record_reads_as_json_with_its_description(dataset, producer_a):
    record = token_client(producer_a).get(f"/api/v1/datasets/{dataset.pk}/").json()
    for field in (
        "uuid",
        "resource_type",
        "keywords",
        "lineage",
        "scale_denominator",
        "resolution_m",
        "temporal_start",
        "temporal_end",
        "data_created",
        "data_revised",
        "update_frequency",
        "licence",
        "licence_other",
        "access_constraint",
        "use_constraints",
        "conformity_specification",
        "conformity_date",
        "conformity_degree",
        "language",
        "contacts",
        "distributions",
        "links",
        "completeness",
        "missing",
    ):
        assert field in record, field
    assert record["uuid"] == str(dataset.uuid) and record["language"] == "fre"
    assert record["data_revised"] == str(dataset.data_revised)
    assert 0 < record["completeness"] < 100
    assert {"field": "abstract", "label": "Résumé"} in record["missing"]


def test_record_written_as_json_becomes_complete_with_a_revision(dataset, producer_a):
    api = token_client(producer_a)
    response = api.patch(f"/api/v1/datasets/{dataset.pk}/", COMPLETE, format="json")
    assert response.status_code == 200, response.json()
    record = response.json()
    assert record["completeness"] == 100 and record["missing"] == []
    keywords = {(k["thesaurus"], k["code"]): k for k in record["keywords"]}
    assert keywords[("inspire_theme", "lu")]["uri"] == "http://inspire.ec.europa.eu/theme/lu"
    assert keywords[("inspire_theme", "lu")]["label"] == "Usage des sols"
    assert ("free", "bocage") in keywords and ("gemet", "agriculture") in keywords
    assert {(c["for_metadata"], c["email"]) for c in record["contacts"]} == {(False, "sig@a.fr"), (True, "sig@a.fr")}
    assert record["distributions"] == [
        {"url": "https://example.org/notice.pdf", "name": "Notice", "protocol": "WWW:LINK", "description": ""}
    ]
    revision = RecordRevision.objects.get(dataset=dataset)
    assert revision.source == "api" and revision.author == producer_a
    assert set(revision.changes) >= {"abstract", "keywords", "contacts", "links", "lineage", "scale_denominator"}
    assert AuditEvent.objects.filter(action="dataset.update", target_id=str(dataset.pk)).count() == 1

    # Contacts are reused, not duplicated, when the same ones are sent again; the page shows what the API wrote.
    api.patch(f"/api/v1/datasets/{dataset.pk}/", {"contacts": COMPLETE["contacts"]}, format="json")
    assert Contact.objects.filter(email="sig@a.fr").count() == 2  # one with a person's name, one without
    assert RecordRevision.objects.filter(dataset=dataset).count() == 1  # nothing changed: no empty revision

    contact_id = record["contacts"][0]["id"]
    response = api.patch(
        f"/api/v1/datasets/{dataset.pk}/",
        {"contacts": [{"id": contact_id, "role": "custodian"}], "keywords": [{"thesaurus": "free", "label": "haies"}]},
        format="json",
    )
    record = response.json()
    assert [(c["role"], c["for_metadata"]) for c in record["contacts"]] == [("custodian", False)]
    assert [k["code"] for k in record["keywords"]] == ["haies"]  # the list replaces every thesaurus
    assert {"metadata_contact", "inspire_themes"} <= {m["field"] for m in record["missing"]}
    assert RecordRevision.objects.filter(dataset=dataset).count() == 2


def test_validation_errors_have_codes_and_french_messages(dataset, producer_a):
    api = token_client(producer_a)
    response = api.patch(
        f"/api/v1/datasets/{dataset.pk}/",
        {
            "licence": "proprietaire",
            "keywords": [{"thesaurus": "inspire_theme", "code": "zz"}],
            "contacts": [{"name": "Sans courriel"}],
            "scale_denominator": -5,
        },
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_record" and "n'est pas valide" in error["message"]
    fields = error["fields"]
    assert fields["licence"][0]["code"] == "invalid_choice"
    assert fields["keywords"]["0"]["non_field_errors"][0] == {
        "message": "« zz » n'est pas un code du thésaurus thèmes INSPIRE.",
        "code": "unknown_keyword",
    }
    assert fields["contacts"]["0"]["email"][0]["code"] == "contact_email_required"
    assert fields["scale_denominator"][0]["code"] == "min_value"
    assert "valeur" in fields["scale_denominator"][0]["message"]  # DRF's own messages, in French

    response = api.patch(
        f"/api/v1/datasets/{dataset.pk}/",
        {"licence": "other", "temporal_start": "2026-05-01", "temporal_end": "2026-01-01"},
        format="json",
    )
    assert response.json()["error"]["fields"]["licence_other"][0]["code"] == "required"
    response = api.patch(
        f"/api/v1/datasets/{dataset.pk}/", {"temporal_start": "2026-05-01", "temporal_end": "2026-01-01"}, format="json"
    )
    assert response.json()["error"]["fields"]["temporal_end"][0]["code"] == "temporal_extent_reversed"
    dataset.refresh_from_db()
    assert dataset.licence == "lo-2.0" and not dataset.revisions.exists()


def test_read_only_fields_stay(dataset, producer_a):
    uuid = str(dataset.uuid)
    record = (
        token_client(producer_a)
        .patch(
            f"/api/v1/datasets/{dataset.pk}/",
            {"uuid": "00000000-0000-0000-0000-000000000000", "completeness": 100, "srid": 4326},
            format="json",
        )
        .json()
    )
    assert record["uuid"] == uuid and record["srid"] == 2154 and record["completeness"] < 100


def test_only_editors_write(dataset, producer_b, member_a, api_client):
    for client in (token_client(producer_b), token_client(member_a), api_client):
        response = client.patch(f"/api/v1/datasets/{dataset.pk}/", {"abstract": "Piraté"}, format="json")
        assert response.status_code in (401, 404)
    dataset.refresh_from_db()
    assert dataset.abstract == "" and not dataset.revisions.exists()


def test_metadata_only_record_created_through_the_api(producer_a, member_a, organisations, api_client):
    api = token_client(producer_a)
    response = api.post(
        "/api/v1/datasets/records/",
        {
            "title": "Service WMS du PLU",
            "resource_type": "service",
            **{k: COMPLETE[k] for k in ("abstract", "keywords")},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    record = response.json()
    dataset = Dataset.objects.get(pk=record["id"])
    assert dataset.organisation == organisations["a"] and dataset.resource_type == "service"
    assert record["organisation"] == "commune-a" and record["version"] == 0 and record["public"] is False
    assert {k["code"] for k in record["keywords"]} == {"lu", "farming", "agriculture", "bocage"}
    assert set(dataset.revisions.values_list("source", flat=True)) == {"api"}

    bad = api.post("/api/v1/datasets/records/", {"resource_type": "carte"}, format="json").json()["error"]
    assert bad["code"] == "invalid_record" and {f for f in bad["fields"]} == {"title", "resource_type"}
    other = api.post("/api/v1/datasets/records/", {"title": "X", "organisation": "departement-b"}, format="json")
    assert other.status_code == 400 and other.json()["error"]["code"] == "organisation_required"
    assert token_client(member_a).post("/api/v1/datasets/records/", {"title": "X"}, format="json").status_code == 403
    assert api_client.post("/api/v1/datasets/records/", {"title": "X"}, format="json").status_code == 401
    assert not Dataset.objects.filter(title="X").exists()


def test_a_page_of_records_does_not_cost_queries_per_keyword_or_contact(producer_a, organisations):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = token_client(producer_a)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/datasets/").status_code == 200
        return len(captured)

    api.post("/api/v1/datasets/records/", {"title": "Fiche 0", **COMPLETE}, format="json")
    one = queries_for_list()
    for n in range(1, 11):
        api.post("/api/v1/datasets/records/", {"title": f"Fiche {n}", **COMPLETE}, format="json")
    eleven = queries_for_list()
    assert Dataset.objects.count() == 11
    # Keywords, contacts and links come in one query each for the page: at most one more query per record.
    assert eleven - one <= 10
