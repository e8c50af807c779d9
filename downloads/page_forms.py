"""The download form of the dataset page and of the basket: what a person picks, turned into a core download item.

The item is the API's (`{"dataset", "format", "srid", "clip", "options"}`); everything it contains is checked again by
`services.validate_items` (rights, format, CRS, clip). This module only adds what the pages need on top: commune
names as well as INSEE codes, and a GeoJSON file uploaded as the clip.
"""

import json
import re
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalogue.models import Dataset
from geoplatform.territories import TerritoryError, communes_choices

from . import services
from .clip import INSEE
from .formats import DEFAULT_SRID, SRIDS, GeoTiff, formats_for

CLIP_NONE, CLIP_EXTENT, CLIP_DRAWN, CLIP_COMMUNES, CLIP_FILE = "none", "extent", "drawn", "communes", "file"
CODE_IN_LABEL = re.compile(r"^(?P<name>.*) \((?P<code>[0-9AB]{5})\)$")


def _folded(text: str) -> str:
    """A commune name compared without case, accents, hyphens or apostrophes ("Saint-Éloi" = "saint eloi")."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[-'’]", " ", text).split())


def communes_to_codes(text: str) -> list[str]:
    """INSEE codes from a comma- or semicolon-separated list of codes and commune names (names looked up)."""
    tokens = [token.strip() for token in re.split(r"[,;\n]", text) if token.strip()]
    if not tokens:
        raise forms.ValidationError(_("Indiquez au moins une commune, par son nom ou son code INSEE."))
    codes, names = [], []
    for token in tokens:
        (codes if INSEE.match(token.upper()) else names).append(token)
    codes = [code.upper() for code in codes]
    if names:
        try:
            choices = communes_choices()
        except TerritoryError as error:
            raise forms.ValidationError(str(error)) from error
        by_name: dict[str, list[str]] = {}
        for code, label in choices:
            match = CODE_IN_LABEL.match(label)
            by_name.setdefault(_folded(match["name"] if match else label), []).append(code)
        for name in names:
            found = by_name.get(_folded(name), [])
            if not found:
                raise forms.ValidationError(_("Commune inconnue : « %(name)s ».") % {"name": name})
            if len(found) > 1:
                raise forms.ValidationError(
                    _("Plusieurs communes s'appellent « %(name)s » : indiquez son code INSEE (%(codes)s).")
                    % {"name": name, "codes": ", ".join(found)}
                )
            codes.append(found[0])
    return sorted(set(codes))


class DownloadForm(forms.Form):
    """Format, CRS and clip of one dataset; `item()` is the download item the core services take."""

    format = forms.ChoiceField(label=gettext_lazy("Format"))
    srid = forms.TypedChoiceField(label=gettext_lazy("Système de coordonnées"), coerce=int)
    compression = forms.ChoiceField(
        label=gettext_lazy("Compression (GeoTIFF)"),
        required=False,
        choices=[
            ("deflate", gettext_lazy("Deflate (sans perte, par défaut)")),
            ("lzw", gettext_lazy("LZW (sans perte)")),
            ("none", gettext_lazy("Aucune")),
        ],
    )
    clip = forms.ChoiceField(
        label=gettext_lazy("Découpage"),
        widget=forms.RadioSelect,
        initial=CLIP_NONE,
        choices=[
            (CLIP_NONE, gettext_lazy("Aucun : le jeu de données entier")),
            (CLIP_EXTENT, gettext_lazy("L'emprise actuelle de la carte")),
            (CLIP_DRAWN, gettext_lazy("Un polygone dessiné sur la carte")),
            (CLIP_COMMUNES, gettext_lazy("Des communes")),
            (CLIP_FILE, gettext_lazy("Une géométrie (fichier GeoJSON)")),
        ],
    )
    bbox = forms.CharField(required=False, widget=forms.HiddenInput)
    drawn = forms.CharField(required=False, widget=forms.HiddenInput)  # GeoJSON polygon (WGS84) drawn on the map
    communes = forms.CharField(
        label=gettext_lazy("Communes"),
        required=False,
        help_text=gettext_lazy("Noms ou codes INSEE, séparés par des virgules (par exemple : Tours, 37261)."),
    )
    geometry_file = forms.FileField(
        label=gettext_lazy("Fichier de géométrie"),
        required=False,
        help_text=gettext_lazy("Un polygone ou multipolygone GeoJSON, en longitude/latitude (WGS 84)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json,application/json"}),
    )

    def __init__(self, dataset: Dataset, *args, with_map: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dataset = dataset
        drivers = formats_for(dataset.kind)
        self.fields["format"].choices = [(driver.name, f"{driver.label} ({driver.name})") for driver in drivers]
        self.fields["format"].initial = "gpkg" if dataset.kind == Dataset.Kind.VECTOR else "tif"
        self.fields["srid"].choices = [(code, f"EPSG:{code} — {label}") for code, label in SRIDS.items()]
        self.fields["srid"].initial = DEFAULT_SRID
        self.forced = {driver.name: driver.forced_srid for driver in drivers if driver.forced_srid}
        if dataset.kind != Dataset.Kind.RASTER:
            del self.fields["compression"]
        if not with_map:  # the extent and drawing options need the page's map (and its script)
            self.fields["clip"].choices = [
                c for c in self.fields["clip"].choices if c[0] not in (CLIP_EXTENT, CLIP_DRAWN)
            ]
        for name in ("format", "srid", "compression", "communes"):
            if name in self.fields:
                self.fields[name].widget.attrs.setdefault(
                    "class", "form-select" if name != "communes" else "form-control"
                )
        self.fields["geometry_file"].widget.attrs["class"] = "form-control"

    @property
    def format_options(self) -> list[tuple[str, str, int | None]]:
        """(name, label, CRS the format imposes) for the format menu."""
        return [(name, label, self.forced.get(name)) for name, label in self.fields["format"].choices]

    def clean(self) -> dict:
        data = super().clean()
        clip = data.get("clip")
        if clip == CLIP_EXTENT and not data.get("bbox"):
            self.add_error("clip", _("L'emprise de la carte n'est pas connue : déplacez la carte puis réessayez."))
        elif clip == CLIP_DRAWN:
            try:
                data["geometry"] = json.loads(data.get("drawn") or "")
            except ValueError:
                self.add_error(
                    "clip",
                    _("Dessinez la zone sur la carte : un clic par sommet, double-clic pour finir."),
                )
        elif clip == CLIP_COMMUNES:
            try:
                data["commune_codes"] = communes_to_codes(data.get("communes") or "")
            except forms.ValidationError as error:
                self.add_error("communes", error)
        elif clip == CLIP_FILE:
            data["geometry"] = self._geometry(data.get("geometry_file"))
        return data

    def _geometry(self, upload) -> dict | None:
        if upload is None:
            self.add_error("geometry_file", _("Choisissez un fichier GeoJSON contenant la zone de découpage."))
            return None
        if upload.size > settings.GP_DOWNLOAD_CLIP_MAX_BYTES:
            self.add_error("geometry_file", _("Le fichier de géométrie est trop volumineux."))
            return None
        try:
            document = json.loads(upload.read().decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            self.add_error("geometry_file", _("Le fichier n'est pas un GeoJSON lisible."))
            return None
        # A FeatureCollection of one feature is what GIS software exports for a drawn polygon.
        if isinstance(document, dict) and document.get("type") == "FeatureCollection":
            features = document.get("features") or []
            if len(features) != 1:
                self.add_error("geometry_file", _("Le fichier doit contenir un seul polygone ou multipolygone."))
                return None
            document = features[0]
        return document

    def item(self) -> dict:
        """The download item of the core services (checked again there)."""
        data = self.cleaned_data
        srid = self.forced.get(data["format"]) or data["srid"]
        item: dict = {"dataset": self.dataset.pk, "format": data["format"], "srid": srid}
        if data["clip"] == CLIP_EXTENT:
            item["clip"] = {"bbox": data["bbox"], "srid": 4326}
        elif data["clip"] == CLIP_COMMUNES:
            item["clip"] = {"communes": data["commune_codes"]}
        elif data["clip"] in (CLIP_FILE, CLIP_DRAWN):
            item["clip"] = {"geometry": data["geometry"], "srid": 4326}
        if data.get("compression") and data["format"] == GeoTiff.name:
            item["options"] = {"compression": data["compression"]}
        return item


def download_panel(request, dataset: Dataset, with_map: bool = False) -> dict | None:
    """What the dataset page shows about downloading: the form, a login invitation, or nothing (None)."""
    if not dataset.has_data or dataset.kind not in (Dataset.Kind.VECTOR, Dataset.Kind.RASTER):
        return None
    user = getattr(request, "user", None) or AnonymousUser()
    decision = services.download_decision(user, dataset)
    if decision:
        form = DownloadForm(dataset, with_map=with_map)
        return {"form": form, "territory": decision.territory is not None, "forced": form.forced}
    if not user.is_authenticated:
        return {"form": None, "login": True}  # only open data is downloaded without an account
    return None
