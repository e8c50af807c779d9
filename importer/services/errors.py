"""Import errors: a stable code for the API and a French message for people."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ImportError_(Exception):
    """An input the platform refuses, with a stable `code` and a message for the user."""

    code = "import_failed"
    message = _("L'import a échoué.")

    def __init__(self, message: str | None = None, *, code: str | None = None, **details: object) -> None:
        self.code = code or self.code
        self.message = message or str(self.message)
        self.details = details
        super().__init__(self.message)


def fail(code: str, message: str, **details: object) -> ImportError_:
    return ImportError_(str(message), code=code, **details)


def multiple_layers(names: list[str]) -> ImportError_:
    return fail(
        "multiple_layers",
        gettext("Le fichier contient plusieurs couches : choisissez celle à importer (%(layers)s).")
        % {"layers": ", ".join(names)},
        layers=names,
    )


class ImportCancelled(Exception):
    """The user cancelled the job while it ran."""
