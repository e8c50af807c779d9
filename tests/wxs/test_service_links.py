"""A dataset's page and API record give the addresses of its services, and each address works in a real client."""

import pytest
import requests
from owslib.wfs import WebFeatureService
from owslib.wms import WebMapService
from owslib.wmts import WebMapTileService

from geoplatform.models import ApiToken
from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=2, size=500)), "Carrés")
    dataset = job.dataset
    dataset.public = True
    dataset.save()
    return dataset


def _links(live_server, dataset) -> dict[str, str]:
    response = requests.get(f"{live_server.url}/api/v1/datasets/{dataset.pk}/", timeout=30)
    assert response.status_code == 200, response.text[:300]
    return response.json()["links"]


def test_api_links_open_in_ogc_clients(live_server, dataset):
    links = _links(live_server, dataset)
    layer = dataset.layer_name

    assert layer in WebMapService(links["wms"], version="1.3.0").contents
    feature_types = WebFeatureService(links["wfs"], version="2.0.0").contents
    assert layer in {name.split(":")[-1] for name in feature_types}  # WFS names carry a namespace prefix
    assert layer in WebMapTileService(links["wmts"]).contents

    collection = requests.get(links["ogcapi"], params={"f": "json"}, timeout=30)
    assert collection.status_code == 200, collection.text[:300]
    assert collection.json()["id"] == layer
    items = requests.get(f"{links['ogcapi']}/items", params={"f": "json"}, timeout=30).json()
    assert items["numberMatched"] == 2


def test_the_dataset_page_lists_its_services_with_qgis_help(client, dataset):
    page = client.get(dataset.get_absolute_url()).content.decode()
    for key in ("wms", "wfs", "wmts", "ogcapi"):
        assert f'data-service="{key}"' in page
    assert f"/wmts/dataset/{dataset.pk}/" in page
    assert f"/ogcapi/collections/{dataset.layer_name}" in page
    assert "Utiliser dans QGIS" in page
    assert "clé d'accès personnelle" not in page  # public data need no key


def test_a_private_dataset_page_explains_keys_and_its_links_work_with_one(live_server, client, dataset, producer_a):
    dataset.public = False
    dataset.save()
    client.force_login(producer_a)
    page = client.get(dataset.get_absolute_url()).content.decode()
    assert "clé d'accès personnelle" in page

    key = ApiToken.issue(producer_a, "QGIS")[1]
    wms = f"{live_server.url}/ows/dataset/{dataset.pk}?key={key}"
    assert dataset.layer_name in WebMapService(wms, version="1.3.0").contents
    anonymous = requests.get(f"{live_server.url}/api/v1/datasets/{dataset.pk}/", timeout=30)
    assert anonymous.status_code == 404
