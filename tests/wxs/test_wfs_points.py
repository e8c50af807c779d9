"""A point layer answers WFS GetFeature in both versions, with every point."""

import json

import pytest

from catalogue.models import Dataset
from tests.conftest import import_now
from tests.sample_data import geopackage, many_points_gpkg, points

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("source", ["small", "generated"])
@pytest.mark.parametrize("version", ["1.1.0", "2.0.0"])
def test_points_come_back_as_geojson(client, organisations, producer_a, tmp_path, version, source):
    if source == "small":
        path = geopackage(tmp_path / "p.gpkg", {"points": points(count=20)})
    else:  # written by GDAL from a CSV
        path = many_points_gpkg(tmp_path / "p.gpkg", 500)
    dataset = import_now(producer_a, organisations["a"], path, "Points").dataset
    Dataset.objects.filter(pk=dataset.pk).update(public=True)
    name = dataset.layer_name if version == "1.1.0" else f"ms:{dataset.layer_name}"
    params = {"SERVICE": "WFS", "VERSION": version, "REQUEST": "GetFeature", "OUTPUTFORMAT": "geojson"}
    params["TYPENAME" if version == "1.1.0" else "TYPENAMES"] = name
    response = client.get(f"/ows/dataset/{dataset.pk}", params)
    assert response.status_code == 200
    features = json.loads(response.getvalue())["features"]
    assert len(features) == (20 if source == "small" else 500)
    assert all(f["geometry"]["type"] == "Point" for f in features)
