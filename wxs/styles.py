"""Layer styles: what a layer looks like in every service (WMS, tiles, legends, the dataset page, the viewer).

`mapfile_classes(dataset)` is what the mapfile generator inserts in the dataset's LAYER block.
"""

from catalogue.models import Dataset

# The default style of each geometry family.
DEFAULT_STYLES = {
    "point": 'SYMBOL "circle" SIZE 8 COLOR 214 96 32 OUTLINECOLOR 90 40 10 WIDTH 1',
    "line": "COLOR 29 79 145 WIDTH 2",
    "polygon": "COLOR 86 145 212 OPACITY 55 OUTLINECOLOR 20 60 120 WIDTH 1",
}


def mapfile_classes(dataset: Dataset) -> str:
    """The CLASS blocks (and any LAYER-level LABELITEM/CLASSITEM/scale lines) of a vector dataset's layer."""
    from wxs.mapserver.mapfiles import _quote, family

    return f"""    CLASS
      NAME {_quote(dataset.title)}
      STYLE {DEFAULT_STYLES[family(dataset.geometry_type)]} END
    END"""
