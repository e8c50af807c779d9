"""`/api/v1/datasets/<id>/style/`: read the default style (JSON, SLD), replace it (JSON with computed classes, SLD)."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares
from wxs.models import Style

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=4, size=500)), "Grille")
    return job.dataset


def _client(user=None) -> APIClient:
    client = APIClient()
    if user:
        client.force_authenticate(user)
    return client


def test_put_json_computes_the_classes_and_get_reads_them_back(grid, producer_a):
    client = _client(producer_a)
    url = f"/api/v1/datasets/{grid.pk}/style/"
    assert client.get(url).json()["saved"] is False
    body = {"name": "Codes", "kind": "graduated", "definition": {"attribute": "code", "method": "equal", "count": 3}}
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    classes = response.json()["definition"]["classes"]
    assert [(c["min"], c["max"]) for c in classes] == [(0, 1), (1, 2), (2, 3)]
    assert Style.objects.get(dataset=grid, is_default=True).name == "Codes"
    sld = client.get(url, {"format": "sld", "version": "1.1.0"})
    assert sld.status_code == 200 and b"PropertyIsLessThanOrEqualTo" in sld.content


def test_put_sld_body(grid, producer_a):
    client = _client(producer_a)
    url = f"/api/v1/datasets/{grid.pk}/style/"
    document = client.get(url, {"format": "sld"}).content.replace(b"#5691d4", b"#00ff00")
    response = client.put(url + "?name=Vert", document, content_type="application/vnd.ogc.sld+xml")
    assert response.status_code == 200, response.content
    assert response.json()["kind"] == "sld" and Style.objects.get(is_default=True).name == "Vert"
    assert "#00ff00" in Style.objects.get(is_default=True).engine_classes


def test_bad_json_gets_a_french_error(grid, producer_a):
    response = _client(producer_a).put(
        f"/api/v1/datasets/{grid.pk}/style/",
        {"kind": "single", "definition": {"symbol": {"fill": "rouge"}}},
        format="json",
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_colour"


def test_others_cannot_replace_the_style(grid, producer_b):
    url = f"/api/v1/datasets/{grid.pk}/style/"
    assert _client(producer_b).put(url, {"kind": "single"}, format="json").status_code == 404
    assert _client().put(url, {"kind": "single"}, format="json").status_code in (401, 403)
    assert _client().get(url).status_code == 404  # private dataset
    assert not Style.objects.exists()
