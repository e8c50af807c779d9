"""Forms of the administration pages. Validation that people see lives here; changes go through `administration`."""

import json
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from catalogue.models import Dataset

from .administration import HEX_COLOUR, descendants
from .models import AuditEvent, Domain, GazetteerLayer, Membership, Organisation, PlatformSettings, User, UserGroup
from .territories import TerritoryError, geometry_from_insee
from .theme import contrast_ratio, readable_text_on

IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096
MIN_CONTRAST = 4.5
BASE_MAP_TYPES = ("wms", "wmts", "xyz")
BASE_MAP_KEYS = {"name", "type", "url", "layers"}


def _controls(form: forms.BaseForm) -> None:
    """Bootstrap classes on every widget, so templates can loop over fields."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def checked_image(upload: UploadedFile | None, stem: str) -> UploadedFile | None:
    """Accept only a PNG, JPEG or WebP picture that Pillow can read; rename it after its real format."""
    if not upload or not isinstance(upload, UploadedFile):
        return upload
    if upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(_("L'image dépasse 2 Mo."), code="too_big")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            fmt = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        message = _("Ce fichier n'est pas une image lisible (PNG, JPEG ou WebP).")
        raise ValidationError(message, code="not_image") from exc
    if fmt not in IMAGE_FORMATS:
        raise ValidationError(_("Seules les images PNG, JPEG ou WebP sont acceptées."), code="format")
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(_("L'image est trop grande (4096 × 4096 pixels au plus)."), code="too_many_pixels")
    upload.seek(0)
    upload.name = f"{slugify(stem) or 'logo'}.{IMAGE_FORMATS[fmt]}"
    upload.content_type = Image.MIME.get(fmt, "application/octet-stream")
    return upload


def parse_codes(text: str) -> list[str]:
    return sorted({code for code in re.split(r"[\s,;]+", text or "") if code})


class TerritoryFieldMixin:
    """An `insee_codes` field: communes of the reference layer that make the object's territory."""

    def _add_territory_field(self) -> None:
        territory = getattr(self.instance, "territory", None)
        self.fields["insee_codes"] = forms.CharField(
            label=_("Territoire (codes INSEE des communes)"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_(
                "Séparés par des virgules ou des espaces, par exemple « 37261, 37122 ». Vide : aucun territoire."
            ),
            initial=", ".join(territory.insee_codes) if territory else "",
        )

    def clean_insee_codes(self) -> list[str]:
        codes = parse_codes(self.cleaned_data.get("insee_codes", ""))
        territory = getattr(self.instance, "territory", None)
        if codes and codes != sorted(territory.insee_codes if territory else []):
            try:
                geometry_from_insee(codes)
            except TerritoryError as exc:
                raise ValidationError(str(exc), code="territory") from exc
        return codes


class SlugFromNameMixin:
    """The identifier can be left blank: it is made from the name."""

    def clean_slug(self) -> str:
        return self.cleaned_data.get("slug") or slugify(self.data.get(self.add_prefix("name"), ""))[:100]


class OrganisationForm(SlugFromNameMixin, TerritoryFieldMixin, forms.ModelForm):
    website = forms.URLField(label=_("site web"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = ["name", "slug", "description", "website", "logo", "contact_name", "contact_email", "is_partner"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        }
        help_texts = {
            "slug": _("Laissé vide, il est formé à partir du nom."),
            "logo": _("PNG, JPEG ou WebP, 2 Mo au plus."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self._add_territory_field()
        _controls(self)

    def clean_logo(self):
        return checked_image(self.cleaned_data.get("logo"), self.data.get("name") or "logo")


class MemberAddForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Personne"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Rôle"), choices=Membership.Role.choices, initial=Membership.Role.PRODUCER)

    def __init__(self, *args, organisation: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.exclude(memberships__organisation=organisation).order_by("username")
        self.fields["user"].label_from_instance = _user_label
        _controls(self)


def _user_label(user: User) -> str:
    full_name = user.get_full_name()
    return f"{full_name} ({user.username})" if full_name else user.username


class UserFilterForm(forms.Form):
    YES_NO = [("", _("Tous")), ("1", _("Oui")), ("0", _("Non"))]

    q = forms.CharField(label=_("Rechercher"), required=False, help_text=_("Identifiant, nom ou adresse électronique."))
    active = forms.ChoiceField(label=_("Compte actif"), choices=YES_NO, required=False)
    admin = forms.ChoiceField(label=_("Administrateur"), choices=YES_NO, required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.all(), required=False, empty_label=_("Toutes")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.input_type = "search"
        _controls(self)

    def filter(self, users):
        if not self.is_bound:
            return users
        if not self.is_valid():
            return users.none()
        data = self.cleaned_data
        if data["q"]:
            words = data["q"].strip()
            users = users.filter(
                Q(username__icontains=words)
                | Q(email__icontains=words)
                | Q(first_name__icontains=words)
                | Q(last_name__icontains=words)
            )
        if data["active"]:
            users = users.filter(is_active=data["active"] == "1")
        if data["admin"] == "1":
            users = users.filter(Q(is_staff=True) | Q(is_superuser=True))
        elif data["admin"] == "0":
            users = users.filter(is_staff=False, is_superuser=False)
        if data["organisation"]:
            users = users.filter(memberships__organisation=data["organisation"])
        return users.distinct()


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Adresse électronique"))
    username = forms.CharField(
        label=_("Identifiant"), required=False, max_length=150, help_text=_("Laissé vide, il est tiré de l'adresse.")
    )
    first_name = forms.CharField(label=_("Prénom"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Nom"), required=False, max_length=150)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.all(), required=False, empty_label=_("Aucune")
    )
    role = forms.ChoiceField(label=_("Rôle dans l'organisation"), choices=Membership.Role.choices, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        _controls(self)

    def clean_email(self) -> str:
        from allauth.account.models import EmailAddress

        email = self.cleaned_data["email"].strip().lower()  # as allauth stores addresses
        taken = User.objects.filter(email__iexact=email).exists()
        if taken or EmailAddress.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("Un compte utilise déjà cette adresse."), code="email_taken")
        return email

    def clean_username(self) -> str:
        username = self.cleaned_data.get("username", "").strip()
        if username:
            User.username_validator(username)
            if User.objects.filter(username__iexact=username).exists():
                raise ValidationError(_("Cet identifiant est déjà pris."), code="username_taken")
        return username

    def clean(self) -> dict:
        data = super().clean()
        if data.get("organisation") and not data.get("role"):
            self.add_error("role", _("Choisissez le rôle dans l'organisation."))
        return data


class UserEditForm(TerritoryFieldMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._add_territory_field()
        _controls(self)


class GroupForm(SlugFromNameMixin, TerritoryFieldMixin, forms.ModelForm):
    class Meta:
        model = UserGroup
        fields = ["name", "slug", "description", "members"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "members": forms.CheckboxSelectMultiple}
        labels = {"members": _("Membres")}
        help_texts = {"slug": _("Laissé vide, il est formé à partir du nom.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["members"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["members"].label_from_instance = _user_label
        self._add_territory_field()
        _controls(self)


class DomainForm(SlugFromNameMixin, forms.ModelForm):
    class Meta:
        model = Domain
        fields = ["name", "slug", "parent", "administrators"]
        widgets = {"administrators": forms.CheckboxSelectMultiple}
        labels = {"parent": _("Domaine parent"), "administrators": _("Administrateurs du domaine")}
        help_texts = {
            "slug": _("Laissé vide, il est formé à partir du nom."),
            "parent": _("Vide pour un domaine ; un domaine parent en fait un sous-domaine."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        parents = Domain.objects.select_related("parent").order_by("parent__name", "name")
        if self.instance.pk:
            parents = parents.exclude(pk__in=descendants(self.instance))
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = _("Aucun (domaine de premier niveau)")
        self.fields["administrators"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["administrators"].label_from_instance = _user_label
        _controls(self)


def check_primary_colour(colour: str) -> None:
    """WCAG 2.1 AA: text on the colour (buttons, menu) and the colour on white (links) both need 4.5:1."""
    on_colour = contrast_ratio(colour, readable_text_on(colour))
    if on_colour < MIN_CONTRAST:
        raise ValidationError(
            _("Le texte sur cette couleur n'atteint qu'un contraste de %(ratio)s:1 ; il faut au moins 4,5:1."),
            code="contrast",
            params={"ratio": number_format(on_colour, 2)},
        )
    on_white = contrast_ratio(colour, "#ffffff")
    if on_white < MIN_CONTRAST:
        raise ValidationError(
            _(
                "Cette couleur sur fond blanc (liens) n'atteint qu'un contraste de %(ratio)s:1 ; "
                "il faut au moins 4,5:1. Choisissez une couleur plus foncée."
            ),
            code="contrast",
            params={"ratio": number_format(on_white, 2)},
        )


def _base_map_error(message: str, number: int, **params: str) -> ValidationError:
    return ValidationError(message, params={"n": number, **params}, code="base_maps")


def check_base_maps(value: object) -> list[dict]:
    """A list of {"name", "type": wms|wmts|xyz, "url", "layers"?}; errors name the base map and the key."""
    if not isinstance(value, list):
        raise ValidationError(_("Les fonds de carte sont une liste JSON : [{…}, {…}]."), code="base_maps")
    url_validator = URLValidator(schemes=["http", "https"])
    for n, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise _base_map_error(_("Fond de carte n°%(n)s : un objet JSON est attendu."), n)
        unknown = sorted(set(item) - BASE_MAP_KEYS)
        if unknown:
            raise _base_map_error(
                _("Fond de carte n°%(n)s : clé inconnue « %(key)s » (clés permises : name, type, url, layers)."),
                n,
                key=unknown[0],
            )
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            raise _base_map_error(_("Fond de carte n°%(n)s : « name » est obligatoire."), n)
        if item.get("type") not in BASE_MAP_TYPES:
            raise _base_map_error(_("Fond de carte n°%(n)s : « type » vaut « wms », « wmts » ou « xyz »."), n)
        url = item.get("url")
        try:
            url_validator(url if isinstance(url, str) else "")
        except ValidationError:
            message = _("Fond de carte n°%(n)s : « url » doit être une adresse http(s) valide.")
            raise _base_map_error(message, n) from None
        if item["type"] == "xyz" and not all(part in url for part in ("{x}", "{y}", "{z}")):
            raise _base_map_error(_("Fond de carte n°%(n)s : l'adresse d'un fond « xyz » contient {x}, {y} et {z}."), n)
        if "layers" in item and not isinstance(item["layers"], str):
            raise _base_map_error(_("Fond de carte n°%(n)s : « layers » est un texte."), n)
        if item["type"] == "wms" and not item.get("layers", "").strip():
            raise _base_map_error(_("Fond de carte n°%(n)s : un fond « wms » indique ses couches dans « layers »."), n)
    return value


class SettingsForm(forms.ModelForm):
    west = forms.FloatField(label=_("Ouest (longitude)"), required=False, min_value=-180, max_value=180)
    south = forms.FloatField(label=_("Sud (latitude)"), required=False, min_value=-90, max_value=90)
    east = forms.FloatField(label=_("Est (longitude)"), required=False, min_value=-180, max_value=180)
    north = forms.FloatField(label=_("Nord (latitude)"), required=False, min_value=-90, max_value=90)
    base_maps_json = forms.CharField(
        label=_("Fonds de carte (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text=_(
            'Une liste d\'objets {"name", "type" ("wms", "wmts" ou "xyz"), "url", "layers"}, '
            'par exemple [{"name": "Plan IGN", "type": "wmts", "url": "https://data.geopf.fr/wmts"}].'
        ),
    )
    EXTENT_FIELDS = ("west", "south", "east", "north")

    class Meta:
        model = PlatformSettings
        fields = [
            "name",
            "tagline",
            "logo",
            "primary_color",
            "contact_email",
            "home_text",
            "legal_notice",
            "terms_of_use",
            "communes_dataset",
            "require_admin_mfa",
        ]
        widgets = {
            "home_text": forms.Textarea(attrs={"rows": 4}),
            "legal_notice": forms.Textarea(attrs={"rows": 8}),
            "terms_of_use": forms.Textarea(attrs={"rows": 8}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        }
        help_texts = {
            "name": _("Vide : le nom défini à l'installation."),
            "primary_color": _("Code hexadécimal, par exemple #1d4f91 ; le contraste est vérifié (RGAA/WCAG AA)."),
            "logo": _("PNG, JPEG ou WebP, 2 Mo au plus."),
            "home_text": _("Affiché sur la page d'accueil ; les lignes vides séparent les paragraphes."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        extent = self.instance.default_extent or []
        if len(extent) == 4:
            for name, value in zip(self.EXTENT_FIELDS, extent, strict=True):
                self.fields[name].initial = value
        if self.instance.base_maps:
            self.fields["base_maps_json"].initial = json.dumps(self.instance.base_maps, indent=2, ensure_ascii=False)
        self.fields["communes_dataset"].queryset = Dataset.objects.filter(kind="vector").exclude(table_name="")
        _controls(self)

    def clean_primary_color(self) -> str:
        colour = self.cleaned_data.get("primary_color", "").strip()
        if not colour:
            return ""
        if not HEX_COLOUR.fullmatch(colour):
            raise ValidationError(_("Indiquez une couleur hexadécimale, par exemple #1d4f91."), code="colour")
        check_primary_colour(colour)
        return colour.lower()

    def clean_logo(self):
        return checked_image(self.cleaned_data.get("logo"), "plateforme")

    def clean_base_maps_json(self) -> list[dict]:
        text = self.cleaned_data.get("base_maps_json", "").strip()
        if not text:
            return []
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("JSON illisible (ligne %(line)s, colonne %(col)s)."),
                params={"line": exc.lineno, "col": exc.colno},
                code="json",
            ) from exc
        return check_base_maps(value)

    def clean(self) -> dict:
        data = super().clean()
        values = [data.get(name) for name in self.EXTENT_FIELDS]
        if all(v is None for v in values):
            data["default_extent"] = []
        elif any(v is None for v in values):
            if not any(self.errors.get(name) for name in self.EXTENT_FIELDS):
                raise ValidationError(_("L'emprise par défaut demande ses quatre bornes, ou aucune."), code="extent")
        else:
            west, south, east, north = values
            if west >= east:
                self.add_error("east", _("La borne est doit être plus grande que la borne ouest."))
            if south >= north:
                self.add_error("north", _("La borne nord doit être plus grande que la borne sud."))
            data["default_extent"] = values
        return data

    def save(self, commit: bool = True) -> PlatformSettings:
        self.instance.default_extent = self.cleaned_data.get("default_extent", [])
        self.instance.base_maps = self.cleaned_data.get("base_maps_json", [])
        return super().save(commit=commit)


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Auteur (identifiant)"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    target_type = forms.ChoiceField(label=_("Type d'objet"), required=False)
    since = forms.DateField(label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("Toutes"))]
        actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
        types = AuditEvent.objects.order_by("target_type").values_list("target_type", flat=True).distinct()
        self.fields["action"].choices = everything + [(a, a) for a in actions]
        self.fields["target_type"].choices = [("", _("Tous"))] + [(t, t) for t in types]
        _controls(self)

    def filter(self, events):
        if not self.is_bound:
            return events
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        if data["actor"]:
            events = events.filter(actor__username__iexact=data["actor"].strip())
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["target_type"]:
            events = events.filter(target_type=data["target_type"])
        if data["since"]:
            events = events.filter(created_at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(created_at__date__lte=data["until"])
        return events


class GazetteerLayerForm(forms.ModelForm):
    """A layer made searchable in the viewer's place search: a vector dataset with data, and its name attribute."""

    class Meta:
        model = GazetteerLayer
        fields = ["dataset", "label_field", "enabled"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        datasets = Dataset.objects.filter(kind=Dataset.Kind.VECTOR, version__gt=0).order_by("title")
        self.fields["dataset"].queryset = datasets
        self.fields["dataset"].label_from_instance = lambda d: f"{d.title} ({d.organisation.name})"
        _controls(self)

    def clean(self) -> dict:
        cleaned = super().clean()
        dataset, field = cleaned.get("dataset"), (cleaned.get("label_field") or "").strip()
        if dataset is not None and field:
            names = [a["name"] for a in dataset.attributes or []]
            if field not in names:
                self.add_error(
                    "label_field",
                    _("Le jeu de données n'a pas d'attribut « %(field)s » (attributs : %(names)s).")
                    % {"field": field, "names": ", ".join(names) or "—"},
                )
            cleaned["label_field"] = field
        return cleaned
