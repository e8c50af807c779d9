"""SLD 1.0 / 1.1: MapServer writes the SLD of a style and reads an imported one; hostile documents are refused."""

import pytest

from tests.conftest import import_now
from tests.sample_data import shapefile_zip, squares
from wxs import sld, styles
from wxs.models import Style

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path, squares(count=4, size=500)), "Grille")
    return job.dataset


def _categorised(dataset):
    classes = [{"value": "0", "color": "#ff0000", "label": "zéro"}, {"value": "1", "color": "#00ff00", "label": "un"}]
    definition = styles.validate(dataset, "categorised", {"attribute": "code", "classes": classes, "max_scale": 50000})
    Style.objects.create(dataset=dataset, name="codes", kind="categorised", definition=definition, is_default=True)


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_round_trip_keeps_classes_colours_and_scales(grid, version):
    _categorised(grid)
    document = sld.export_sld(grid, version)
    assert f'version="{version}"' in document and "#ff0000" in document and "zéro" in document
    text = sld.import_sld(grid, document)
    assert "MAXSCALEDENOM 50000" in text
    assert text.count("CLASS\n") == 2 or text.count("CLASS") >= 2
    again = sld.export_sld(grid, version, classes=text)
    for expected in ("#ff0000", "#00ff00", "zéro", "un", "code"):
        assert expected in again


def test_imported_sld_drives_the_mapfile(grid):
    _categorised(grid)
    text = sld.import_sld(grid, sld.export_sld(grid, "1.1.0"))
    Style.objects.filter(dataset=grid).update(is_default=False)
    Style.objects.create(dataset=grid, name="importé", kind="sld", engine_classes=text, is_default=True)
    layer = sld._map_from_text(__import__("wxs.mapserver", fromlist=["x"]).mapfile_text(grid)).getLayerByName(
        grid.layer_name
    )
    drawn = [layer.getClass(i) for i in range(layer.numclasses) if layer.getClass(i).group == layer.classgroup]
    assert layer.classgroup == "importé" and len(drawn) == 2  # the previous style stays a named WMS style
    assert drawn[0].getStyle(0).color.toHex().startswith("#ff0000")


ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld"><NamedLayer><Name>&xxe;</Name>
</NamedLayer></StyledLayerDescriptor>"""
REMOTE = b"""<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld"
 xmlns:xlink="http://www.w3.org/1999/xlink"><NamedLayer><Name>x</Name><UserStyle><FeatureTypeStyle><Rule>
<PointSymbolizer><Graphic><ExternalGraphic><OnlineResource xlink:href="http://169.254.169.254/latest"/>
<Format>image/png</Format></ExternalGraphic></Graphic></PointSymbolizer></Rule></FeatureTypeStyle></UserStyle>
</NamedLayer></StyledLayerDescriptor>"""


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (ENTITY, "sld_dtd"),
        (REMOTE, "sld_remote"),
        (b"<a>" * 10, "sld_not_xml"),
        (b"<html/>", "sld_not_sld"),
        (b"<x>" + b" " * (sld.MAX_SLD_BYTES + 1) + b"</x>", "sld_too_big"),
    ],
)
def test_hostile_sld_is_refused(grid, document, code):
    with pytest.raises(styles.StyleError) as error:
        sld.import_sld(grid, document)
    assert error.value.code == code


POINT_SLD = b"""<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc">
<NamedLayer><Name>arbres de QGIS</Name><UserStyle><FeatureTypeStyle><Rule><Name>Arbres</Name>
<PointSymbolizer><Graphic><Mark><WellKnownName>square</WellKnownName><Fill>
<CssParameter name="fill">#ff0000</CssParameter></Fill></Mark><Size>12</Size></Graphic></PointSymbolizer></Rule>
</FeatureTypeStyle></UserStyle></NamedLayer>
</StyledLayerDescriptor>"""


def test_imported_point_marks_are_drawn(client, organisations, producer_a, tmp_path):
    import io

    from PIL import Image

    from tests.sample_data import ORIGIN, geopackage, points

    dataset = import_now(
        producer_a, organisations["a"], geopackage(tmp_path / "a.gpkg", {"arbres": points(3)}), "A"
    ).dataset
    dataset.public = True
    dataset.save()
    text = sld.import_sld(dataset, POINT_SLD)
    assert 'SYMBOL "circle"' in text, "MapServer's own mark names are not in our mapfiles"
    styles.save_style(dataset, "QGIS", "sld", {}, sld=POINT_SLD.decode(), engine_classes=text)
    x, y = ORIGIN
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.1.1",
        "REQUEST": "GetMap",
        "LAYERS": dataset.layer_name,
        "STYLES": "",
        "SRS": "EPSG:2154",
        "BBOX": f"{x - 50},{y - 50},{x + 50},{y + 50}",
        "WIDTH": 100,
        "HEIGHT": 100,
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
    }
    response = client.get(f"/ows/dataset/{dataset.pk}", params)
    pixel = Image.open(io.BytesIO(response.content)).convert("RGBA").getpixel((50, 50))
    assert pixel[0] > 200 and pixel[1] < 60 and pixel[3] > 200, pixel
