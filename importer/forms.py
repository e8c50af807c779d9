from django import forms
from django.utils.translation import gettext_lazy as _

from geoplatform.models import Organisation


class ImportForm(forms.Form):
    """The fields that go with an uploaded file."""

    title = forms.CharField(label=_("Titre du jeu de données"), max_length=255, required=False)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none(), required=False)
    layer = forms.CharField(label=_("Couche (si le fichier en contient plusieurs)"), max_length=255, required=False)
    srid = forms.IntegerField(
        label=_("Code EPSG du système de coordonnées (laisser vide pour celui du fichier)"),
        required=False,
        min_value=1,
        max_value=999999,
    )

    def __init__(self, *args, organisations=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            organisations if organisations is not None else Organisation.objects.none()
        )
        if organisations is not None and organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()
