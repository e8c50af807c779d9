"""CSW at /csw as QGIS MetaSearch sees it: OWSLib against our endpoint, pycsw behind it, on the test database."""

import pytest
import requests
from django.conf import settings
from lxml import etree
from owslib.catalogue.csw3 import CatalogueServiceWeb as CatalogueServiceWeb30
from owslib.csw import CatalogueServiceWeb
from owslib.fes import BBox, PropertyIsEqualTo, PropertyIsLike

from catalogue import services
from catalogue.models import Dataset, Keyword

pytestmark = pytest.mark.django_db(transaction=True)

GMD = "http://www.isotc211.org/2005/gmd"
OWS = "http://www.opengis.net/ows"


@pytest.fixture
def csw_url(pycsw_server, live_server) -> str:
    return live_server.url + "/csw"


@pytest.fixture
def records(organisations):
    """Two public records (Loire rivers, Sologne forests) and a private one, each with an ISO document."""
    water, _ = Keyword.objects.get_or_create(thesaurus="inspire_theme", code="hy", defaults={"label": "Hydrographie"})
    topic, _ = Keyword.objects.get_or_create(
        thesaurus="iso_topic", code="inlandWaters", defaults={"label": "Eaux intérieures"}
    )
    rivers = Dataset.objects.create(
        title="Rivières de la Loire",
        abstract="Cours d'eau du bassin de la Loire, tronçons hydrographiques.",
        organisation=organisations["a"],
        public=True,
        bbox_wgs84=[0.5, 47.0, 1.5, 47.8],
    )
    rivers.keywords.add(water, topic)
    forests = Dataset.objects.create(
        title="Forêts de Sologne",
        abstract="Massifs forestiers publics.",
        organisation=organisations["b"],
        public=True,
        bbox_wgs84=[1.8, 47.3, 2.4, 47.7],
    )
    secret = Dataset.objects.create(
        title="Captages sensibles confidentiels",
        abstract="Rivières et captages d'eau potable protégés.",
        organisation=organisations["a"],
        public=False,
        bbox_wgs84=[0.6, 47.1, 1.4, 47.6],
    )
    for record in (rivers, forests, secret):
        record.refresh_from_db()
        assert record.iso_xml
    return {"rivers": rivers, "forests": forests, "secret": secret}


def _titles(csw) -> set[str]:
    return {record.title for record in csw.records.values()}


def test_capabilities_name_the_platform_and_carry_inspire_extended_capabilities(csw_url, records):
    csw = CatalogueServiceWeb(csw_url)
    assert csw.identification.title == settings.PLATFORM_NAME
    operations = {op.name for op in csw.operations}
    assert {"GetCapabilities", "DescribeRecord", "GetRecords", "GetRecordById"} <= operations
    assert "Transaction" not in operations
    document = etree.fromstring(csw.response)
    inspire = document.xpath(
        "//inspire_ds:ExtendedCapabilities",
        namespaces={"inspire_ds": "http://inspire.ec.europa.eu/schemas/inspire_ds/1.0"},
    )
    assert inspire
    assert "fre" in etree.tostring(inspire[0]).decode()
    # Every operation is advertised at our endpoint, never at pycsw's own address.
    assert {m["url"].split("?")[0] for op in csw.operations for m in op.methods} == {csw_url}


def test_describe_record(csw_url, records):
    csw = CatalogueServiceWeb(csw_url)
    csw.describerecord(typename="csw:Record")
    assert b"DescribeRecordResponse" in csw.response
    assert b"SchemaComponent" in csw.response


def test_full_text_search_ignores_accents_and_never_finds_private_records(csw_url, records):
    csw = CatalogueServiceWeb(csw_url)
    for text in ("%rivière%", "%riviere%"):
        csw.getrecords2(constraints=[PropertyIsLike("csw:AnyText", text)], esn="full")
        assert _titles(csw) == {"Rivières de la Loire"}
        assert csw.results["matches"] == 1  # the private record also speaks of « rivières »
    csw.getrecords2(constraints=[PropertyIsLike("csw:AnyText", "%captages%")], esn="full")
    assert csw.results["matches"] == 0
    assert csw.records == {}


def test_bbox_filter(csw_url, records):
    csw = CatalogueServiceWeb(csw_url)
    csw.getrecords2(constraints=[BBox([47.4, 2.0, 47.6, 2.2])], esn="brief")  # EPSG:4326, latitude first
    assert _titles(csw) == {"Forêts de Sologne"}
    csw.getrecords2(constraints=[BBox([46.0, -4.0, 46.5, -3.5])], esn="brief")
    assert csw.results["matches"] == 0


def test_property_filters(csw_url, records):
    csw = CatalogueServiceWeb(csw_url)
    csw.getrecords2(constraints=[PropertyIsLike("dc:title", "%Sologne%")], esn="full")
    assert _titles(csw) == {"Forêts de Sologne"}
    csw.getrecords2(constraints=[PropertyIsEqualTo("apiso:OrganisationName", "Commune A")], esn="full")
    assert _titles(csw) == {"Rivières de la Loire"}
    csw.getrecords2(constraints=[PropertyIsEqualTo("apiso:TopicCategory", "inlandWaters")], esn="full")
    assert _titles(csw) == {"Rivières de la Loire"}


def test_paging_counts_only_public_records(csw_url, records):
    csw = CatalogueServiceWeb(csw_url)
    csw.getrecords2(esn="brief", startposition=1, maxrecords=1)
    assert csw.results["matches"] == 2
    assert csw.results["returned"] == 1
    assert csw.results["nextrecord"] == 2
    first = _titles(csw)
    csw.getrecords2(esn="brief", startposition=2, maxrecords=1)
    assert csw.results["returned"] == 1
    assert csw.results["nextrecord"] == 0
    assert first | _titles(csw) == {"Rivières de la Loire", "Forêts de Sologne"}


def test_get_record_by_id_in_dublin_core_and_iso(csw_url, records):
    identifier = str(records["rivers"].uuid)
    csw = CatalogueServiceWeb(csw_url)
    csw.getrecordbyid(id=[identifier])
    record = csw.records[identifier]
    assert record.title == "Rivières de la Loire"
    assert record.abstract.startswith("Cours d'eau")
    assert any(ref["url"].endswith(records["rivers"].get_absolute_url()) for ref in record.references)

    csw.getrecordbyid(id=[identifier], outputschema=GMD)
    iso = csw.records[identifier]
    assert iso.identifier == identifier
    assert iso.identification[0].title == "Rivières de la Loire"


def test_private_record_is_absent_until_published(csw_url, records):
    secret = records["secret"]
    identifier = str(secret.uuid)
    csw = CatalogueServiceWeb(csw_url)
    csw.getrecordbyid(id=[identifier])
    assert csw.records == {}
    assert b"Captages" not in csw.response
    answer = requests.get(
        csw_url,
        params={"service": "CSW", "version": "2.0.2", "request": "GetRecordById", "id": identifier},
        timeout=10,
    )
    assert b"Captages" not in answer.content and identifier.encode() not in answer.content
    csw.getrecords2(esn="brief", maxrecords=50)
    assert csw.results["matches"] == 2

    services.publish(secret)
    csw.getrecordbyid(id=[identifier])
    assert csw.records[identifier].title == "Captages sensibles confidentiels"
    csw.getrecords2(esn="brief", maxrecords=50)
    assert csw.results["matches"] == 3


def test_csw_30(csw_url, records):
    csw = CatalogueServiceWeb30(csw_url)
    assert csw.version == "3.0.0"
    assert csw.identification.title == settings.PLATFORM_NAME
    csw.getrecords(esn="full", maxrecords=10)
    assert csw.results["matches"] == 2
    assert {r.title for r in csw.records.values()} == {"Rivières de la Loire", "Forêts de Sologne"}


def test_csw_30_capabilities_by_version_negotiation(csw_url, records):
    answer = requests.get(
        csw_url, params={"service": "CSW", "version": "3.0.0", "request": "GetCapabilities"}, timeout=10
    )
    assert answer.status_code == 200
    assert b"http://www.opengis.net/cat/csw/3.0" in answer.content
    assert answer.headers["Content-Type"].startswith("application/xml")


def test_post_get_records(csw_url, records):
    body = """<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ogc="http://www.opengis.net/ogc"
    service="CSW" version="2.0.2" resultType="results" maxRecords="10">
  <csw:Query typeNames="csw:Record">
    <csw:ElementSetName>brief</csw:ElementSetName>
    <csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\\">
      <ogc:PropertyName>csw:AnyText</ogc:PropertyName><ogc:Literal>%forêt%</ogc:Literal>
    </ogc:PropertyIsLike></ogc:Filter></csw:Constraint>
  </csw:Query>
</csw:GetRecords>"""
    answer = requests.post(csw_url, data=body.encode(), headers={"Content-Type": "application/xml"}, timeout=10)
    assert answer.status_code == 200
    document = etree.fromstring(answer.content)
    results = document.find("{http://www.opengis.net/cat/csw/2.0.2}SearchResults")
    assert results.get("numberOfRecordsMatched") == "1"
    assert "Forêts de Sologne" in answer.content.decode()


def test_xml_external_entities_are_refused(csw_url, records):
    body = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<csw:GetRecordById xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" version="2.0.2">
  <csw:Id>&xxe;</csw:Id>
</csw:GetRecordById>"""
    answer = requests.post(csw_url, data=body.encode(), headers={"Content-Type": "application/xml"}, timeout=10)
    assert answer.status_code == 400
    assert etree.fromstring(answer.content).tag == f"{{{OWS}}}ExceptionReport"
    assert b"root:" not in answer.content


def test_a_config_parameter_never_reaches_pycsw(csw_url, records):
    answer = requests.get(
        csw_url,
        params={"service": "CSW", "request": "GetCapabilities", "config": "/etc/passwd"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert settings.PLATFORM_NAME in answer.content.decode()
    csw = CatalogueServiceWeb(csw_url)  # a search for the word itself still works
    csw.getrecords2(constraints=[PropertyIsLike("csw:AnyText", "%configuration%")], esn="brief")
    assert csw.results["matches"] == 0


def test_unreachable_pycsw_gives_an_ows_exception(client, settings):
    settings.CSW_URL = "http://127.0.0.1:9/"
    response = client.get("/csw", {"service": "CSW", "request": "GetCapabilities"})
    assert response.status_code == 503
    document = etree.fromstring(response.content)
    exception = document.find(f"{{{OWS}}}Exception")
    assert exception.get("exceptionCode") == "NoApplicableCode"
    assert "127.0.0.1" not in response.content.decode()


def test_public_maps_are_records_of_type_map_with_their_viewer(csw_url, records, producer_a):
    from viewer import owscontext
    from viewer import services as maps

    layer = owscontext.new_context("Carte des rivières", [], bbox=[0.5, 47.0, 1.5, 47.8])
    public = maps.create_map(producer_a, layer, public=True)
    maps.create_map(producer_a, owscontext.new_context("Carte interne des captages", []))
    csw = CatalogueServiceWeb(csw_url)
    csw.getrecords2(constraints=[PropertyIsEqualTo("dc:type", "map")], esn="full")
    assert _titles(csw) == {"Carte des rivières"}
    identifier = str(Dataset.objects.get(pk=public.pk).uuid)
    csw.getrecordbyid(id=[identifier])
    assert any(ref["url"].endswith(f"/cartes/{public.pk}/") for ref in csw.records[identifier].references)
