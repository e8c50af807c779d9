"""OWS Context GeoJSON (OGC 14-055r2): what a map is saved as, exported and imported."""

import json

import pytest
from django.utils import timezone

from catalogue.models import Dataset
from viewer import owscontext
from viewer.owscontext import ContextError


def _external(title="Plan IGN", href="https://data.geopf.fr/wms-r?SERVICE=WMS&REQUEST=GetMap&LAYERS=PLAN"):
    return {
        "type": "Feature",
        "id": "urn:layer:plan",
        "geometry": None,
        "properties": {
            "title": title,
            "active": False,
            "folder": " Fonds / IGN ",
            "gp:opacity": 0.4,
            "offerings": [
                {
                    "code": "http://www.opengis.net/spec/owc-geojson/1.0/req/wms",
                    "operations": [{"code": "GetMap", "method": "GET", "type": "image/png", "href": href}],
                }
            ],
        },
    }


def _own(pk=12, title="Arbres"):
    dataset = Dataset(pk=pk, title=title, kind=Dataset.Kind.VECTOR, bbox_wgs84=[1.0, 47.0, 1.5, 47.5])
    dataset.updated_at = timezone.now()
    return owscontext.dataset_resource(dataset, "classes", folder="Nature", opacity=0.8)


def test_round_trip_keeps_order_groups_opacity_visibility_styles_and_filters():
    own = _own()
    own["properties"]["gp:filter"] = {"attribute": "espece", "operator": "=", "value": "chêne"}
    context = owscontext.new_context("Ma carte", [own, _external()], bbox=[0.5, 46.5, 2.5, 48.0], subtitle="Démo")

    exported = json.dumps(context)
    again = owscontext.parse(exported.encode())

    assert again == context
    assert again["properties"]["links"]["profiles"] == [{"href": owscontext.PROFILE}]
    assert [f["properties"]["title"] for f in again["features"]] == ["Arbres", "Plan IGN"]  # first = top
    arbres, plan = again["features"]
    assert arbres["properties"]["gp:dataset"] == 12
    assert arbres["properties"]["folder"] == "/Nature"
    assert arbres["properties"]["gp:opacity"] == 0.8
    assert arbres["properties"]["gp:filter"]["value"] == "chêne"
    assert arbres["properties"]["offerings"][0]["styles"][0]["name"] == "classes"
    assert "STYLES=classes" in arbres["properties"]["offerings"][0]["operations"][1]["href"]
    assert {o["code"].rsplit("/", 1)[1] for o in arbres["properties"]["offerings"]} == {"wms", "wfs"}
    assert plan["properties"]["active"] is False
    assert plan["properties"]["folder"] == "/Fonds/IGN"
    assert plan["properties"]["gp:opacity"] == 0.4
    assert "gp:dataset" not in plan["properties"]
    assert again["bbox"] == [0.5, 46.5, 2.5, 48.0]


def test_unknown_properties_are_not_kept():
    document = owscontext.new_context("Carte", [_external()])
    document["properties"]["<script>"] = "x"
    document["features"][0]["properties"]["onclick"] = "alert(1)"
    cleaned = owscontext.validate(document)
    assert "<script>" not in cleaned["properties"]
    assert "onclick" not in cleaned["features"][0]["properties"]


def test_a_dataset_id_on_a_foreign_service_is_not_taken_for_ours():
    foreign = _external(href="https://autre.example/ows?SERVICE=WMS&REQUEST=GetMap&LAYERS=ds1")
    foreign["properties"]["gp:dataset"] = 1
    context = owscontext.new_context("Carte", [foreign])
    assert "gp:dataset" not in context["features"][0]["properties"]
    assert owscontext.resource_datasets(context) == []


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda d: d.update(type="Feature"), "not_owc"),
        (lambda d: d["properties"].update(links={}), "not_owc"),
        (lambda d: d["properties"].update(title="  "), "title_required"),
        (lambda d: d.update(bbox=[10, 50, 5, 40]), "invalid_bbox"),
        (lambda d: d.update(bbox=[0, 0, float("nan"), 1]), "invalid_bbox"),
        (lambda d: d["features"][0]["properties"].update(offerings=[]), "unsupported_layer"),
        (
            lambda d: d["features"][0]["properties"]["offerings"][0]["operations"][0].update(
                href="javascript:alert(1)"
            ),
            "invalid_address",
        ),
        (
            lambda d: d["features"][0]["properties"].update(
                {"gp:filter": {"attribute": "a; DROP TABLE x", "operator": "=", "value": "1"}}
            ),
            "invalid_filter",
        ),
        (lambda d: d["features"].append(json.loads(json.dumps(d["features"][0]))), "duplicate_layer"),
        (lambda d: d.update(features=[d["features"][0]] * 101), "too_many_layers"),
    ],
)
def test_documents_a_map_cannot_be_made_of_are_refused_with_a_code(mutate, code):
    document = json.loads(json.dumps(owscontext.new_context("Carte", [_external()])))
    mutate(document)
    with pytest.raises(ContextError) as error:
        owscontext.validate(document)
    assert error.value.code == code
    assert error.value.message  # French, for people


def test_files_that_are_not_json_or_too_large_are_refused():
    with pytest.raises(ContextError) as error:
        owscontext.parse(b"\x89PNG not json")
    assert error.value.code == "invalid_json"
    with pytest.raises(ContextError) as error:
        owscontext.parse(b" " * (owscontext.MAX_BYTES + 1))
    assert error.value.code == "context_too_large"
