import re

from django import forms
from django.utils.translation import gettext_lazy as _

from geoplatform.models import Organisation, Territory, User, UserGroup

from . import sharing
from .models import Dataset, Grant


class DatasetForm(forms.ModelForm):
    """What a producer describes by hand; the rest is read from the data."""

    class Meta:
        model = Dataset
        fields = ["title", "abstract", "domains"]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-control"}),
            "abstract": forms.Textarea(attrs={"class": "form-control", "rows": 5}),
            "domains": forms.SelectMultiple(attrs={"class": "form-select", "size": 6}),
        }
        help_texts = {"domains": _("Les administrateurs d'un domaine gèrent les jeux de données qui y sont classés.")}


class SharingPresetForm(forms.Form):
    """The sharing mode of a dataset, and whether each person only sees their own territory."""

    preset = forms.ChoiceField(label=_("Qui peut accéder à ce jeu de données ?"), choices=sharing.PRESETS)
    territory_restricted = forms.BooleanField(
        label=_("Restreint au territoire de chacun"),
        required=False,
        help_text=_(
            "Hors de votre organisation, chaque personne ne voit et ne télécharge que les objets de son territoire "
            "(le sien, celui de ses organisations et de ses groupes)."
        ),
    )


class GrantForm(forms.Form):
    """One custom grant: to whom, what, and optionally only on some communes."""

    grantee = forms.ChoiceField(
        label=_("Bénéficiaire"), choices=Grant.Grantee.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.all(),
        required=False,
        empty_label=_("— choisir —"),
        help_text=_("Si le bénéficiaire est une organisation."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    group = forms.ModelChoiceField(
        label=_("Groupe"),
        queryset=UserGroup.objects.all(),
        required=False,
        empty_label=_("— choisir —"),
        help_text=_("Si le bénéficiaire est un groupe."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    username = forms.CharField(
        label=_("Identifiant de l'utilisateur"),
        required=False,
        max_length=150,
        help_text=_("Si le bénéficiaire est un utilisateur."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    action = forms.ChoiceField(
        label=_("Ce qu'il peut faire"),
        choices=Grant.Action.choices,
        initial=Grant.Action.DOWNLOAD,
        help_text=_("Chaque droit comprend les précédents : télécharger permet aussi de voir les données."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    territory = forms.ModelChoiceField(
        label=_("Territoire existant"),
        queryset=Territory.objects.all(),
        required=False,
        empty_label=_("— partout —"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    insee_codes = forms.CharField(
        label=_("Ou codes INSEE des communes"),
        required=False,
        help_text=_("Séparés par des virgules ou des espaces, par exemple 37261, 37018. Laisser vide : partout."),
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )

    def clean_username(self) -> User | None:
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Aucun utilisateur n'a cet identifiant."))
        return user

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            territory = data.get("territory") or sharing.territory_for(
                insee_codes=re.split(r"[\s,;]+", data.get("insee_codes", ""))
            )
            data["spec"] = sharing.make_spec(
                data["action"],
                data["grantee"],
                organisation=data.get("organisation"),
                group=data.get("group"),
                user=data.get("username"),
                territory=territory,
            )
        except sharing.SharingError as exc:
            field = {
                "organisation_required": "organisation",
                "group_required": "group",
                "user_required": "username",
                "territory_invalid": "insee_codes",
            }.get(exc.code)
            self.add_error(field, exc.message)
        return data
