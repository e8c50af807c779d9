"""A dataset's default style is what every service draws: class colours where the features are, labels, scales."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.conftest import import_now
from tests.sample_data import ORIGIN, shapefile_zip, squares
from wxs import styles
from wxs.changes import layer_changed
from wxs.models import Style

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid(organisations, producer_a, tmp_path):
    """Four 500 m squares in a row, `code` 0..3 and `surface` 25 (ha) each."""
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=4, size=500)), "Grille")
    dataset = job.dataset
    dataset.public = True
    dataset.save()
    return dataset


def _use(dataset, kind, definition, name="essai"):
    clean = styles.validate(dataset, kind, definition)
    Style.objects.filter(dataset=dataset).delete()
    Style.objects.create(dataset=dataset, name=name, kind=kind, definition=clean, is_default=True)
    layer_changed(dataset)


def _getmap(client, dataset, bbox, width=400, height=100):
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": dataset.layer_name,
        "STYLES": "",
        "CRS": "EPSG:2154",
        "BBOX": ",".join(map(str, bbox)),
        "WIDTH": width,
        "HEIGHT": height,
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
    }
    response = client.get(f"/ows/dataset/{dataset.pk}", params)
    assert response["Content-Type"] == "image/png", response.content[:500]
    return Image.open(io.BytesIO(response.content)).convert("RGBA")


def _square_centre(index, width=400):
    """Pixel at the centre of square `index` in a 4 km x 1 km window starting at ORIGIN."""
    return (int((index * 1000 + 250) / 4000 * width), 75)


ROW = [ORIGIN[0], ORIGIN[1], ORIGIN[0] + 4000, ORIGIN[1] + 1000]


def _close(pixel, colour, tolerance=12):
    expected = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return all(abs(p - e) <= tolerance for p, e in zip(pixel[:3], expected, strict=True)) and pixel[3] > 200


def test_categorised_style_draws_each_value_in_its_colour(client, grid):
    colours = ["#ff0000", "#00ff00", "#0000ff", "#ffff00"]
    classes = [{"value": str(i), "color": c} for i, c in enumerate(colours)]
    _use(grid, "categorised", {"attribute": "code", "classes": classes, "symbol": {"opacity": 100}})
    image = _getmap(client, grid, ROW)
    for index, colour in enumerate(colours):
        pixel = image.getpixel(_square_centre(index))
        assert _close(pixel, colour), f"square {index} should be {colour}, is {pixel}"
    assert image.getpixel((int(750 / 4000 * 400), 25))[3] == 0, "nothing between the squares"


def test_graduated_style_draws_the_classes_computed_from_the_data(client, grid):
    classes = styles.compute_classes(grid, styles.ClassRequest("graduated", "code", "equal", 2, "rouges"))
    assert [(c["min"], c["max"]) for c in classes] == [(0, 1.5), (1.5, 3)]
    _use(grid, "graduated", {"attribute": "code", "method": "equal", "classes": classes, "symbol": {"opacity": 100}})
    image = _getmap(client, grid, ROW)
    low, high = classes[0]["color"], classes[1]["color"]
    assert _close(image.getpixel(_square_centre(0)), low) and _close(image.getpixel(_square_centre(1)), low)
    assert _close(image.getpixel(_square_centre(2)), high) and _close(image.getpixel(_square_centre(3)), high)


def test_breaks_on_known_data(grid):
    # code: 0, 1, 2, 3
    assert styles.equal_breaks(grid, "code", 3) == [0, 1, 2, 3]
    assert styles.quantile_breaks(grid, "code", 2) == [0, 1, 3]  # classes [0, 1] and ]1, 3]: two values each
    assert styles.jenks_breaks(np.array([1, 2, 3, 10, 11, 12, 30, 31]), 3) == [1, 10, 30, 31]
    assert [c["value"] for c in styles.compute_classes(grid, styles.ClassRequest("categorised", "code"))] == [
        "0",
        "1",
        "2",
        "3",
    ]


def test_labels_are_drawn(client, grid):
    _use(
        grid,
        "single",
        {"symbol": {"fill": "#ffffff", "opacity": 100}, "label": {"attribute": "code", "size": 30, "color": "#000000"}},
    )
    image = np.array(_getmap(client, grid, [ORIGIN[0], ORIGIN[1], ORIGIN[0] + 500, ORIGIN[1] + 500], 200, 200))
    dark = (image[:, :, :3].sum(axis=2) < 150) & (image[:, :, 3] > 0)
    assert dark.sum() > 20, "the label text should be drawn inside the square"


def test_scale_limits_are_respected(client, grid):
    _use(grid, "single", {"symbol": {"opacity": 100}, "max_scale": 20000})
    near = _getmap(client, grid, ROW)  # 4 km on 400 px: about 1:35,000
    assert near.getpixel(_square_centre(0))[3] == 0, "beyond the maximum scale nothing is drawn"
    _use(grid, "single", {"symbol": {"opacity": 100}, "max_scale": 100000})
    assert _getmap(client, grid, ROW).getpixel(_square_centre(0))[3] > 0


def test_hostile_values_and_names_are_quoted(grid):
    definition = styles.validate(
        grid,
        "categorised",
        {"attribute": "nom", "classes": [{"value": 'x" END LAYER\n"', "color": "#123456", "label": 'a"\\'}]},
    )
    Style.objects.create(dataset=grid, name="hostile", kind="categorised", definition=definition, is_default=True)
    from wxs.mapserver import mapfile_text
    from wxs.sld import _map_from_text

    layer = _map_from_text(mapfile_text(grid)).getLayerByName(grid.layer_name)
    assert layer.numclasses == 1, "the hostile value must stay inside its string"
    assert layer.getClass(0).name == 'a"\\'
    assert layer.getClass(0).getExpressionString() == '"x" END LAYER ""'


def test_bad_definitions_get_french_errors(grid):
    with pytest.raises(styles.StyleError, match="n'existe pas"):
        styles.validate(grid, "categorised", {"attribute": "absent", "classes": [{"value": 1, "color": "#000000"}]})
    with pytest.raises(styles.StyleError, match="couleur invalide"):
        styles.validate(grid, "single", {"symbol": {"fill": "red; DROP"}})
    with pytest.raises(styles.StyleError, match="numérique"):
        styles.validate(grid, "graduated", {"attribute": "nom", "classes": [{"min": 0, "max": 1, "color": "#000000"}]})


def test_a_style_whose_attribute_disappeared_falls_back_to_the_default(client, grid):
    _use(grid, "categorised", {"attribute": "code", "classes": [{"value": "0", "color": "#ff0000"}]})
    grid.attributes = [a for a in grid.attributes if a["name"] != "code"]  # as a new data version without it
    grid.save()
    layer_changed(grid)
    pixel = _getmap(client, grid, ROW).getpixel(_square_centre(1))
    assert pixel[3] > 0 and pixel[2] > pixel[0], "drawn with the default blue, not refused"
