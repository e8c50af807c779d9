"""ISO 19139 import: a record comes back from its own export unchanged, foreign records are understood, hostile
XML is refused with a stable code, and nobody creates or overwrites what they may not edit."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from lxml import etree

from catalogue import iso19139
from catalogue.models import Dataset, RecordRevision
from tests.catalogue.test_iso19139_export import NS, full_record, keywords  # noqa: F401 (fixture)
from tests.conftest import token_client

pytestmark = pytest.mark.django_db(transaction=True)

FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco"
    xmlns:gmx="http://www.isotc211.org/2005/gmx" xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:gml="http://www.opengis.net/gml">
  <gmd:fileIdentifier><gco:CharacterString>{identifier}</gco:CharacterString></gmd:fileIdentifier>
  <gmd:hierarchyLevel><gmd:MD_ScopeCode codeList="x" codeListValue="series"/></gmd:hierarchyLevel>
  <gmd:contact><gmd:CI_ResponsibleParty>
    <gmd:organisationName><gco:CharacterString>DREAL Centre-Val de Loire</gco:CharacterString></gmd:organisationName>
    <gmd:contactInfo><gmd:CI_Contact><gmd:address><gmd:CI_Address><gmd:electronicMailAddress>
      <gco:CharacterString>sig.dreal@example.gouv.fr</gco:CharacterString>
    </gmd:electronicMailAddress></gmd:CI_Address></gmd:address></gmd:CI_Contact></gmd:contactInfo>
    <gmd:role><gmd:CI_RoleCode codeList="x" codeListValue="pointOfContact"/></gmd:role>
  </gmd:CI_ResponsibleParty></gmd:contact>
  <gmd:identificationInfo><gmd:MD_DataIdentification>
    <gmd:citation><gmd:CI_Citation>
      <gmd:title><gco:CharacterString>{title}</gco:CharacterString></gmd:title>
      <gmd:date><gmd:CI_Date><gmd:date><gco:DateTime>2018-05-04T00:00:00</gco:DateTime></gmd:date>
        <gmd:dateType><gmd:CI_DateTypeCode codeList="x" codeListValue="creation"/></gmd:dateType></gmd:CI_Date>
          </gmd:date>
    </gmd:CI_Citation></gmd:citation>
    <gmd:abstract><gco:CharacterString>Zonages des plans de prévention.</gco:CharacterString></gmd:abstract>
    <gmd:descriptiveKeywords><gmd:MD_Keywords>
      <gmd:keyword><gmx:Anchor xlink:href="https://inspire.ec.europa.eu/theme/nz/">Natural risk zones</gmx:Anchor>
        </gmd:keyword>
      <gmd:keyword><gco:CharacterString>Sols</gco:CharacterString></gmd:keyword>
      <gmd:thesaurusName><gmd:CI_Citation><gmd:title>
        <gco:CharacterString>GEMET - INSPIRE themes, version 1.0</gco:CharacterString></gmd:title>
          </gmd:CI_Citation></gmd:thesaurusName>
    </gmd:MD_Keywords></gmd:descriptiveKeywords>
    <gmd:descriptiveKeywords><gmd:MD_Keywords>
      <gmd:keyword><gco:CharacterString>inondation</gco:CharacterString></gmd:keyword>
      <gmd:thesaurusName><gmd:CI_Citation><gmd:title><gco:CharacterString>GEMET</gco:CharacterString></gmd:title>
        </gmd:CI_Citation></gmd:thesaurusName>
    </gmd:MD_Keywords></gmd:descriptiveKeywords>
    <gmd:descriptiveKeywords><gmd:MD_Keywords>
      <gmd:keyword><gco:CharacterString>PPRI Loire</gco:CharacterString></gmd:keyword>
    </gmd:MD_Keywords></gmd:descriptiveKeywords>
    <gmd:resourceConstraints><gmd:MD_LegalConstraints>
      <gmd:accessConstraints><gmd:MD_RestrictionCode codeList="x" codeListValue="otherRestrictions"/>
        </gmd:accessConstraints>
      <gmd:otherConstraints><gco:CharacterString>Pas de restriction d'accès public</gco:CharacterString>
        </gmd:otherConstraints>
      <gmd:otherConstraints><gco:CharacterString>Licence Ouverte version 2.0</gco:CharacterString>
        </gmd:otherConstraints>
    </gmd:MD_LegalConstraints></gmd:resourceConstraints>
    <gmd:spatialResolution><gmd:MD_Resolution><gmd:distance><gco:Distance uom="km">0.01</gco:Distance>
      </gmd:distance></gmd:MD_Resolution></gmd:spatialResolution>
    <gmd:topicCategory><gmd:MD_TopicCategoryCode>geoscientificInformation</gmd:MD_TopicCategoryCode>
      </gmd:topicCategory>
    <gmd:extent><gmd:EX_Extent>
      <gmd:geographicElement><gmd:EX_GeographicBoundingBox>
        <gmd:westBoundLongitude><gco:Decimal>0.05</gco:Decimal></gmd:westBoundLongitude>
        <gmd:eastBoundLongitude><gco:Decimal>3.13</gco:Decimal></gmd:eastBoundLongitude>
        <gmd:southBoundLatitude><gco:Decimal>46.34</gco:Decimal></gmd:southBoundLatitude>
        <gmd:northBoundLatitude><gco:Decimal>48.94</gco:Decimal></gmd:northBoundLatitude>
      </gmd:EX_GeographicBoundingBox></gmd:geographicElement>
      <gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent><gml:TimePeriod gml:id="t">
        <gml:beginPosition>2015-01-01</gml:beginPosition><gml:endPosition>2020</gml:endPosition>
      </gml:TimePeriod></gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement>
    </gmd:EX_Extent></gmd:extent>
  </gmd:MD_DataIdentification></gmd:identificationInfo>
  <gmd:dataQualityInfo><gmd:DQ_DataQuality>
    <gmd:lineage><gmd:LI_Lineage><gmd:statement>
      <gco:CharacterString>Numérisation des PPR approuvés.</gco:CharacterString></gmd:statement></gmd:LI_Lineage>
        </gmd:lineage>
  </gmd:DQ_DataQuality></gmd:dataQualityInfo>
</gmd:MD_Metadata>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE gmd:MD_Metadata [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco">
<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation><gmd:title>
<gco:CharacterString>&secret;</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:citation>
</gmd:MD_DataIdentification></gmd:identificationInfo></gmd:MD_Metadata>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd">&lol3;</gmd:MD_Metadata>"""

WRONG_ROOT = b"""<?xml version="1.0"?>
<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"/>"""


def foreign(title: str = "Plans de prévention des risques", identifier: str = "fr-120066022-ppr-45") -> bytes:
    return FOREIGN.format(title=title, identifier=identifier).encode()


def test_round_trip_gives_the_same_record(organisations, keywords, producer_a):  # noqa: F811
    original = full_record(organisations["a"], keywords)
    original.refresh_from_db()
    blank = Dataset.objects.create(title="À remplir", organisation=organisations["a"])

    copy = iso19139.import_record(iso19139.export(original), user=producer_a, dataset=blank)

    assert copy.pk == blank.pk and copy.uuid == blank.uuid  # the target keeps its own identifier
    for field in iso19139.IMPORTED_FIELDS:
        assert getattr(copy, field) == getattr(original, field), field
    assert set(copy.keywords.all()) == set(original.keywords.all())
    parties = {(p.contact.email, p.role, p.for_metadata) for p in copy.parties.select_related("contact")}
    assert parties == {(p.contact.email, p.role, p.for_metadata) for p in original.parties.select_related("contact")}
    # Same person, same body: the contacts are reused, not copied.
    assert {p.contact_id for p in copy.parties.all()} == {p.contact_id for p in original.parties.all()}
    assert [link.url for link in copy.extra_links.all()] == ["https://example.org/zh.zip"]
    revision = RecordRevision.objects.get(dataset=copy, source="iso_import")
    assert revision.author == producer_a
    assert revision.changes["title"] == ["À remplir", "Zones humides du Loiret"]


def test_a_foreign_record_is_understood(organisations, keywords, producer_a):  # noqa: F811
    dataset = iso19139.import_record(foreign(), user=producer_a, organisation=organisations["a"])

    assert dataset.organisation == organisations["a"] and dataset.created_by == producer_a and not dataset.public
    assert dataset.title == "Plans de prévention des risques"
    assert dataset.resource_type == "series"
    assert str(dataset.data_created) == "2018-05-04"
    by_thesaurus = {(k.thesaurus, k.code) for k in dataset.keywords.all()}
    assert {("inspire_theme", "nz"), ("inspire_theme", "so"), ("gemet", "flood")} <= by_thesaurus
    assert ("iso_topic", "geoscientificInformation") in by_thesaurus
    assert ("free", "ppri-loire") in by_thesaurus
    assert dataset.access_constraint == "noLimitations"
    assert dataset.licence == "lo-2.0"
    assert dataset.resolution_m == pytest.approx(10.0)
    assert dataset.bbox_wgs84 == [0.05, 46.34, 3.13, 48.94]
    assert (str(dataset.temporal_start), str(dataset.temporal_end)) == ("2015-01-01", "2020-01-01")
    assert dataset.lineage == "Numérisation des PPR approuvés."
    contact = dataset.parties.get(for_metadata=True).contact
    assert (contact.organisation_name, contact.email) == ("DREAL Centre-Val de Loire", "sig.dreal@example.gouv.fr")
    # A fileIdentifier that is no UUID cannot be ours: the record gets a fresh one.
    assert dataset.uuid and str(dataset.uuid) != "fr-120066022-ppr-45"
    assert RecordRevision.objects.filter(dataset=dataset, source="iso_import").count() == 1


def test_hostile_links_and_impossible_numbers_are_dropped(organisations, keywords, producer_a):  # noqa: F811
    """javascript: links would be stored XSS on the record page; NaN or out-of-range boxes break search and DCAT."""
    distribution = (
        "<gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions><gmd:MD_DigitalTransferOptions>"
        + "".join(
            f"<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{url}</gmd:URL></gmd:linkage>"
            f"<gmd:name><gco:CharacterString>{name}</gco:CharacterString></gmd:name></gmd:CI_OnlineResource></gmd:onLine>"
            for url, name in [
                ("javascript:alert(1)", "piège"),
                ("data:text/html,x", "piège 2"),
                ("https://example.org/doc.pdf", "Notice"),
            ]
        )
        + "</gmd:MD_DigitalTransferOptions></gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>"
    )
    document = (
        foreign()
        .decode()
        .replace("<gco:Decimal>0.05</gco:Decimal>", "<gco:Decimal>NaN</gco:Decimal>")
        .replace("<gmd:dataQualityInfo>", distribution + "<gmd:dataQualityInfo>")
    )
    dataset = iso19139.import_record(document.encode(), user=producer_a, organisation=organisations["a"])
    assert [link.url for link in dataset.extra_links.all()] == ["https://example.org/doc.pdf"]
    assert dataset.bbox_wgs84 is None


def test_a_new_uuid_is_kept_and_a_known_one_updates_its_record(organisations, keywords, producer_a):  # noqa: F811
    identifier = str(uuid.uuid4())
    created = iso19139.import_record(foreign(identifier=identifier), user=producer_a, organisation=organisations["a"])
    assert str(created.uuid) == identifier

    again = iso19139.import_record(
        foreign("Titre corrigé", identifier=identifier), user=producer_a, organisation=organisations["a"]
    )

    assert again.pk == created.pk and again.title == "Titre corrigé"
    assert Dataset.objects.filter(uuid=identifier).count() == 1


@pytest.mark.parametrize(
    "document, code",
    [
        (XXE, "xml_doctype_forbidden"),
        (LAUGHS, "xml_doctype_forbidden"),
        (
            XXE.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16"),
            "xml_doctype_forbidden",
        ),
        (WRONG_ROOT, "not_iso19139"),
        (b"<gmd:MD_Metadata", "xml_invalid"),
    ],
    ids=["xxe", "billion-laughs", "utf16-doctype", "wrong-root", "not-well-formed"],
)
def test_hostile_or_wrong_documents_are_refused(organisations, producer_a, document, code):
    with pytest.raises(iso19139.IsoImportError) as refused:
        iso19139.import_record(document, user=producer_a, organisation=organisations["a"])
    assert refused.value.code == code
    assert "root:" not in refused.value.message
    assert not Dataset.objects.exists()


def test_api_creates_reads_and_updates_a_record(client, organisations, keywords, producer_a):  # noqa: F811
    api = token_client(producer_a)

    created = api.post(
        "/api/v1/datasets/iso19139/?organisation=commune-a", data=foreign(), content_type="application/xml"
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["title"] == "Plans de prévention des risques" and body["organisation"] == "commune-a"
    assert body["links"]["iso19139"] == f"http://testserver/api/v1/datasets/{body['id']}/iso19139.xml"
    xml = api.get(body["links"]["iso19139"], HTTP_ACCEPT="application/xml")
    assert xml.status_code == 200 and xml["Content-Type"].startswith("application/xml")
    root = etree.fromstring(xml.content)
    assert root.findtext(".//gmd:citation//gmd:title/gco:CharacterString", namespaces=NS) == body["title"]
    client.force_login(producer_a)
    page_xml = client.get(f"/donnees/{body['id']}/iso19139.xml")
    assert page_xml.content == xml.content and "filename=" in page_xml["Content-Disposition"]

    document = xml.content.replace(b"Plans de pr\xc3\xa9vention des risques", b"PPR du Loiret")
    updated = api.put(body["links"]["iso19139"], data=document, content_type="application/xml")

    assert updated.status_code == 200, updated.content
    assert updated.json()["title"] == "PPR du Loiret" and updated.json()["id"] == body["id"]
    assert Dataset.objects.get(pk=body["id"]).revisions.filter(source="iso_import").count() == 2


def test_api_errors_are_json_with_a_stable_code(organisations, producer_a, reader):
    api = token_client(producer_a)
    refused = api.post("/api/v1/datasets/iso19139/", data=XXE, content_type="application/xml")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "xml_doctype_forbidden"
    wrong = api.post("/api/v1/datasets/iso19139/", data=WRONG_ROOT, content_type="text/xml")
    assert wrong.json()["error"]["code"] == "not_iso19139"
    empty = api.post("/api/v1/datasets/iso19139/", data=b"", content_type="application/xml")
    assert empty.json()["error"]["code"] == "xml_missing"
    not_producer = token_client(reader).post(
        "/api/v1/datasets/iso19139/", data=foreign(), content_type="application/xml"
    )
    assert not_producer.status_code == 403 and not Dataset.objects.exists()


def test_page_creates_then_updates_a_record(client, organisations, keywords, producer_a):  # noqa: F811
    client.force_login(producer_a)
    assert client.get("/donnees/importer-fiche/").status_code == 200

    response = client.post(
        "/donnees/importer-fiche/",
        {"file": SimpleUploadedFile("ppr.xml", foreign(), "application/xml"), "organisation": organisations["a"].pk},
    )

    dataset = Dataset.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/donnees/{dataset.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert f"/donnees/{dataset.pk}/iso19139.xml" in detail and "Télécharger la fiche ISO 19139 (XML)" in detail
    assert f"/donnees/importer-fiche/?dataset={dataset.pk}" in detail

    response = client.post(
        f"/donnees/importer-fiche/?dataset={dataset.pk}",
        {"file": SimpleUploadedFile("ppr.xml", foreign("PPR révisés"), "application/xml"), "dataset": dataset.pk},
    )
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.title == "PPR révisés"

    refused = client.post("/donnees/importer-fiche/", {"file": SimpleUploadedFile("x.xml", WRONG_ROOT)})
    assert refused.status_code == 400
    assert "doit être gmd:MD_Metadata" in refused.content.decode()


def test_nobody_overwrites_a_record_they_may_not_edit(client, organisations, keywords, producer_a, producer_b):  # noqa: F811
    private = full_record(organisations["a"], keywords, public=False)
    document = iso19139.export(private)
    api_b = token_client(producer_b)

    assert (
        api_b.put(
            f"/api/v1/datasets/{private.pk}/iso19139.xml", data=document, content_type="application/xml"
        ).status_code
        == 404
    )
    # Its fileIdentifier names A's record: B may not create nor update through it.
    taken = api_b.post("/api/v1/datasets/iso19139/", data=document, content_type="application/xml")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "identifier_taken"
    assert private.title not in taken.content.decode()
    with pytest.raises(iso19139.IsoImportError) as refused:
        iso19139.import_record(document, user=producer_b, organisation=organisations["b"])
    assert refused.value.code == "identifier_taken"
    own = Dataset.objects.create(title="Fiche de B", organisation=organisations["b"])
    with pytest.raises(iso19139.IsoImportError):
        iso19139.import_record(document, user=producer_b, dataset=own)
    client.force_login(producer_b)
    assert client.get(f"/donnees/importer-fiche/?dataset={private.pk}").status_code == 404
    page = client.post(
        "/donnees/importer-fiche/",
        {"file": SimpleUploadedFile("a.xml", document), "organisation": organisations["b"].pk},
    )
    assert page.status_code == 400 and "que vous ne pouvez pas modifier" in page.content.decode()
    private.refresh_from_db()
    assert private.title == "Zones humides du Loiret" and Dataset.objects.count() == 2


def test_private_record_xml_is_not_found_for_outsiders(client, api_client, organisations, keywords, reader):  # noqa: F811
    private = full_record(organisations["a"], keywords, public=False)
    assert client.get(f"/donnees/{private.pk}/iso19139.xml").status_code == 404
    assert api_client.get(f"/api/v1/datasets/{private.pk}/iso19139.xml").status_code == 404
    assert token_client(reader).get(f"/api/v1/datasets/{private.pk}/iso19139.xml").status_code == 404
    Dataset.objects.filter(pk=private.pk).update(public=True)
    assert api_client.get(f"/api/v1/datasets/{private.pk}/iso19139.xml").status_code == 200
    # The document is XML only.
    assert api_client.get(f"/api/v1/datasets/{private.pk}/iso19139.json").status_code == 404
