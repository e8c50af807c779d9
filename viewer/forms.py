"""Forms of the map pages: importing an OWS Context file as a new map."""

from django import forms
from django.utils.translation import gettext_lazy as _

from geoplatform import rights

from .owscontext import MAX_BYTES


class ImportContextForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier de contexte OWS (GeoJSON)"),
        help_text=_("Un fichier .json au format OGC OWS Context GeoJSON, 1 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.geojson,application/json,application/geo+json"}),
    )
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None, empty_label=None)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = rights.producer_organisations(user).order_by("name")
        self.fields["file"].widget.attrs["class"] = "form-control"
        self.fields["organisation"].widget.attrs["class"] = "form-select"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("Le fichier dépasse 1 Mo."), code="too_large")
        return upload
