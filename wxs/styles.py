"""Layer styles: what a layer looks like in every service (WMS, tiles, legends, the dataset page, the viewer).

A style definition is plain JSON (validated by `validate`); `mapfile_classes(dataset)` turns the dataset's default
style into the MapServer text the mapfile generator inserts in the LAYER block. Classes of categorised and graduated
styles are computed from the data in PostGIS (`compute_classes`).
"""

import re
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from psycopg import sql

from catalogue.models import Dataset

# The default style of each geometry family.
DEFAULT_STYLES = {
    "point": 'SYMBOL "circle" SIZE 8 COLOR 214 96 32 OUTLINECOLOR 90 40 10 WIDTH 1',
    "line": "COLOR 29 79 145 WIDTH 2",
    "polygon": "COLOR 86 145 212 OPACITY 55 OUTLINECOLOR 20 60 120 WIDTH 1",
}
DEFAULT_SYMBOL = {
    "point": {"fill": "#d66020", "stroke": "#5a280a", "width": 1, "size": 8, "opacity": 100},
    "line": {"fill": "#1d4f91", "stroke": "#1d4f91", "width": 2, "size": 8, "opacity": 100},
    "polygon": {"fill": "#5691d4", "stroke": "#143c78", "width": 1, "size": 8, "opacity": 55},
}

# ColorBrewer-like ramps (sequential, diverging, qualitative), from light to dark.
RAMPS = {
    "bleus": ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
    "verts": ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"],
    "rouges": ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"],
    "oranges": ["#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"],
    "violets": ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"],
    "jaune-rouge": ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    "rouge-bleu": ["#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6"],
    "qualitative": [
        "#1b9e77",
        "#d95f02",
        "#7570b3",
        "#e7298a",
        "#66a61e",
        "#e6ab02",
        "#a6761d",
        "#666666",
        "#8dd3c7",
        "#fb8072",
        "#80b1d3",
        "#fdb462",
    ],
}
METHODS = ("equal", "quantile", "jenks")
MAX_CATEGORIES = 50
MAX_CLASSES = 12
JENKS_SAMPLE = 3000
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# Attribute names written between brackets in MapServer expressions: no character that could end or escape them.
SAFE_ITEM = re.compile(r"[\w .-]{1,63}")
NUMERIC_TYPES = {"smallint", "integer", "bigint", "numeric", "real", "double precision"}


class StyleError(ValueError):
    """A style definition that cannot be used; `code` is stable, the message is for people (French)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def family(dataset: Dataset) -> str:
    from wxs.mapserver.mapfiles import family as geometry_family

    return geometry_family(dataset.geometry_type or "")


def _quote(value: object) -> str:
    from wxs.mapserver.mapfiles import _quote as quote

    return quote(value)


def _attribute(dataset: Dataset, name: object) -> dict:
    for attribute in dataset.attributes or []:
        if attribute["name"] == name:
            return attribute
    raise StyleError(
        "unknown_attribute", _("L'attribut « %(name)s » n'existe pas dans ce jeu de données.") % {"name": name}
    )


def _colour(value: object, what: str) -> str:
    if not isinstance(value, str) or not HEX_COLOUR.fullmatch(value):
        raise StyleError(
            "bad_colour",
            _("%(what)s : couleur invalide « %(value)s » (attendu : #rrggbb).") % {"what": what, "value": value},
        )
    return value.lower()


def _number(value: object, what: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high:
        raise StyleError(
            "bad_number",
            _("%(what)s : valeur invalide « %(value)s » (entre %(low)s et %(high)s).")
            % {"what": what, "value": value, "low": low, "high": high},
        )
    return number


def _symbol(raw: object, default: dict) -> dict:
    raw = raw if isinstance(raw, dict) else {}
    merged = {**default, **{k: v for k, v in raw.items() if v not in (None, "")}}
    return {
        "fill": _colour(merged["fill"], _("Couleur de remplissage")),
        "stroke": _colour(merged["stroke"], _("Couleur du contour")),
        "width": _number(merged["width"], _("Épaisseur"), 0, 50),
        "size": _number(merged["size"], _("Taille"), 1, 100),
        "opacity": int(_number(merged["opacity"], _("Opacité"), 0, 100)),
    }


def validate(dataset: Dataset, kind: str, definition: dict) -> dict:
    """The definition cleaned and completed, or StyleError with a French message."""
    if not isinstance(definition, dict):
        raise StyleError("bad_definition", _("La définition du style doit être un objet JSON."))
    symbol = _symbol(definition.get("symbol"), DEFAULT_SYMBOL[family(dataset)])
    clean: dict = {"symbol": symbol}
    if kind in ("categorised", "graduated"):
        attribute = _attribute(dataset, definition.get("attribute"))
        clean["attribute"] = attribute["name"]
        ramp = definition.get("ramp") or ("qualitative" if kind == "categorised" else "bleus")
        if ramp not in RAMPS:
            raise StyleError("unknown_ramp", _("Palette de couleurs inconnue : « %(ramp)s ».") % {"ramp": ramp})
        clean["ramp"] = ramp
        classes = definition.get("classes") or []
        if not isinstance(classes, list) or not classes:
            raise StyleError("no_classes", _("Le style n'a aucune classe : calculez les classes."))
        if kind == "categorised":
            if len(classes) > MAX_CATEGORIES:
                raise StyleError("too_many_classes", _("Trop de catégories (%(n)s au plus).") % {"n": MAX_CATEGORIES})
            clean["classes"] = [
                {
                    "value": str(item.get("value", "")),
                    "color": _colour(item.get("color"), _("Couleur de classe")),
                    "label": str(item.get("label") or item.get("value", ""))[:200],
                }
                for item in classes
            ]
        else:
            if attribute["type"] not in NUMERIC_TYPES:
                raise StyleError(
                    "not_numeric",
                    _("Un style gradué demande un attribut numérique (« %(name)s » ne l'est pas).")
                    % {"name": attribute["name"]},
                )
            if not SAFE_ITEM.fullmatch(attribute["name"]):
                raise StyleError(
                    "unsafe_attribute",
                    _("Le nom d'attribut « %(name)s » contient des caractères non pris en charge pour un style gradué.")
                    % {"name": attribute["name"]},
                )
            method = definition.get("method") or "equal"
            if method not in METHODS:
                raise StyleError("unknown_method", _("Méthode de classification inconnue : « %(m)s ».") % {"m": method})
            clean["method"] = method
            if len(classes) > MAX_CLASSES:
                raise StyleError("too_many_classes", _("Trop de classes (%(n)s au plus).") % {"n": MAX_CLASSES})
            clean["classes"] = []
            for item in classes:
                low = _number(item.get("min"), _("Borne inférieure"), -1e300, 1e300)
                high = _number(item.get("max"), _("Borne supérieure"), -1e300, 1e300)
                if high < low:
                    raise StyleError("bad_bounds", _("Une classe a une borne supérieure plus petite que l'inférieure."))
                colour = _colour(item.get("color"), _("Couleur de classe"))
                label = str(item.get("label") or f"{_format(low)} – {_format(high)}")[:200]
                clean["classes"].append({"min": low, "max": high, "color": colour, "label": label})
    elif kind != "single":
        raise StyleError("unknown_kind", _("Type de style inconnu : « %(kind)s ».") % {"kind": kind})
    label = definition.get("label") or {}
    if isinstance(label, dict) and label.get("attribute"):
        clean["label"] = {
            "attribute": _attribute(dataset, label["attribute"])["name"],
            "size": _number(label.get("size", 9), _("Taille des étiquettes"), 4, 72),
            "color": _colour(label.get("color", "#000000"), _("Couleur des étiquettes")),
        }
    for key, what in (("min_scale", _("Échelle minimale")), ("max_scale", _("Échelle maximale"))):
        if definition.get(key) not in (None, ""):
            clean[key] = int(_number(definition[key], what, 1, 1e9))
    if clean.get("min_scale") and clean.get("max_scale") and clean["min_scale"] >= clean["max_scale"]:
        raise StyleError("bad_scales", _("Le dénominateur d'échelle minimal doit être plus petit que le maximal."))
    return clean


def _format(number: float) -> str:
    return f"{number:.6g}"


def _rgb(colour: str) -> str:
    return f"{int(colour[1:3], 16)} {int(colour[3:5], 16)} {int(colour[5:7], 16)}"


def _style_lines(kind: str, symbol: dict, fill: str | None = None) -> str:
    fill = fill or symbol["fill"]
    width = _format(symbol["width"])
    opacity = int(symbol["opacity"])
    if kind == "point":
        return (
            f'SYMBOL "circle" SIZE {_format(symbol["size"])} COLOR {_rgb(fill)} '
            f"OUTLINECOLOR {_rgb(symbol['stroke'])} WIDTH {width} OPACITY {opacity}"
        )
    if kind == "line":
        return f"COLOR {_rgb(fill)} WIDTH {width} OPACITY {opacity}"
    return f"COLOR {_rgb(fill)} OPACITY {opacity} OUTLINECOLOR {_rgb(symbol['stroke'])} WIDTH {width}"


def _label_block(label: dict | None) -> str:
    if not label:
        return ""
    return (
        f"\n      LABEL SIZE {_format(label['size'])} COLOR {_rgb(label['color'])} OUTLINECOLOR 255 255 255 "
        "OUTLINEWIDTH 2 POSITION AUTO PARTIALS FALSE END"
    )


def _class(name: str, style: str, label: dict | None, expression: str = "") -> str:
    expression = f"\n      EXPRESSION {expression}" if expression else ""
    return f"""    CLASS
      NAME {_quote(name)}{expression}
      STYLE {style} END{_label_block(label)}
    END"""


def _string_literal(value: str) -> str:
    """A string of a MapServer logical expression: backslash and double quote escaped, on one line."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
    return f'"{text}"'


def _item(name: str) -> str:
    """`[name]` for a MapServer expression or text; names that could end or escape the brackets are refused."""
    if not SAFE_ITEM.fullmatch(name):
        raise StyleError(
            "unsafe_attribute",
            _("Le nom d'attribut « %(name)s » contient des caractères non pris en charge.") % {"name": name},
        )
    return f"[{name}]"


def group_classes(dataset: Dataset, kind: str, definition: dict, group: str) -> str:
    """A validated definition as CLASS blocks of one WMS style (CLASS GROUP `group`) sharing the LAYER with others.

    Nothing may be LAYER-level here (the layer holds every style): scale limits go in each class, labels take
    their text from the class, and categories compare the attribute in the class expression instead of CLASSITEM.
    """
    geometry = family(dataset)
    symbol = definition["symbol"]
    label = definition.get("label")
    extra = []
    if definition.get("min_scale"):
        extra.append(f"MINSCALEDENOM {int(definition['min_scale'])}")
    if definition.get("max_scale"):
        extra.append(f"MAXSCALEDENOM {int(definition['max_scale'])}")
    if label:
        extra.append(f'TEXT "{_item(label["attribute"])}"')
    entries: list[tuple[str, str, str]] = []
    if kind == "categorised":
        item = _item(definition["attribute"])
        for entry in definition["classes"]:
            expression = f'("{item}" = {_string_literal(entry["value"])})'
            entries.append((entry["label"], _style_lines(geometry, symbol, entry["color"]), expression))
    elif kind == "graduated":
        item = _item(definition["attribute"])
        for index, bounds in enumerate(definition["classes"]):
            lower = ">=" if index == 0 else ">"
            expression = f"({item} {lower} {bounds['min']!r} AND {item} <= {bounds['max']!r})"
            entries.append((bounds["label"], _style_lines(geometry, symbol, bounds["color"]), expression))
    else:
        entries.append((dataset.title, _style_lines(geometry, symbol), ""))
    blocks = []
    for name, style, expression in entries:
        lines = [f"      NAME {_quote(name)}", f"      GROUP {_quote(group)}"]
        lines += [f"      {line}" for line in extra]
        if expression:
            lines.append(f"      EXPRESSION {expression}")
        lines.append(f"      STYLE {style} END{_label_block(label)}")
        blocks.append("    CLASS\n" + "\n".join(lines) + "\n    END")
    return "\n".join(blocks)


def _with_group(text: str, group: str) -> str:
    """Mapfile classes put in CLASS GROUP `group` (a GROUP line opens each CLASS block)."""
    grouped = []
    for line in text.splitlines():
        grouped.append(line)
        if line.strip() == "CLASS":
            grouped.append(f"{line[: len(line) - len(line.lstrip())]}  GROUP {_quote(group)}")
    return "\n".join(grouped)


def _grouped_sld_classes(style, group: str) -> str:
    """An imported SLD's classes as a WMS style beside the default: only when they need no LAYER-level line."""
    text = style.engine_classes.strip("\n")
    if not text.lstrip().startswith("CLASS"):
        raise StyleError("sld_layer_lines", _("Ce style SLD ne peut pas être proposé à côté d'autres styles."))
    return _with_group(text, group)


def definition_classes(dataset: Dataset, kind: str, definition: dict) -> str:
    """MapServer text of a validated definition: LAYER-level lines, then the CLASS blocks."""
    geometry = family(dataset)
    symbol = definition["symbol"]
    label = definition.get("label")
    lines = []
    if definition.get("min_scale"):
        lines.append(f"    MINSCALEDENOM {int(definition['min_scale'])}")
    if definition.get("max_scale"):
        lines.append(f"    MAXSCALEDENOM {int(definition['max_scale'])}")
    if label:
        lines.append(f"    LABELITEM {_quote(label['attribute'])}")
    if kind == "categorised":
        lines.append(f"    CLASSITEM {_quote(definition['attribute'])}")
        for item in definition["classes"]:
            # A quoted EXPRESSION compares CLASSITEM's value as a string: nothing in it is interpreted.
            style = _style_lines(geometry, symbol, item["color"])
            lines.append(_class(item["label"], style, label, _quote(item["value"])))
    elif kind == "graduated":
        item = f"[{definition['attribute']}]"  # SAFE_ITEM-checked: no bracket, quote or backslash
        for index, bounds in enumerate(definition["classes"]):
            # low < value <= high (as QGIS does; a quantile break belongs to the class below), the first keeps its low
            lower = ">=" if index == 0 else ">"
            expression = f"({item} {lower} {bounds['min']!r} AND {item} <= {bounds['max']!r})"
            lines.append(_class(bounds["label"], _style_lines(geometry, symbol, bounds["color"]), label, expression))
    else:
        lines.append(_class(dataset.title, _style_lines(geometry, symbol), label))
    return "\n".join(lines)


def default_style(dataset: Dataset):
    from wxs.models import Style

    return Style.objects.filter(dataset=dataset, is_default=True).first()


def style_classes(dataset: Dataset, style) -> str:
    if style.kind == "sld":
        return style.engine_classes
    # Validated again: new data may have dropped the attribute, and a broken LAYER would refuse every request.
    return definition_classes(dataset, style.kind, validate(dataset, style.kind, style.definition))


def mapfile_classes(dataset: Dataset) -> str:
    """The CLASS blocks (and any LAYER-level LABELITEM/CLASSITEM/scale lines) of the dataset's default style."""
    style = default_style(dataset) if dataset.pk else None
    if style is not None:
        try:
            return style_classes(dataset, style)
        except StyleError:
            pass  # the geometry type's default until the producer fixes the style
    return f"""    CLASS
      NAME {_quote(dataset.title)}
      STYLE {DEFAULT_STYLES[family(dataset)]} END
    END"""


def layer_classes(dataset: Dataset) -> str:
    """What the LAYER block of a vector dataset draws with: its default style, and each other style as a WMS style.

    A dataset with one style gets `mapfile_classes` as it is. With several, each style is a CLASS GROUP named like
    the style and `CLASSGROUP` picks the default: a WMS request with STYLES empty (tiles, thumbnails, the dataset
    page) draws the default, `STYLES=<name>` (GetMap) or `STYLE=<name>` (GetLegendGraphic) another one, and the
    capabilities list them all with their legend. The default keeps its LAYER-level lines (scale limits, CLASSITEM,
    LABELITEM); the other styles are written without any (`group_classes`), and one that cannot be is left out.
    """
    from wxs.models import Style

    others = list(Style.objects.filter(dataset=dataset, is_default=False).order_by("name")) if dataset.pk else []
    if not others:
        return mapfile_classes(dataset)
    default = default_style(dataset)
    default_name = default.name if default is not None else "default"
    groups = [_with_group(mapfile_classes(dataset), default_name)]
    for style in others:
        try:
            if style.kind == "sld":
                groups.append(_grouped_sld_classes(style, style.name))
            else:
                definition = validate(dataset, style.kind, style.definition)
                groups.append(group_classes(dataset, style.kind, definition, style.name))
        except StyleError:
            continue  # not offered until the producer fixes it; the other styles still are
    return f"    CLASSGROUP {_quote(default_name)}\n" + "\n".join(groups)


# Class computation from the data ---------------------------------------------------------------------------------


def ramp_colours(ramp: str, count: int) -> list[str]:
    """`count` colours along a named ramp (qualitative ramps cycle, the others are interpolated)."""
    stops = RAMPS[ramp]
    if ramp == "qualitative":
        return [stops[i % len(stops)] for i in range(count)]
    if count == 1:
        return [stops[-1]]
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in stops], dtype=float)
    positions = np.linspace(0, len(stops) - 1, count)
    colours = []
    for position in positions:
        low = int(np.floor(position))
        high = min(low + 1, len(stops) - 1)
        mix = rgb[low] + (rgb[high] - rgb[low]) * (position - low)
        colours.append("#" + "".join(f"{int(round(v)):02x}" for v in mix))
    return colours


def _table(dataset: Dataset) -> sql.Composable:
    return sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name)


def distinct_values(dataset: Dataset, attribute: str, limit: int = MAX_CATEGORIES) -> list[str]:
    query = sql.SQL("SELECT DISTINCT {c}::text FROM {t} WHERE {c} IS NOT NULL ORDER BY 1 LIMIT %s").format(
        c=sql.Identifier(attribute), t=_table(dataset)
    )
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), [limit + 1])
        values = [row[0] for row in cursor.fetchall()]
    if len(values) > limit:
        raise StyleError(
            "too_many_classes",
            _("L'attribut « %(name)s » a plus de %(n)s valeurs distinctes : choisissez un style gradué.")
            % {"name": attribute, "n": limit},
        )
    return values


def _numbers(dataset: Dataset, attribute: str, sample: int | None = None) -> np.ndarray:
    column = sql.Identifier(attribute)
    query = sql.SQL("SELECT {c}::double precision FROM {t} WHERE {c} IS NOT NULL").format(c=column, t=_table(dataset))
    params: list = []
    if sample:
        # Deterministic sample: every n-th value in fid order.
        query = sql.SQL(
            "SELECT v FROM (SELECT {c}::double precision AS v, row_number() OVER (ORDER BY fid) AS n, "
            "count(*) OVER () AS total FROM {t} WHERE {c} IS NOT NULL) AS s "
            "WHERE total <= %s OR n %% GREATEST(total / %s, 1) = 0"
        ).format(c=column, t=_table(dataset))
        params = [sample, sample]
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), params)
        return np.array([row[0] for row in cursor.fetchall()], dtype=float)


def equal_breaks(dataset: Dataset, attribute: str, count: int) -> list[float]:
    query = sql.SQL("SELECT min({c})::double precision, max({c})::double precision FROM {t}").format(
        c=sql.Identifier(attribute), t=_table(dataset)
    )
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection))
        low, high = cursor.fetchone()
    if low is None:
        raise StyleError("no_values", _("L'attribut « %(name)s » n'a aucune valeur.") % {"name": attribute})
    step = (high - low) / count
    return [low + step * i for i in range(count)] + [high]


def quantile_breaks(dataset: Dataset, attribute: str, count: int) -> list[float]:
    fractions = [i / count for i in range(count + 1)]
    query = sql.SQL(
        "SELECT percentile_disc(%s::double precision[]) WITHIN GROUP (ORDER BY {c}::double precision) FROM {t}"
    ).format(c=sql.Identifier(attribute), t=_table(dataset))
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), [fractions])
        (breaks,) = cursor.fetchone()
    if not breaks or breaks[0] is None:
        raise StyleError("no_values", _("L'attribut « %(name)s » n'a aucune valeur.") % {"name": attribute})
    return _unique(breaks)


def jenks_breaks(values: np.ndarray, count: int) -> list[float]:
    """Fisher-Jenks natural breaks (exact, dynamic programming on the sorted values, vectorised per step)."""
    data = np.sort(values)
    n = len(data)
    if n == 0:
        raise StyleError("no_values", _("L'attribut n'a aucune valeur."))
    count = min(count, len(np.unique(data)))
    if count <= 1:
        return [float(data[0]), float(data[-1])]
    sums = np.concatenate([[0.0], np.cumsum(data)])
    squares = np.concatenate([[0.0], np.cumsum(data * data)])

    def cost(starts: np.ndarray, end: int) -> np.ndarray:  # squared deviations of data[starts:end]
        size = end - starts
        total = sums[end] - sums[starts]
        return squares[end] - squares[starts] - total * total / size

    best = np.full((count + 1, n + 1), np.inf)
    split = np.zeros((count + 1, n + 1), dtype=int)
    best[1, 1:] = [cost(np.array([0]), end)[0] for end in range(1, n + 1)]
    for k in range(2, count + 1):
        for end in range(k, n + 1):
            starts = np.arange(k - 1, end)
            candidates = best[k - 1, starts] + cost(starts, end)
            choice = int(np.argmin(candidates))
            best[k, end] = candidates[choice]
            split[k, end] = starts[choice]
    breaks = [float(data[-1])]
    end = n
    for k in range(count, 1, -1):
        end = split[k, end]
        breaks.append(float(data[end]))
    breaks.append(float(data[0]))
    return sorted(breaks)


def _unique(breaks: list) -> list[float]:
    result: list[float] = []
    for value in breaks:
        if not result or float(value) > result[-1]:
            result.append(float(value))
    if len(result) == 1:
        result.append(result[0])
    return result


@dataclass
class ClassRequest:
    kind: str
    attribute: str
    method: str = "equal"
    count: int = 5
    ramp: str = ""


def compute_classes(dataset: Dataset, request: ClassRequest) -> list[dict]:
    """The classes of a categorised or graduated style, computed from the dataset's data."""
    attribute = _attribute(dataset, request.attribute)["name"]
    if request.kind == "categorised":
        values = distinct_values(dataset, attribute)
        colours = ramp_colours(request.ramp or "qualitative", len(values))
        return [{"value": v, "color": c, "label": v} for v, c in zip(values, colours, strict=True)]
    if _attribute(dataset, attribute)["type"] not in NUMERIC_TYPES:
        raise StyleError(
            "not_numeric",
            _("Un style gradué demande un attribut numérique (« %(name)s » ne l'est pas).") % {"name": attribute},
        )
    count = max(1, min(int(request.count), MAX_CLASSES))
    if request.method == "quantile":
        breaks = quantile_breaks(dataset, attribute, count)
    elif request.method == "jenks":
        breaks = jenks_breaks(_numbers(dataset, attribute, JENKS_SAMPLE), count)
    elif request.method == "equal":
        breaks = equal_breaks(dataset, attribute, count)
    else:
        raise StyleError("unknown_method", _("Méthode de classification inconnue : « %(m)s ».") % {"m": request.method})
    colours = ramp_colours(request.ramp or "bleus", len(breaks) - 1)
    return [
        {"min": low, "max": high, "color": colour, "label": f"{_format(low)} – {_format(high)}"}
        for low, high, colour in zip(breaks[:-1], breaks[1:], colours, strict=True)
    ]


# Saving and previewing -------------------------------------------------------------------------------------------


def save_style(dataset: Dataset, name: str, kind: str, definition: dict, sld: str = "", engine_classes: str = ""):
    """Store the style as the dataset's default and make every service draw with it."""
    from django.db import transaction

    from wxs.changes import layer_changed
    from wxs.models import Style

    clean = {} if kind == "sld" else validate(dataset, kind, definition)
    with transaction.atomic():
        Style.objects.filter(dataset=dataset, is_default=True).exclude(name=name).update(is_default=False)
        style, _created = Style.objects.update_or_create(
            dataset=dataset,
            name=name,
            defaults={
                "kind": kind,
                "definition": clean,
                "sld": sld,
                "engine_classes": engine_classes,
                "is_default": True,
            },
        )
    layer_changed(dataset)
    drop_territory_variants(dataset)
    return style


def drop_territory_variants(dataset: Dataset) -> None:
    """Territory variants are only rewritten when the record changes: drop them so they are drawn with the new style."""
    from pathlib import Path

    for path in Path(settings.MAPFILE_DIR).glob(f"dataset_{int(dataset.pk)}_v*_t*.map"):
        path.unlink(missing_ok=True)


def preview_png(dataset: Dataset, classes: str, what: str = "map", width: int = 480, height: int = 360) -> bytes:
    """MapServer's drawing of the dataset (or of its legend) with `classes` instead of the saved style."""
    import uuid
    from pathlib import Path

    from wxs import mapserver
    from wxs.mapserver import mapfiles

    text = mapfiles.mapfile_text(dataset).replace(layer_classes(dataset), classes, 1)
    path = Path(settings.MAPFILE_DIR) / f"preview_{int(dataset.pk)}_{uuid.uuid4().hex}.map"  # one per request
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if what == "legend":
        params = {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetLegendGraphic",
            "LAYER": dataset.layer_name,
            "FORMAT": "image/png",
            "SLD_VERSION": "1.1.0",
        }
    else:
        xmin, ymin, xmax, ymax = (float(v) for v in mapfiles._extent(dataset).split())
        pad_x, pad_y = (xmax - xmin) * 0.05, (ymax - ymin) * 0.05
        params = {
            "SERVICE": "WMS",
            "VERSION": "1.1.1",
            "REQUEST": "GetMap",
            "LAYERS": dataset.layer_name,
            "STYLES": "",
            "SRS": f"EPSG:{dataset.srid}",
            "FORMAT": "image/png",
            "TRANSPARENT": "TRUE",
            "BBOX": f"{xmin - pad_x},{ymin - pad_y},{xmax + pad_x},{ymax + pad_y}",
            "WIDTH": str(width),
            "HEIGHT": str(height),
        }
    try:
        answer = mapserver.render(path, params, "http://localhost/")
    finally:
        path.unlink(missing_ok=True)
    if answer.status != 200 or not answer.body.startswith(b"\x89PNG"):
        raise StyleError("preview_failed", _("MapServer n'a pas pu dessiner l'aperçu du style."))
    return answer.body
