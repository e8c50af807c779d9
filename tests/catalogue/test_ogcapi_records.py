"""OGC API Records at /ogcapi/: pygeoapi serving the catalogue, read by OWSLib (a real client) and plain HTTP.

Only what anonymous visitors may see is ever served: a private record is absent from lists and counts, its URL
answers 404, and it appears once it is made public.
"""

import uuid

import pytest
import requests
import yaml
from django.conf import settings
from django.core.management import call_command
from owslib.ogcapi.records import Records

from catalogue.models import Dataset, Keyword
from geoplatform import statistics
from geoplatform.models import UsageCount

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = "/ogcapi/collections/catalogue/items"


@pytest.fixture
def records(organisations):
    wetland = Keyword.objects.get_or_create(
        thesaurus=Keyword.Thesaurus.INSPIRE_THEME,
        code="hy",
        defaults={"label": "Hydrographie", "label_en": "Hydrography", "uri": "http://inspire.ec.europa.eu/theme/hy"},
    )[0]
    a, b = organisations["a"], organisations["b"]
    wetlands = Dataset.objects.create(
        title="Zones humides du Cher",
        abstract="Inventaire départemental des zones humides.",
        organisation=a,
        public=True,
        bbox_wgs84=[1.9, 46.4, 3.1, 47.6],
    )
    wetlands.keywords.add(wetland)
    roads = Dataset.objects.create(
        title="Routes départementales du Loiret",
        abstract="Réseau routier géré par le département.",
        organisation=b,
        public=True,
        bbox_wgs84=[1.5, 47.5, 3.1, 48.3],
    )
    schools = Dataset.objects.create(
        title="Écoles primaires", abstract="Liste des écoles.", organisation=b, public=True, bbox_wgs84=None
    )
    private = Dataset.objects.create(
        title="Captages d'eau potable protégés",
        abstract="Périmètres de protection des captages humides.",
        organisation=a,
        public=False,
        bbox_wgs84=[1.9, 46.4, 3.1, 47.6],
    )
    return {"wetlands": wetlands, "roads": roads, "schools": schools, "private": private}


def _client(live_server) -> Records:
    return Records(f"{live_server.url}/ogcapi/")


def _titles(answer: dict) -> set[str]:
    return {feature["properties"]["title"] for feature in answer["features"]}


def test_landing_page_and_conformance_announce_records(live_server, records):
    client = _client(live_server)
    assert {"conformance", "data"} <= {link["rel"].rsplit("/", 1)[-1] for link in client.links}
    conforms_to = client.conformance()["conformsTo"]
    for part in ("core", "json", "html", "sorting"):
        assert f"http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/{part}" in conforms_to


def test_the_catalogue_is_a_record_collection(live_server, records):
    client = _client(live_server)
    assert client.records() == ["catalogue"]
    collection = client.collection("catalogue")
    assert collection["title"] == "Catalogue"
    assert collection["itemType"] == "record"


def test_items_list_the_public_records_only(live_server, records):
    answer = _client(live_server).collection_items("catalogue", limit=50)
    assert answer["numberMatched"] == 3
    assert _titles(answer) == {"Zones humides du Cher", "Routes départementales du Loiret", "Écoles primaires"}
    assert {feature["id"] for feature in answer["features"]} == {
        str(records[name].uuid) for name in ("wetlands", "roads", "schools")
    }
    raw = requests.get(f"{live_server.url}{ITEMS}", params={"limit": 50}, timeout=10).text
    assert "Captages" not in raw and str(records["private"].uuid) not in raw


def test_full_text_search_ignores_accents_and_plurals(live_server, records):
    client = _client(live_server)
    assert _titles(client.collection_items("catalogue", q="zone humide")) == {"Zones humides du Cher"}
    assert _titles(client.collection_items("catalogue", q="ecole")) == {"Écoles primaires"}
    # The private record's abstract says "humides" too: it is not found.
    assert client.collection_items("catalogue", q="captage")["numberMatched"] == 0


def test_bbox_filter(live_server, records):
    # South of the Loiret roads, within the Cher wetlands.
    answer = _client(live_server).collection_items("catalogue", bbox=[2.0, 46.5, 2.5, 47.0])
    assert _titles(answer) == {"Zones humides du Cher"}
    assert answer["numberMatched"] == 1


def test_datetime_filter_on_the_record_update(live_server, records):
    client = _client(live_server)
    assert client.collection_items("catalogue", datetime_="2000-01-01T00:00:00Z/..")["numberMatched"] == 3
    assert client.collection_items("catalogue", datetime_="../2000-01-01T00:00:00Z")["numberMatched"] == 0


def test_paging_with_limit_and_offset(live_server, records):
    client = _client(live_server)
    pages = [client.collection_items("catalogue", limit=2, offset=offset) for offset in (0, 2)]
    assert [page["numberReturned"] for page in pages] == [2, 1]
    assert all(page["numberMatched"] == 3 for page in pages)
    ids = [feature["id"] for page in pages for feature in page["features"]]
    assert len(set(ids)) == 3
    assert any(link["rel"] == "next" for link in pages[0]["links"])


def test_one_record_by_id(live_server, records):
    record = _client(live_server).collection_item("catalogue", str(records["wetlands"].uuid))
    assert record["id"] == str(records["wetlands"].uuid)
    properties = record["properties"]
    assert properties["title"] == "Zones humides du Cher"
    assert properties["description"] == "Inventaire départemental des zones humides."
    assert properties["organisation"] == "Commune A"
    assert properties["keywords"] == ["Hydrographie"]
    assert properties["themes"][0]["concepts"][0]["id"] == "hy"
    assert "search_vector" not in properties
    assert record["geometry"]["type"] == "Polygon"


def test_private_record_is_unknown_until_made_public(live_server, records):
    private = records["private"]
    url = f"{live_server.url}{ITEMS}/{private.uuid}"
    refused = requests.get(url, timeout=10)
    assert refused.status_code == 404
    assert "Captages" not in refused.text
    # An identifier that is no record at all gets the same answer.
    assert requests.get(f"{live_server.url}{ITEMS}/{uuid.uuid4()}", timeout=10).status_code == 404
    assert requests.get(f"{live_server.url}{ITEMS}/not-a-uuid", timeout=10).status_code == 404

    private.public = True
    private.save()

    assert requests.get(url, timeout=10).json()["properties"]["title"] == "Captages d'eau potable protégés"
    answer = _client(live_server).collection_items("catalogue", limit=50)
    assert answer["numberMatched"] == 4
    assert "Captages d'eau potable protégés" in _titles(answer)


def test_html_pages_list_public_records(live_server, records):
    page = requests.get(f"{live_server.url}{ITEMS}", params={"f": "html"}, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Zones humides du Cher" in page.content.decode() and "Captages" not in page.content.decode()
    record = requests.get(f"{live_server.url}{ITEMS}/{records['roads'].uuid}", params={"f": "html"}, timeout=10)
    assert "Routes départementales du Loiret" in record.content.decode()
    assert requests.get(f"{live_server.url}/ogcapi/static/css/default.css", timeout=10).status_code == 200


def test_queryables_name_the_record_properties(live_server, records):
    queryables = _client(live_server).collection_queryables("catalogue")["properties"]
    assert {"title", "description", "keywords", "type", "updated"} <= set(queryables)
    assert queryables["keywords"]["type"] == "array"
    assert "search_vector" not in queryables


def test_an_unsupported_format_is_refused_without_data(live_server, records):
    answer = requests.get(f"{live_server.url}{ITEMS}", params={"f": "csv"}, timeout=10)
    assert answer.status_code == 400
    assert "Zones humides" not in answer.text


@pytest.fixture
def usage_counters():
    statistics.reset()

    def clean() -> None:
        client = statistics.redis_client()
        keys = list(client.scan_iter(statistics.redis_key("*")))
        if keys:
            client.delete(*keys)

    clean()
    yield
    clean()
    statistics.reset()


def test_a_record_fetched_by_id_is_counted_on_its_dataset(client, records, usage_counters):
    client.get(f"{ITEMS}/{records['wetlands'].uuid}")
    client.get(f"{ITEMS}/{records['private'].uuid}")
    client.get(ITEMS)
    statistics.flush()
    counts = UsageCount.objects.filter(kind=UsageCount.Kind.OGC)
    assert list(counts.values_list("dataset__title", "service", "count")) == [
        ("Zones humides du Cher", "OGC API Records", 1)
    ]


def test_config_command_prints_the_validated_configuration(capsys, organisations):
    call_command("pygeoapi_config")
    config = yaml.safe_load(capsys.readouterr().out)
    assert config["server"]["url"] == settings.SITE_URL + "/ogcapi"
    assert config["server"]["languages"][0].startswith("fr")
    provider = config["resources"]["catalogue"]["providers"][0]
    assert provider["type"] == "record"
    assert provider["table"] == "catalogue_ogcapi_record"
    assert provider["data"]["password"] == "********"
