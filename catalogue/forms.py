import re
from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from geoplatform import rights
from geoplatform.models import Organisation, Territory, User, UserGroup

from . import editor, sharing
from .models import Contact, Dataset, Grant, Keyword, ResponsibleParty


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


def _styled(field: forms.Field) -> None:
    """Bootstrap classes by widget kind."""
    widget = field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        widget.attrs.setdefault("class", "form-check-input")
    elif isinstance(widget, forms.CheckboxInput):
        widget.attrs.setdefault("class", "form-check-input")
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        widget.attrs.setdefault("class", "form-select")
    else:
        widget.attrs.setdefault("class", "form-control")


def _keyword_field(thesaurus: str, label: str, help_text: str = "") -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=Keyword.objects.filter(thesaurus=thesaurus).order_by("label"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


def _split_keywords(text: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in re.split(r"[,;\n]+", text or "") if part.strip()))


class RecordForm(forms.ModelForm):
    """The metadata editor: the essentials in simple mode, every ISO 19115 / INSPIRE element in expert mode."""

    EXPERT_ONLY = {
        "resource_type",
        "language",
        "gemet_keywords",
        "resolution_m",
        "data_created",
        "data_revised",
        "access_constraint",
        "use_constraints",
        "conformity_specification",
        "conformity_date",
        "conformity_degree",
        "mdc_contact",
        "mdc_name",
        "mdc_organisation",
        "mdc_email",
    }
    SIMPLE_ONLY = {"poc_contact", "poc_name", "poc_organisation", "poc_email"}
    # Fields with a model default: left empty (or not sent), they keep the record's value.
    KEEP_WHEN_EMPTY = {
        "resource_type",
        "language",
        "update_frequency",
        "licence",
        "access_constraint",
        "conformity_specification",
        "conformity_degree",
    }
    SECTIONS = [
        ("description", _("Description"), ["title", "abstract", "resource_type", "language"]),
        ("mots-cles", _("Mots-clés"), ["inspire_themes", "topic_categories", "gemet_keywords", "free_keywords"]),
        (
            "etendue",
            _("Étendue, résolution et qualité"),
            [
                "scale_denominator",
                "resolution_m",
                "temporal_start",
                "temporal_end",
                "data_created",
                "data_revised",
                "update_frequency",
                "lineage",
            ],
        ),
        (
            "contraintes",
            _("Licence et contraintes"),
            ["licence", "licence_other", "access_constraint", "use_constraints"],
        ),
        ("conformite", _("Conformité"), ["conformity_specification", "conformity_date", "conformity_degree"]),
        ("point-de-contact", _("Point de contact"), ["poc_contact", "poc_name", "poc_organisation", "poc_email"]),
        ("contact-fiche", _("Contact de la fiche"), ["mdc_contact", "mdc_name", "mdc_organisation", "mdc_email"]),
        ("classement", _("Classement"), ["domains"]),
    ]
    # Where the editor sends someone for each INSPIRE-mandatory element (records.REQUIREMENTS).
    REQUIREMENT_FIELDS = {
        "title": "title",
        "abstract": "abstract",
        "topic_categories": "topic_categories",
        "inspire_themes": "inspire_themes",
        "bbox": None,
        "temporal_reference": "temporal_start",
        "lineage": "lineage",
        "resolution": "scale_denominator",
        "conformity": "conformity_degree",
        "use_constraints": "licence",
        "access_constraint": "access_constraint",
        "responsible_party": "poc_contact",
        "metadata_contact": "mdc_contact",
    }

    inspire_themes = _keyword_field(
        Keyword.Thesaurus.INSPIRE_THEME, _("Thèmes INSPIRE"), _("Au moins un thème pour une donnée INSPIRE.")
    )
    topic_categories = _keyword_field(Keyword.Thesaurus.ISO_TOPIC, _("Catégories thématiques ISO"))
    gemet_keywords = forms.CharField(
        label=_("Mots-clés GEMET"),
        required=False,
        help_text=_("Séparés par des virgules ; la liste propose les concepts GEMET connus."),
        widget=forms.TextInput(attrs={"list": "gemet-suggestions", "autocomplete": "off"}),
    )
    free_keywords = forms.CharField(
        label=_("Mots-clés libres"),
        required=False,
        help_text=_("Séparés par des virgules, par exemple : bocage, haies, PLUi."),
        widget=forms.TextInput(attrs={"list": "free-suggestions", "autocomplete": "off"}),
    )
    poc_contact = forms.ModelChoiceField(
        label=_("Contact existant"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=_("— aucun, ou nouveau contact ci-dessous —"),
    )
    poc_name = forms.CharField(label=_("Nom de la personne (nouveau contact)"), required=False, max_length=200)
    poc_organisation = forms.CharField(label=_("Organisme (nouveau contact)"), required=False, max_length=200)
    poc_email = forms.EmailField(label=_("Courriel (nouveau contact)"), required=False)
    mdc_contact = forms.ModelChoiceField(
        label=_("Contact de la fiche existant"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=_("— aucun, ou nouveau contact ci-dessous —"),
        help_text=_("Qui répond des métadonnées elles-mêmes."),
    )
    mdc_name = forms.CharField(label=_("Nom de la personne (nouveau contact de la fiche)"), required=False)
    mdc_organisation = forms.CharField(label=_("Organisme (nouveau contact de la fiche)"), required=False)
    mdc_email = forms.EmailField(label=_("Courriel (nouveau contact de la fiche)"), required=False)

    class Meta:
        model = Dataset
        fields = [*editor.TRACKED_FIELDS, "domains"]
        widgets = {
            "abstract": forms.Textarea(attrs={"rows": 5}),
            "lineage": forms.Textarea(attrs={"rows": 3}),
            "use_constraints": forms.Textarea(attrs={"rows": 3}),
            "temporal_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "temporal_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "data_created": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "data_revised": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "conformity_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "domains": forms.SelectMultiple(attrs={"size": 6}),
        }
        labels = {"language": _("Langue de la ressource (code ISO 639-2, fre)")}
        help_texts = {
            "domains": _("Les administrateurs d'un domaine gèrent les jeux de données qui y sont classés."),
            "lineage": _("D'où viennent les données et comment elles ont été produites."),
            "scale_denominator": _("Dénominateur de l'échelle : 25000 pour 1/25 000."),
            "resolution_m": _("Pour un raster : taille du pixel au sol, en mètres."),
        }

    def __init__(self, *args, user: User, expert: bool = False, missing: Iterable[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.expert = expert
        for name in self.SIMPLE_ONLY if expert else self.EXPERT_ONLY:
            del self.fields[name]
        for name in self.KEEP_WHEN_EMPTY & set(self.fields):
            self.fields[name].required = False
        dataset = self.instance
        contacts = editor.contacts_for(user, dataset)
        for name in ("poc_contact", "mdc_contact"):
            if name in self.fields:
                self.fields[name].queryset = contacts
        keywords = list(dataset.keywords.all()) if dataset.pk else []
        by_thesaurus = {t: [k for k in keywords if k.thesaurus == t] for t in Keyword.Thesaurus.values}
        self.initial.setdefault("inspire_themes", [k.pk for k in by_thesaurus["inspire_theme"]])
        self.initial.setdefault("topic_categories", [k.pk for k in by_thesaurus["iso_topic"]])
        self.initial.setdefault("gemet_keywords", ", ".join(k.label for k in by_thesaurus["gemet"]))
        self.initial.setdefault("free_keywords", ", ".join(k.label for k in by_thesaurus["free"]))
        if "poc_contact" in self.fields:
            self.initial.setdefault("poc_contact", editor.point_of_contact(dataset))
        if "mdc_contact" in self.fields:
            self.initial.setdefault(
                "mdc_contact", editor.metadata_contact(dataset) or editor.suggested_metadata_contact(dataset)
            )
        for field in self.fields.values():
            _styled(field)
        self.missing_fields = {self.REQUIREMENT_FIELDS.get(name) for name in missing} & set(self.fields)
        for name in self.missing_fields:
            self.fields[name].inspire_missing = True  # the template flags the field
            helptext = f" id_{name}_helptext" if self.fields[name].help_text else ""
            self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_missing{helptext}"

    def sections(self) -> list[tuple[str, str, list]]:
        """The fieldsets of this mode, each with its bound fields."""
        shown = []
        for anchor, legend, names in self.SECTIONS:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                shown.append((anchor, legend, fields))
        return shown

    def anchor(self, requirement: str) -> str:
        """Link to the field giving an INSPIRE element: here, or in the other mode when only it shows the field."""
        name = self.REQUIREMENT_FIELDS.get(requirement)
        if name is None:
            return "#donnees"
        if name == "poc_contact" and self.expert:
            return "#responsables"
        if name in self.fields:
            return f"#id_{name}"
        return f"?mode={'simple' if self.expert else 'expert'}#id_{name}"

    def clean(self) -> dict:
        data = super().clean()
        for name in self.KEEP_WHEN_EMPTY & set(self.fields):
            if data.get(name) in (None, ""):
                data[name] = getattr(self.instance, name)
        for thesaurus, name in ((Keyword.Thesaurus.GEMET, "gemet_keywords"), (Keyword.Thesaurus.FREE, "free_keywords")):
            if name in self.fields:
                try:
                    data[name] = editor.thesaurus_keywords(thesaurus, _split_keywords(data.get(name, "")))
                except editor.EditorError as exc:
                    self.add_error(name, exc.message)
        for prefix in ("poc", "mdc"):
            if f"{prefix}_email" in self.fields:
                chosen = data.get(f"{prefix}_contact")
                described = data.get(f"{prefix}_name") or data.get(f"{prefix}_organisation")
                if described and not chosen and not data.get(f"{prefix}_email"):
                    self.add_error(f"{prefix}_email", _("Indiquez le courriel du nouveau contact."))
        if data.get("licence") == Dataset.Licence.OTHER and not (data.get("licence_other") or "").strip():
            self.add_error("licence_other", _("Nommez la licence, ou donnez son adresse."))
        start, end = data.get("temporal_start"), data.get("temporal_end")
        if start and end and end < start:
            self.add_error("temporal_end", _("La fin de l'étendue temporelle précède son début."))
        return data

    def contact_spec(self, prefix: str) -> editor.ContactSpec | None:
        data = self.cleaned_data
        if f"{prefix}_contact" not in self.fields:
            return None
        spec = editor.ContactSpec(
            contact=data.get(f"{prefix}_contact"),
            name=data.get(f"{prefix}_name", ""),
            organisation_name=data.get(f"{prefix}_organisation", ""),
            email=data.get(f"{prefix}_email", ""),
        )
        return spec

    def keyword_sets(self) -> dict[str, list[Keyword]]:
        """The keywords of each thesaurus this mode edits."""
        names = {
            Keyword.Thesaurus.INSPIRE_THEME: "inspire_themes",
            Keyword.Thesaurus.ISO_TOPIC: "topic_categories",
            Keyword.Thesaurus.GEMET: "gemet_keywords",
            Keyword.Thesaurus.FREE: "free_keywords",
        }
        return {t: list(self.cleaned_data[n]) for t, n in names.items() if n in self.fields}


class PartyForm(forms.Form):
    """One responsible party of the resource (expert mode): an existing contact or a new one, and its role."""

    contact = forms.ModelChoiceField(
        label=_("Contact existant"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=_("— nouveau contact —"),
    )
    name = forms.CharField(label=_("Nom de la personne"), required=False, max_length=200)
    organisation_name = forms.CharField(label=_("Organisme"), required=False, max_length=200)
    email = forms.EmailField(label=_("Courriel"), required=False)
    role = forms.ChoiceField(
        label=_("Rôle"), choices=ResponsibleParty.Role.choices, initial=ResponsibleParty.Role.POINT_OF_CONTACT
    )

    def __init__(self, *args, contacts=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if contacts is not None:
            self.fields["contact"].queryset = contacts
        for field in self.fields.values():
            _styled(field)

    def clean(self) -> dict:
        data = super().clean()
        described = data.get("name") or data.get("organisation_name") or data.get("email")
        if described and not data.get("contact") and not data.get("email"):
            self.add_error("email", _("Indiquez le courriel du nouveau contact."))
        return data

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("contact") or data.get("email"))


class LinkForm(forms.Form):
    """One extra distribution or related resource (expert mode)."""

    url = forms.URLField(label=_("Adresse"), max_length=1000, required=False, assume_scheme="https")
    name = forms.CharField(label=_("Nom du lien"), max_length=255, required=False)
    protocol = forms.CharField(
        label=_("Protocole"),
        max_length=100,
        required=False,
        help_text=_("OGC:WMS, OGC:WFS, WWW:DOWNLOAD-1.0-http--download, WWW:LINK…"),
    )
    description = forms.CharField(label=_("Description du lien"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _styled(field)

    def clean(self) -> dict:
        data = super().clean()
        if (data.get("name") or data.get("protocol") or data.get("description")) and not data.get("url"):
            self.add_error("url", _("Indiquez l'adresse du lien."))
        if data.get("url") and not data.get("name"):
            self.add_error("name", _("Donnez un nom au lien."))
        return data


PartyFormSet = forms.formset_factory(PartyForm, extra=1, can_delete=True)
LinkFormSet = forms.formset_factory(LinkForm, extra=1, can_delete=True)


class NewRecordForm(forms.Form):
    """A record without data yet: a series, a service, a map, a table, or a dataset whose data come later."""

    title = forms.CharField(label=_("Titre"), max_length=255)
    resource_type = forms.ChoiceField(
        label=_("Type de ressource"), choices=Dataset.ResourceType.choices, initial=Dataset.ResourceType.DATASET
    )
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        organisations = rights.producer_organisations(user)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()
        for field in self.fields.values():
            _styled(field)


class AttachmentForm(forms.Form):
    """A document added to a record."""

    file = forms.FileField(
        label=_("Document"),
        help_text=_("PDF, OpenDocument, Office, CSV, texte, PNG ou JPEG ; 20 Mo au plus."),
    )
    title = forms.CharField(label=_("Intitulé du document"), max_length=255, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _styled(field)


def editor_changes(form: RecordForm, parties=None, links=None) -> editor.RecordChanges:
    """What the editor page sets: the fields and keywords of its mode, and the contacts and links it shows."""
    data = form.cleaned_data
    model_fields = [name for name in form.fields if name in editor.TRACKED_FIELDS]
    changes = editor.RecordChanges(
        fields={name: data[name] for name in model_fields},
        keywords=form.keyword_sets(),
        point_of_contact=form.contact_spec("poc"),
        metadata_contact=form.contact_spec("mdc"),
        domains=list(data["domains"]) if "domains" in form.fields else None,
    )
    if parties is not None and parties.is_bound:
        changes.parties = [
            (
                editor.ContactSpec(
                    contact=row.cleaned_data.get("contact"),
                    name=row.cleaned_data.get("name", ""),
                    organisation_name=row.cleaned_data.get("organisation_name", ""),
                    email=row.cleaned_data.get("email", ""),
                ),
                row.cleaned_data["role"],
            )
            for row in parties.forms
            if row.cleaned_data and not row.cleaned_data.get("DELETE") and not row.is_blank
        ]
    if links is not None and links.is_bound:
        changes.links = [
            row.cleaned_data
            for row in links.forms
            if row.cleaned_data and not row.cleaned_data.get("DELETE") and row.cleaned_data.get("url")
        ]
    return changes
