"""DCAT-AP export: the public catalogue and each record pass the DCAT-AP 3.0 shapes, leave private records out, page
the way harvesters follow, and each dataset page carries its schema.org description."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.utils import timezone
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS

from catalogue import thesauri
from catalogue.models import Contact, Dataset, DatasetLink, Keyword, ResponsibleParty
from tests.conftest import import_now
from tests.sample_data import shapefile_zip

pytestmark = pytest.mark.django_db(transaction=True)

DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
SHAPES_DIR = Path(__file__).parent / "shacl" / "dcat-ap-3.0.0"
FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}


def _shapes() -> Graph:
    shapes = Graph()
    for name in ("shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl"):
        shapes.parse(SHAPES_DIR / name, format="turtle")
    return shapes


def assert_conforms(graph: Graph) -> None:
    # inference="none": the export types every node the range shapes check (sh:class), so no entailment is needed,
    # and RDFS inference would need the DCAT and DCMI ontologies, which pyshacl would have to fetch. The vocabulary
    # shapes flag non-EU themes (INSPIRE themes) and blank-node publishers as warnings: only violations fail.
    conforms, _, report = validate(
        graph, shacl_graph=_shapes(), inference="none", allow_warnings=True, do_owl_imports=False
    )
    assert conforms, report


def _keyword(thesaurus: str, code: str) -> Keyword:
    thesauri.load()  # transactional tests flush what migration 0007 loads
    return Keyword.objects.get(thesaurus=thesaurus, code=code)


@pytest.fixture
def records(organisations, producer_a, tmp_path):
    """Public records of every shape the export handles, and one private record."""
    org = organisations["a"]
    minimal = Dataset.objects.create(title="Fiche minimale", organisation=org, public=True)
    full = Dataset.objects.create(
        title="Cours d'eau du Cher",
        abstract="Tronçons hydrographiques du département.",
        organisation=org,
        public=True,
        published_at=timezone.now(),
        lineage="Digitalisé sur l'orthophotographie 2024.",
        resolution_m=2.5,
        scale_denominator=5000,
        temporal_start=datetime.date(2020, 1, 1),
        temporal_end=datetime.date(2024, 12, 31),
        data_created=datetime.date(2020, 3, 1),
        update_frequency=Dataset.Frequency.ANNUALLY,
        licence=Dataset.Licence.CC_BY,
        conformity_degree=Dataset.Conformity.CONFORMANT,
        bbox_wgs84=[1.9, 46.4, 3.1, 47.6],
        srid=2154,
    )
    full.keywords.set(
        [
            _keyword("inspire_theme", "hy"),
            _keyword("iso_topic", "inlandWaters"),
            _keyword("gemet", "river"),
            Keyword.objects.create(thesaurus="free", code="peche", label="pêche"),
        ]
    )
    contact = Contact.objects.create(
        name="Marie Durand", organisation_name="DDT du Cher", email="marie.durand@example.org", phone="02 48 00 00 00"
    )
    ResponsibleParty.objects.create(dataset=full, contact=contact, role=ResponsibleParty.Role.POINT_OF_CONTACT)
    ResponsibleParty.objects.create(dataset=full, contact=contact, role=ResponsibleParty.Role.AUTHOR)
    ResponsibleParty.objects.create(dataset=full, contact=contact, role="pointOfContact", for_metadata=True)
    DatasetLink.objects.create(
        dataset=full, url="https://data.example.org/cours-eau.zip", name="Archive", protocol="WWW:DOWNLOAD-1.0-http"
    )
    DatasetLink.objects.create(
        dataset=full, url="https://geo.example.org/wms", name="WMS de la DDT", protocol="OGC:WMS"
    )
    odbl = Dataset.objects.create(
        title="Bornes de recharge", organisation=organisations["b"], public=True, licence=Dataset.Licence.ODBL
    )
    odbl.keywords.set([_keyword("inspire_theme", "er"), _keyword("gemet", "energy")])
    cc0 = Dataset.objects.create(title="Arbres remarquables", organisation=org, public=True, licence="cc0-1.0")
    other_url = Dataset.objects.create(
        title="Licence par adresse",
        organisation=org,
        public=True,
        licence=Dataset.Licence.OTHER,
        licence_other="https://example.org/licence-locale",
    )
    other_text = Dataset.objects.create(
        title="Licence en clair",
        organisation=org,
        public=True,
        licence=Dataset.Licence.OTHER,
        licence_other="Réutilisation libre avec mention de la source",
        access_constraint=Dataset.AccessConstraint.ARTICLE_13_1_E,
    )
    series = Dataset.objects.create(
        title="Orthophotographies 2000-2024", organisation=org, public=True, resource_type="series"
    )
    service = Dataset.objects.create(title="Service de cartes", organisation=org, public=True, resource_type="service")
    job = import_now(producer_a, org, shapefile_zip(tmp_path), "Parcelles importées")
    vector = job.dataset
    vector.public = True
    vector.save()
    private = Dataset.objects.create(title="Fiche confidentielle", organisation=org, public=False)
    return {
        "minimal": minimal,
        "full": full,
        "odbl": odbl,
        "cc0": cc0,
        "other_url": other_url,
        "other_text": other_text,
        "series": series,
        "service": service,
        "vector": vector,
        "private": private,
    }


def _graph(client, url: str, fmt: str = "ttl") -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return Graph().parse(data=response.content, format=FORMATS[fmt])


def _node(graph: Graph, dataset: Dataset) -> URIRef:
    return graph.value(predicate=DCTERMS.identifier, object=Literal(str(dataset.uuid)))


def test_public_catalogue_conforms_to_dcat_ap_3(client, records):
    graph = _graph(client, "/dcat/catalog.ttl")
    assert_conforms(graph)
    catalog = graph.value(predicate=RDF.type, object=DCAT.Catalog)
    listed = set(graph.objects(catalog, DCAT.dataset))
    public = [d for name, d in records.items() if name != "private"]
    assert listed == {_node(graph, d) for d in public} and None not in listed
    assert graph.value(graph.value(catalog, DCTERMS.publisher), FOAF.name)


@pytest.mark.parametrize("name", ["minimal", "full", "series", "service", "vector", "other_text"])
def test_each_record_conforms_on_its_own(client, records, name):
    dataset = records[name]
    assert_conforms(_graph(client, f"/donnees/{dataset.pk}/dcat.ttl"))


def test_full_record_maps_its_elements(client, records, settings):
    full = records["full"]
    graph = _graph(client, f"/donnees/{full.pk}/dcat.ttl")
    node = _node(graph, full)
    assert str(node) == f"{settings.SITE_URL}/donnees/{full.pk}/#dataset"
    assert graph.value(node, DCTERMS.title) == Literal("Cours d'eau du Cher", lang="fr")
    assert graph.value(node, DCAT.landingPage) == URIRef(f"{settings.SITE_URL}/donnees/{full.pk}/")
    assert graph.value(node, DCTERMS.accrualPeriodicity) == URIRef(f"{EU}frequency/ANNUAL")
    assert graph.value(node, DCTERMS.accessRights) == URIRef(f"{EU}access-right/PUBLIC")
    assert graph.value(node, DCTERMS.language) == URIRef(f"{EU}language/FRA")
    themes = set(graph.objects(node, DCAT.theme))
    assert {URIRef("http://inspire.ec.europa.eu/theme/hy"), URIRef(f"{EU}data-theme/ENVI")} <= themes
    assert {str(k) for k in graph.objects(node, DCAT.keyword)} == {"Hydrographie", "cours d'eau", "pêche"}
    contact = graph.value(node, DCAT.contactPoint)
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:marie.durand@example.org")
    assert graph.value(graph.value(node, DCTERMS.creator), FOAF.name)
    bbox = graph.value(graph.value(node, DCTERMS.spatial), DCAT.bbox)
    assert str(bbox.datatype) == "http://www.opengis.net/ont/geosparql#wktLiteral"
    assert str(bbox) == "POLYGON((1.9 46.4,3.1 46.4,3.1 47.6,1.9 47.6,1.9 46.4))"
    period = graph.value(node, DCTERMS.temporal)
    assert graph.value(period, DCAT.startDate).toPython() == datetime.date(2020, 1, 1)
    assert graph.value(period, DCAT.endDate).toPython() == datetime.date(2024, 12, 31)
    assert "orthophotographie" in str(graph.value(graph.value(node, DCTERMS.provenance), RDFS.label))
    assert float(graph.value(node, DCAT.spatialResolutionInMeters)) == 2.5
    conforms_to = set(graph.objects(node, DCTERMS.conformsTo))
    assert URIRef("http://data.europa.eu/eli/reg/2010/1089") in conforms_to
    assert URIRef("http://www.opengis.net/def/crs/EPSG/0/2154") in conforms_to
    distributions = {str(graph.value(d, DCAT.accessURL)): d for d in graph.objects(node, DCAT.distribution)}
    iso = distributions[f"{settings.SITE_URL}/donnees/{full.pk}/iso19139.xml"]
    assert graph.value(iso, DCTERMS.format) == URIRef(f"{EU}file-type/XML")
    archive = distributions["https://data.example.org/cours-eau.zip"]
    assert graph.value(archive, DCAT.downloadURL) == URIRef("https://data.example.org/cours-eau.zip")
    assert graph.value(archive, DCTERMS.format) == URIRef(f"{EU}file-type/ZIP")
    assert graph.value(distributions["https://geo.example.org/wms"], DCTERMS.format) == URIRef(
        f"{EU}file-type/WMS_SRVC"
    )
    for distribution in distributions.values():
        assert graph.value(distribution, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
        assert graph.value(distribution, DCTERMS.title)


def test_licences_types_and_services(client, records, settings):
    graph = _graph(client, "/dcat/catalog.ttl")

    def licences(name: str) -> set:
        node = _node(graph, records[name])
        return {graph.value(d, DCTERMS.license) for d in graph.objects(node, DCAT.distribution)}

    assert licences("minimal") == {URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")}
    assert licences("odbl") == {URIRef("https://opendatacommons.org/licenses/odbl/1-0/")}
    assert licences("cc0") == {URIRef("https://creativecommons.org/publicdomain/zero/1.0/")}
    assert licences("other_url") == {URIRef("https://example.org/licence-locale")}
    (text_licence,) = licences("other_text")
    assert "mention de la source" in str(graph.value(text_licence, RDFS.label))
    restricted = _node(graph, records["other_text"])
    assert graph.value(restricted, DCTERMS.accessRights) == URIRef(f"{EU}access-right/RESTRICTED")
    for name in ("series", "service"):
        kind = graph.value(_node(graph, records[name]), DCTERMS.type)
        assert kind == URIRef(f"http://inspire.ec.europa.eu/metadata-codelist/ResourceType/{name}")
        assert (kind, SKOS.prefLabel, None) in graph
    assert graph.value(_node(graph, records["minimal"]), DCTERMS.type) is None
    vector = records["vector"]
    formats = {graph.value(d, DCTERMS.format) for d in graph.objects(_node(graph, vector), DCAT.distribution)}
    assert {URIRef(f"{EU}file-type/WMS_SRVC"), URIRef(f"{EU}file-type/WFS_SRVC")} <= formats
    urls = {str(graph.value(d, DCAT.accessURL)) for d in graph.objects(_node(graph, vector), DCAT.distribution)}
    assert f"{settings.SITE_URL}/ows/dataset/{vector.pk}?SERVICE=WFS&REQUEST=GetCapabilities" in urls
    assert graph.value(_node(graph, vector), DCTERMS.spatial) is not None


def test_private_record_never_appears(client, records, producer_a):
    private = records["private"]
    for fmt in FORMATS:
        response = client.get(f"/dcat/catalog.{fmt}")
        assert response.status_code == 200
        assert private.title.encode() not in response.content
        assert str(private.uuid).encode() not in response.content
        assert f"/donnees/{private.pk}/".encode() not in response.content
        assert client.get(f"/donnees/{private.pk}/dcat.{fmt}").status_code == 404
    client.force_login(producer_a)
    assert private.title.encode() not in client.get("/dcat/catalog.ttl").content
    assert client.get(f"/donnees/{private.pk}/dcat.ttl").status_code == 200


def test_three_serialisations_say_the_same(client, records, settings):
    graphs = {}
    for fmt, content_type in [
        ("ttl", "text/turtle"),
        ("rdf", "application/rdf+xml"),
        ("jsonld", "application/ld+json"),
    ]:
        response = client.get(f"/dcat/catalog.{fmt}")
        assert response["Content-Type"].split(";")[0] == content_type
        graph = Graph().parse(data=response.content, format=FORMATS[fmt])
        # Each format's paging links point at pages of the same format: compare the catalogue itself.
        graph.remove((URIRef(f"{settings.SITE_URL}/dcat/catalog.{fmt}?page=1"), None, None))
        graphs[fmt] = graph
    assert len(graphs["ttl"]) > 100
    assert isomorphic(graphs["ttl"], graphs["jsonld"])
    assert isomorphic(graphs["ttl"], graphs["rdf"])
    full = records["full"]
    single = client.get(f"/donnees/{full.pk}/dcat.jsonld")
    assert single["Content-Type"].startswith("application/ld+json")
    assert _node(Graph().parse(data=single.content, format="json-ld"), full) is not None


def test_catalogue_pages_as_harvesters_follow_them(client, organisations, settings):
    settings.DCAT_PAGE_SIZE = 2
    created = [
        Dataset.objects.create(title=f"Fiche {i}", organisation=organisations["a"], public=True) for i in range(6)
    ]
    Dataset.objects.create(title="Fiche privée", organisation=organisations["a"], public=False)
    seen, url, pages = [], "/dcat/catalog.ttl", 0
    while url:
        graph = _graph(client, url.removeprefix(settings.SITE_URL))
        pages += 1
        view = graph.value(predicate=RDF.type, object=HYDRA.PagedCollection)
        assert (view, RDF.type, HYDRA.PartialCollectionView) in graph
        assert int(graph.value(view, HYDRA.totalItems)) == 6
        assert graph.value(view, HYDRA.lastPage) == URIRef(f"{settings.SITE_URL}/dcat/catalog.ttl?page=3")
        assert graph.value(view, HYDRA.firstPage) == URIRef(f"{settings.SITE_URL}/dcat/catalog.ttl?page=1")
        assert graph.value(view, HYDRA.next) == graph.value(view, HYDRA.nextPage)
        seen += [str(v) for v in graph.objects(None, DCTERMS.identifier)]
        assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 2
        url = graph.value(view, HYDRA.nextPage)
        url = str(url) if url else None
        assert pages <= 3
    assert pages == 3
    assert sorted(seen) == sorted(str(d.uuid) for d in created)
    assert client.get("/dcat/catalog.ttl?page=4").status_code == 404
    assert client.get("/dcat/catalog.ttl?page=x").status_code == 404
    jsonld = Graph().parse(data=client.get("/dcat/catalog.jsonld?page=2").content, format="json-ld")
    view = jsonld.value(predicate=RDF.type, object=HYDRA.PagedCollection)
    assert jsonld.value(view, HYDRA.nextPage) == URIRef(f"{settings.SITE_URL}/dcat/catalog.jsonld?page=3")
    assert jsonld.value(view, HYDRA.previousPage) == URIRef(f"{settings.SITE_URL}/dcat/catalog.jsonld?page=1")


def test_a_page_costs_the_same_queries_whatever_its_size(client, organisations):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/dcat/catalog.ttl").status_code == 200
        return len(captured)

    contact = Contact.objects.create(organisation_name="DDT", email="ddt@example.org")

    def add(count: int) -> None:
        for i in range(count):
            record = Dataset.objects.create(title=f"Fiche {i}", organisation=organisations["a"], public=True)
            record.keywords.set([_keyword("inspire_theme", "hy")])
            ResponsibleParty.objects.create(dataset=record, contact=contact)
            DatasetLink.objects.create(dataset=record, url=f"https://example.org/{i}.csv", name="CSV")

    add(2)
    queries()  # the first call also creates the platform settings row
    few = queries()
    add(8)
    assert queries() == few


def test_api_links_to_the_record_turtle(records, api_client):
    full = records["full"]
    links = api_client.get(f"/api/v1/datasets/{full.pk}/").json()["links"]
    assert links["dcat"] == f"http://testserver/donnees/{full.pk}/dcat.ttl"
    response = api_client.get(links["dcat"])
    assert response["Content-Type"].startswith("text/turtle")


def _json_ld(page: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)]


def test_dataset_page_embeds_schema_org(client, records, settings):
    full = records["full"]
    (description,) = _json_ld(client.get(f"/donnees/{full.pk}/").content.decode())
    assert description["@type"] == "Dataset" and description["name"] == full.title
    assert description["url"] == f"{settings.SITE_URL}/donnees/{full.pk}/"
    assert description["identifier"] == str(full.uuid)
    assert description["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert description["spatialCoverage"]["geo"]["box"] == "46.4 1.9 47.6 3.1"
    assert description["temporalCoverage"] == "2020-01-01/2024-12-31"
    assert description["publisher"]["name"] == "Commune A"
    assert "pêche" in description["keywords"]
    downloads = {d["contentUrl"]: d["encodingFormat"] for d in description["distribution"]}
    assert downloads["https://data.example.org/cours-eau.zip"] == "application/zip"
    assert downloads[f"{settings.SITE_URL}/donnees/{full.pk}/iso19139.xml"] == "application/xml"
    assert "https://geo.example.org/wms" not in downloads
    assert description["isAccessibleForFree"] is True


def test_a_title_cannot_close_the_json_ld_script(client, organisations):
    title = 'Routes </script><script>alert("x")</script> <!-- & co'
    dataset = Dataset.objects.create(title=title, organisation=organisations["a"], public=True)
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert "<script>alert" not in page
    (description,) = _json_ld(page)
    assert description["name"] == title
