"""ISO 19139 export: every kind of record validates offline against the gmd/gmx/srv schemas pycsw ships, and says
what harvesters (Géocatalogue, GeoNetwork) read: identifier, INSPIRE themes, extent, constraints, conformity."""

import datetime
import glob
from functools import cache

import pytest
from django.conf import settings
from lxml import etree

from catalogue import iso19139, thesauri
from catalogue.models import Contact, Dataset, DatasetLink, Keyword, ResponsibleParty
from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)

NS = iso19139.NS


@cache
def iso_schema() -> etree.XMLSchema:
    """gmd and gmx 2007-04-17 with srv 2006-05-04 (the only srv pycsw ships), loaded from disk, no network."""
    found = glob.glob(
        str(
            settings.BASE_DIR
            / ".venv-pycsw/lib/python3.*/site-packages/pycsw/plugins/profiles/apiso/schemas/ogc/iso/19139"
        )
    )
    assert found, "pycsw's ISO 19139 schemas are missing: run scripts/install.sh"
    base = found[0]
    wrapper = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x-test:iso19139">
      <xs:import namespace="{NS["gmd"]}" schemaLocation="file://{base}/20070417/gmd/gmd.xsd"/>
      <xs:import namespace="{NS["gmx"]}" schemaLocation="file://{base}/20070417/gmx/gmx.xsd"/>
      <xs:import namespace="{NS["srv"]}" schemaLocation="file://{base}/20060504/srv/srv.xsd"/>
    </xs:schema>"""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser, base_url=f"file://{base}/"))


def assert_valid(document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    schema = iso_schema()
    assert schema.validate(root), "\n".join(f"{e.line}: {e.message}" for e in schema.error_log)
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    return [node.text if isinstance(node, etree._Element) else str(node) for node in root.xpath(path, namespaces=NS)]


@pytest.fixture
def keywords(db) -> dict[str, Keyword]:
    """The thesauri as migration 0007 loads them (transactional tests flush data migrations away)."""
    thesauri.load()
    return {keyword.code: keyword for keyword in Keyword.objects.exclude(thesaurus=Keyword.Thesaurus.FREE)}


def full_record(organisation, keywords: dict[str, Keyword], **fields) -> Dataset:
    values = {
        "title": "Zones humides du Loiret",
        "abstract": "Inventaire des zones humides effectives, 2019-2023.",
        "organisation": organisation,
        "public": True,
        "lineage": "Photo-interprétation puis vérification terrain.",
        "scale_denominator": 25000,
        "resolution_m": 5.0,
        "temporal_start": datetime.date(2019, 1, 1),
        "temporal_end": datetime.date(2023, 12, 31),
        "data_created": datetime.date(2019, 3, 1),
        "data_revised": datetime.date(2024, 2, 15),
        "update_frequency": Dataset.Frequency.ANNUALLY,
        "licence": Dataset.Licence.ODBL,
        "access_constraint": Dataset.AccessConstraint.ARTICLE_13_1_H,
        "use_constraints": "Citer la source : DDT du Loiret.",
        "conformity_degree": Dataset.Conformity.CONFORMANT,
        "data_format": "GeoPackage",
        "srid": 2154,
        "bbox_wgs84": [1.5, 47.5, 3.1, 48.3],
        "published_at": datetime.datetime(2024, 3, 1, 10, 0, tzinfo=datetime.UTC),
    }
    values.update(fields)
    dataset = Dataset.objects.create(**values)
    dataset.keywords.set([keywords["hy"], keywords["ps"], keywords["wetland"], keywords["inlandWaters"]])
    dataset.keywords.add(Keyword.objects.create(thesaurus="free", code="sage-loiret", label="SAGE Loiret"))
    owner = Contact.objects.create(
        name="Jeanne Martin",
        organisation_name="DDT du Loiret",
        position="Chargée de mission eau",
        email="jeanne.martin@loiret.gouv.fr",
        phone="02 38 00 00 00",
        city="Orléans",
        postal_code="45000",
        organisation=organisation,
    )
    service = Contact.objects.create(organisation_name="SIG régional", email="sig@region.fr")
    ResponsibleParty.objects.create(dataset=dataset, contact=owner, role="owner")
    ResponsibleParty.objects.create(dataset=dataset, contact=owner, role="pointOfContact")
    ResponsibleParty.objects.create(dataset=dataset, contact=service, role="pointOfContact", for_metadata=True)
    DatasetLink.objects.create(
        dataset=dataset, url="https://example.org/zh.zip", name="Archive", protocol="WWW:DOWNLOAD-1.0-http--download"
    )
    return dataset


def test_minimal_record_validates_and_falls_back_on_the_organisation_contact(organisations):
    organisation = organisations["a"]
    organisation.contact_email = "sig@commune-a.fr"
    organisation.save()
    dataset = Dataset.objects.create(title="Fiche vide", organisation=organisation)

    root = assert_valid(iso19139.export(dataset))

    assert texts(root, "gmd:fileIdentifier/gco:CharacterString") == [str(dataset.uuid)]
    assert texts(root, "gmd:hierarchyLevel/gmd:MD_ScopeCode/@codeListValue") == ["dataset"]
    assert texts(root, "gmd:contact//gmd:electronicMailAddress/gco:CharacterString") == ["sig@commune-a.fr"]
    assert texts(root, "gmd:contact//gmd:organisationName/gco:CharacterString") == ["Commune A"]
    # No date yet: said so, rather than an invented one.
    assert root.xpath("//gmd:CI_Citation/gmd:date/@gco:nilReason", namespaces=NS) == ["missing"]
    assert root.xpath("//gmd:DQ_ConformanceResult/gmd:pass/@gco:nilReason", namespaces=NS) == ["unknown"]
    # What refresh() stores for the CSW repository is this very document.
    dataset.refresh_from_db()
    assert dataset.iso_xml == iso19139.export_string(dataset)


def test_full_record_says_what_harvesters_read(organisations, keywords):
    dataset = full_record(organisations["a"], keywords)

    root = assert_valid(iso19139.export(dataset))
    ident = root.find("gmd:identificationInfo/gmd:MD_DataIdentification", NS)

    assert texts(ident, "gmd:citation//gmd:RS_Identifier/gmd:code/gco:CharacterString") == [str(dataset.uuid)]
    assert texts(ident, "gmd:citation//gmd:RS_Identifier/gmd:codeSpace/gco:CharacterString") == [
        settings.SITE_URL + "/"
    ]
    assert sorted(texts(ident, "gmd:citation//gmd:CI_Date/gmd:dateType/*/@codeListValue")) == [
        "creation",
        "publication",
        "revision",
    ]
    inspire = ident.xpath(
        "gmd:descriptiveKeywords/gmd:MD_Keywords[contains(gmd:thesaurusName//gmx:Anchor, 'INSPIRE themes')]",
        namespaces=NS,
    )
    assert len(inspire) == 1
    assert sorted(texts(inspire[0], "gmd:keyword/gmx:Anchor/@xlink:href")) == [
        "http://inspire.ec.europa.eu/theme/hy",
        "http://inspire.ec.europa.eu/theme/ps",
    ]
    assert texts(inspire[0], "gmd:thesaurusName//gco:Date") == ["2008-06-01"]
    gemet = ident.xpath(
        "gmd:descriptiveKeywords/gmd:MD_Keywords[contains(.//gmd:title, 'GEMET - Concepts')]", namespaces=NS
    )
    assert texts(gemet[0], "gmd:keyword/gco:CharacterString") == ["zone humide"]
    free = ident.xpath("gmd:descriptiveKeywords/gmd:MD_Keywords[not(gmd:thesaurusName)]", namespaces=NS)
    assert texts(free[0], "gmd:keyword/gco:CharacterString") == ["SAGE Loiret"]
    assert texts(ident, "gmd:topicCategory/gmd:MD_TopicCategoryCode") == ["inlandWaters"]
    assert sorted(texts(ident, "gmd:pointOfContact//gmd:role/*/@codeListValue")) == ["owner", "pointOfContact"]
    assert texts(root, "gmd:contact//gmd:electronicMailAddress/gco:CharacterString") == ["sig@region.fr"]

    box = ident.find("gmd:extent//gmd:EX_GeographicBoundingBox", NS)
    assert [
        float(box.findtext(f"gmd:{side}/gco:Decimal", namespaces=NS))
        for side in ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")
    ] == [1.5, 47.5, 3.1, 48.3]
    assert texts(ident, "gmd:extent//gml:TimePeriod/gml:beginPosition") == ["2019-01-01"]
    assert texts(ident, "gmd:extent//gml:TimePeriod/gml:endPosition") == ["2023-12-31"]
    assert texts(ident, "gmd:spatialResolution//gco:Integer") == ["25000"]
    assert texts(ident, "gmd:spatialResolution//gco:Distance/@uom") == ["m"]
    assert texts(ident, ".//gmd:maintenanceAndUpdateFrequency/*/@codeListValue") == ["annually"]

    access = texts(
        ident, "gmd:resourceConstraints/*[gmd:accessConstraints]/gmd:otherConstraints/gmx:Anchor/@xlink:href"
    )
    assert access == [
        "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1h"
    ]
    use = ident.xpath("gmd:resourceConstraints/*[gmd:useConstraints]", namespaces=NS)[0]
    assert texts(use, "gmd:otherConstraints/gmx:Anchor/@xlink:href") == [
        "https://opendatacommons.org/licenses/odbl/1-0/"
    ]
    assert texts(use, "gmd:useLimitation/gco:CharacterString") == ["Citer la source : DDT du Loiret."]

    assert texts(root, "gmd:referenceSystemInfo//gmd:code/gmx:Anchor/@xlink:href") == [
        "http://www.opengis.net/def/crs/EPSG/0/2154"
    ]
    assert texts(root, "//gmd:distributionFormat//gmd:name/gco:CharacterString") == ["GeoPackage"]
    assert texts(root, "//gmd:DQ_ConformanceResult/gmd:pass/gco:Boolean") == ["true"]
    assert texts(root, "//gmd:DQ_ConformanceResult//gmd:title/gco:CharacterString")[0].startswith("Règlement (UE)")
    assert texts(root, "//gmd:LI_Lineage/gmd:statement/gco:CharacterString") == [dataset.lineage]
    linkages = texts(root, "//gmd:transferOptions//gmd:linkage/gmd:URL")
    assert linkages == [f"{settings.SITE_URL}/donnees/{dataset.pk}/", "https://example.org/zh.zip"]


def test_labels_stay_french_in_an_english_request(organisations, keywords):
    from django.utils import translation

    dataset = full_record(organisations["a"], keywords, access_constraint=Dataset.AccessConstraint.NONE)
    with translation.override("en"):
        root = etree.fromstring(iso19139.export(dataset))
    assert "pas de restriction d'accès public" in texts(
        root, "//gmd:accessConstraints/../gmd:otherConstraints/gmx:Anchor"
    )


def test_imported_vector_lists_its_services(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=3)), "Parcelles")
    dataset = Dataset.objects.get(pk=job.dataset_id)

    root = assert_valid(iso19139.export(dataset))

    ows = f"{settings.SITE_URL}/ows/dataset/{dataset.pk}"
    online = root.xpath("//gmd:transferOptions//gmd:CI_OnlineResource", namespaces=NS)
    protocols = {r.findtext("gmd:protocol/gco:CharacterString", namespaces=NS): r for r in online}
    assert protocols["OGC:WMS"].findtext("gmd:linkage/gmd:URL", namespaces=NS) == (
        f"{ows}?SERVICE=WMS&REQUEST=GetCapabilities"
    )
    assert protocols["OGC:WFS"].findtext("gmd:linkage/gmd:URL", namespaces=NS) == (
        f"{ows}?SERVICE=WFS&REQUEST=GetCapabilities"
    )
    assert protocols["OGC:WMS"].findtext("gmd:name/gco:CharacterString", namespaces=NS) == dataset.layer_name
    assert texts(root, "gmd:referenceSystemInfo//gmd:code/gmx:Anchor") == ["EPSG:2154"]
    west, east = (
        float(v)
        for v in texts(root, "//gmd:westBoundLongitude/gco:Decimal")
        + texts(root, "//gmd:eastBoundLongitude/gco:Decimal")
    )
    assert west == pytest.approx(dataset.bbox_wgs84[0]) and east == pytest.approx(dataset.bbox_wgs84[2])
    assert 0.5 < west < east < 1.0  # around Tours


def test_metadata_only_series_without_data(organisations, keywords):
    dataset = full_record(
        organisations["b"],
        keywords,
        resource_type=Dataset.ResourceType.SERIES,
        srid=None,
        temporal_end=None,
        data_format="",
        conformity_degree=Dataset.Conformity.NOT_CONFORMANT,
        licence=Dataset.Licence.OTHER,
        licence_other="https://example.org/licence-maison",
    )

    root = assert_valid(iso19139.export(dataset))

    assert texts(root, "gmd:hierarchyLevel/*/@codeListValue") == ["series"]
    assert not root.findall("gmd:referenceSystemInfo", NS)
    assert texts(root, "//gml:TimePeriod/gml:endPosition/@indeterminatePosition") == ["now"]
    assert root.xpath("//gmd:distributionFormat//gmd:name/@gco:nilReason", namespaces=NS) == ["unknown"]
    assert texts(root, "//gmd:DQ_ConformanceResult/gmd:pass/gco:Boolean") == ["false"]
    assert "https://example.org/licence-maison" in texts(
        root, "//gmd:useConstraints/../gmd:otherConstraints/gmx:Anchor"
    )
    assert not root.xpath("//gmd:transferOptions//gmd:protocol[gco:CharacterString='OGC:WMS']", namespaces=NS)


def test_service_is_described_as_a_service(organisations, keywords):
    dataset = full_record(organisations["a"], keywords, resource_type=Dataset.ResourceType.SERVICE)
    DatasetLink.objects.create(
        dataset=dataset,
        url="https://geo.example.org/wms?SERVICE=WMS&REQUEST=GetCapabilities",
        name="WMS",
        protocol="OGC:WMS",
    )

    root = assert_valid(iso19139.export(dataset))

    service = root.find("gmd:identificationInfo/srv:SV_ServiceIdentification", NS)
    assert service is not None
    assert texts(service, "srv:serviceType/gco:LocalName") == ["view"]
    assert texts(service, ".//gmd:keyword/gco:CharacterString")[-1] == "infoMapAccessService"
    assert texts(service, "srv:containsOperations//gmd:URL") == [
        "https://geo.example.org/wms?SERVICE=WMS&REQUEST=GetCapabilities"
    ]
    assert texts(root, "//gmd:DQ_Scope/gmd:level/*/@codeListValue") == ["service"]
    assert not root.findall(".//gmd:LI_Lineage", NS)


def test_export_is_fast_enough_to_run_on_every_save(organisations, keywords):
    import time

    dataset = full_record(organisations["a"], keywords)
    dataset = (
        Dataset.objects.select_related("organisation")
        .prefetch_related("keywords", "parties__contact")
        .get(pk=dataset.pk)
    )
    start = time.perf_counter()
    for _ in range(20):
        iso19139.export_string(dataset)
    assert (time.perf_counter() - start) / 20 < 0.02
