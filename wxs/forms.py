"""The style editor's form: what a producer chooses, turned into a style definition (see wxs.styles)."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from catalogue.models import Dataset
from wxs import styles

KIND_CHOICES = [
    ("single", _("Symbole unique")),
    ("categorised", _("Catégorisé (par valeur d'un attribut)")),
    ("graduated", _("Gradué (classes d'un attribut numérique)")),
]
METHOD_CHOICES = [
    ("equal", _("Intervalles égaux")),
    ("quantile", _("Quantiles (effectifs égaux)")),
    ("jenks", _("Seuils naturels (Jenks)")),
]
RAMP_CHOICES = [(name, name) for name in styles.RAMPS]
COLOUR = {"type": "color", "class": "form-control form-control-color"}


class StyleForm(forms.Form):
    name = forms.CharField(label=_("Nom du style"), max_length=100, initial=_("Style par défaut"))
    kind = forms.ChoiceField(label=_("Type de style"), choices=KIND_CHOICES, initial="single")
    fill = forms.CharField(label=_("Couleur de remplissage"), widget=forms.TextInput(attrs=COLOUR))
    stroke = forms.CharField(label=_("Couleur du contour"), widget=forms.TextInput(attrs=COLOUR))
    width = forms.FloatField(label=_("Épaisseur du trait (px)"), min_value=0, max_value=50)
    size = forms.FloatField(label=_("Taille des symboles (px)"), min_value=1, max_value=100)
    opacity = forms.IntegerField(label=_("Opacité (%)"), min_value=0, max_value=100)
    attribute = forms.ChoiceField(label=_("Attribut de classement"), required=False)
    method = forms.ChoiceField(label=_("Méthode"), choices=METHOD_CHOICES, initial="equal", required=False)
    count = forms.IntegerField(label=_("Nombre de classes"), min_value=1, max_value=styles.MAX_CLASSES, initial=5)
    ramp = forms.ChoiceField(label=_("Palette de couleurs"), choices=RAMP_CHOICES, initial="bleus")
    classes = forms.CharField(widget=forms.HiddenInput, required=False)
    label_attribute = forms.ChoiceField(label=_("Étiquettes : attribut"), required=False)
    label_size = forms.FloatField(label=_("Taille des étiquettes"), min_value=4, max_value=72, initial=9)
    label_color = forms.CharField(
        label=_("Couleur des étiquettes"), initial="#000000", widget=forms.TextInput(attrs=COLOUR)
    )
    min_scale = forms.IntegerField(label=_("Visible à partir de 1/"), required=False, min_value=1)
    max_scale = forms.IntegerField(label=_("Visible jusqu'à 1/"), required=False, min_value=1)

    def __init__(self, *args, dataset: Dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset = dataset
        names = [(a["name"], a["name"]) for a in dataset.attributes or []]
        self.fields["attribute"].choices = [("", "—"), *names]
        self.fields["label_attribute"].choices = [("", _("aucune")), *names]
        for key, value in styles.DEFAULT_SYMBOL[styles.family(dataset)].items():
            self.fields[key].initial = value

    @classmethod
    def initial_for(cls, style) -> dict:
        """The form's values for a saved style."""
        if style is None or style.kind == "sld":
            return {}
        definition = style.definition
        label = definition.get("label") or {}
        return {
            "name": style.name,
            "kind": style.kind,
            **definition.get("symbol", {}),
            "attribute": definition.get("attribute", ""),
            "method": definition.get("method", "equal"),
            "count": len(definition.get("classes", [])) or 5,
            "ramp": definition.get("ramp", "bleus"),
            "classes": json.dumps(definition.get("classes", [])),
            "label_attribute": label.get("attribute", ""),
            "label_size": label.get("size", 9),
            "label_color": label.get("color", "#000000"),
            "min_scale": definition.get("min_scale"),
            "max_scale": definition.get("max_scale"),
        }

    def classes_list(self) -> list:
        try:
            classes = json.loads(self.cleaned_data.get("classes") or "[]")
        except json.JSONDecodeError:
            return []
        return classes if isinstance(classes, list) else []

    def compute(self) -> None:
        """Fill the classes from the data (the « Calculer les classes » button)."""
        data = self.cleaned_data
        if not data.get("attribute"):
            raise styles.StyleError("no_attribute", str(_("Choisissez l'attribut de classement.")))
        request = styles.ClassRequest(
            data["kind"], data["attribute"], data.get("method") or "equal", data["count"], data["ramp"]
        )
        self.cleaned_data["classes"] = json.dumps(styles.compute_classes(self.dataset, request))

    def definition(self) -> dict:
        data = self.cleaned_data
        definition: dict = {
            "symbol": {key: data[key] for key in ("fill", "stroke", "width", "size", "opacity")},
            "min_scale": data.get("min_scale"),
            "max_scale": data.get("max_scale"),
        }
        if data["kind"] != "single":
            definition.update(
                attribute=data.get("attribute"),
                method=data.get("method"),
                ramp=data["ramp"],
                classes=self.classes_list(),
            )
        if data.get("label_attribute"):
            definition["label"] = {
                "attribute": data["label_attribute"],
                "size": data["label_size"],
                "color": data["label_color"],
            }
        return definition


class SldUploadForm(forms.Form):
    name = forms.CharField(label=_("Nom du style"), max_length=100, initial=_("Style importé"))
    document = forms.FileField(label=_("Fichier SLD (1.0 ou 1.1)"))
