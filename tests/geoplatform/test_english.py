"""The English interface: every French source string of ours has an English translation, and the pages use it.

Source strings (msgids) are French; `locale/en/LC_MESSAGES/django.po` carries the English. When you add or change
a string, run `manage.py makemessages -l en ...` (see `test_source_strings_are_all_in_the_catalogue`
for the exact command), translate the new entries, and `compilemessages` (scripts/install.sh does it too).
"""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MAKEMESSAGES_IGNORES = [".venv", "frontend", "var", "tests", "docs", "docker"]

# page -> (English strings that must be present, their French counterparts that must be absent)
PAGES = {
    "/": (
        [
            "Find data",
            "Recently published data",
            "Full catalogue",
            "Log in",
            "Sign up",
            "Skip to content",
            "Change language",
            "Data catalogue",
            "API documentation",
        ],
        [
            "Je recherche des données",
            "Données récemment publiées",
            "Tout le catalogue",
            "Se connecter",
            "Créer un compte",
            "Aller au contenu",
            "Changer de langue",
            "Catalogue des données",
            "Documentation de l'API",
        ],
    ),
    "/donnees/": (
        ["Search datasets", "Search words", "Sort by", "0 datasets", "No datasets."],
        ["Rechercher des jeux de données", "Mots recherchés", "Trier par", "Aucun jeu de données."],
    ),
    "/comptes/login/": (
        ["Log in", "Sign up", "Data catalogue"],
        ["Se connecter", "Créer un compte", "Catalogue des données"],
    ),
}
PRODUCER_PAGES = {
    "/import/": (
        [
            "Import data",
            "Drop your file here",
            "Accepted formats",
            "Advanced options",
            "Good to know",
            "Dataset title",
            "Log out",
            "My account:",
        ],
        [
            "Importer des données",
            "Déposez votre fichier ici",
            "Formats acceptés",
            "Options avancées",
            "Bon à savoir",
            "Titre du jeu de données",
            "Se déconnecter",
            "Mon compte :",
        ],
    ),
    "/comptes/profil/": (
        ["My profile", "Username", "Email address", "Organisation member", "My organisations", "producer"],
        # not "producteur": it is also in the user name, producteur-a
        ["Mon profil", "Adresse électronique", "Membre d'organisation", "Mes organisations"],
    ),
}


def choose_english(client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302


def check_page(client, url: str, present: list[str], absent: list[str], language: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert f'<html lang="{language}">' in html, url
    assert response["Content-Language"] == language, url
    missing = [text for text in present if text not in html]
    leftover = [text for text in absent if text in html]
    assert not missing, f"{url}: expected {missing}"
    assert not leftover, f"{url}: unexpected {leftover}"


@pytest.mark.parametrize("url", PAGES)
def test_public_pages_in_english(client, url):
    choose_english(client)
    english, french = PAGES[url]
    check_page(client, url, english, french, "en")


@pytest.mark.parametrize("url", PRODUCER_PAGES)
def test_producer_pages_in_english(client, producer_a, url):
    client.force_login(producer_a)
    choose_english(client)
    english, french = PRODUCER_PAGES[url]
    check_page(client, url, english, french, "en")


@pytest.mark.parametrize("url", PAGES)
def test_public_pages_in_french_by_default(client, url):
    english, french = PAGES[url]
    check_page(client, url, french, english, "fr")


@pytest.mark.parametrize("url", PRODUCER_PAGES)
def test_producer_pages_in_french_by_default(client, producer_a, url):
    client.force_login(producer_a)
    english, french = PRODUCER_PAGES[url]
    check_page(client, url, french, english, "fr")


def test_switching_back_to_french(client):
    choose_english(client)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    check_page(client, "/", ["Je recherche des données"], ["Find data"], "fr")


# --- the catalogue itself ---


def _unquote(line: str) -> str:
    return ast.literal_eval(line)  # PO strings are C-style quoted; ours hold no escapes Python reads differently


def parse_po(text: str) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr (list), flags, references. The header is skipped."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry = {"msgid": None, "msgid_plural": None, "msgstr": {}, "flags": set(), "refs": [], "obsolete": False}
        field = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
                continue
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
                continue
            if line.startswith("#:"):
                entry["refs"].extend(line[2:].split())
                continue
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgid_plural|msgid|msgctxt|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
            if match:
                key, index, value = match.groups()
                field = ("msgstr", int(index or 0)) if key.startswith("msgstr") else (key, None)
            elif line.startswith('"') and field:
                value = line
            else:
                raise AssertionError(f"unexpected .po line: {line!r}")
            name, index = field
            if name == "msgstr":
                entry["msgstr"][index] = entry["msgstr"].get(index, "") + _unquote(value)
            elif name in ("msgid", "msgid_plural"):
                entry[name] = (entry[name] or "") + _unquote(value)
        if entry["msgid"]:  # "" is the header
            entries.append(entry)
    return entries


def untranslated(entries: list[dict]) -> list[str]:
    problems = []
    for entry in entries:
        if entry["obsolete"]:
            continue
        expected = 2 if entry["msgid_plural"] is not None else 1
        strings = [entry["msgstr"].get(i, "") for i in range(expected)]
        where = " ".join(entry["refs"][:2])
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {entry['msgid']!r} ({where})")
        elif not all(strings):
            problems.append(f"untranslated: {entry['msgid']!r} ({where})")
    return problems


def test_catalogue_is_fully_translated():
    entries = parse_po(PO_FILE.read_text(encoding="utf-8"))
    assert len(entries) > 100
    problems = untranslated(entries)
    assert not problems, "locale/en/LC_MESSAGES/django.po needs translations:\n" + "\n".join(problems)


def test_catalogue_header_is_not_fuzzy():
    header = PO_FILE.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "#, fuzzy" not in header
    assert '"Language: en\\n"' in header
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header


def test_catalogue_keeps_placeholders():
    for entry in parse_po(PO_FILE.read_text(encoding="utf-8")):
        sources = [entry["msgid"]] + ([entry["msgid_plural"]] if entry["msgid_plural"] is not None else [])
        wanted = set(re.findall(r"%\(\w+\)[sd]", "".join(sources)))
        for text in entry["msgstr"].values():
            assert set(re.findall(r"%\(\w+\)[sd]", text)) == wanted, entry["msgid"]


def test_catalogue_compiles_cleanly():
    """`msgfmt --check` accepts the .po (format strings, plural forms, header)."""
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext is not installed (scripts/install.sh installs it)"
    result = subprocess.run(
        [msgfmt, "--check", "-o", "/dev/null", str(PO_FILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_compiled_catalogue_is_used():
    """The .mo the server loads (compiled by scripts/install.sh) is current and translates our strings."""
    mo = PO_FILE.with_suffix(".mo")
    assert mo.exists(), "run `manage.py compilemessages` (scripts/install.sh does)"
    assert mo.stat().st_mtime >= PO_FILE.stat().st_mtime, "django.mo is older than django.po: run compilemessages"
    with translation.override("en"):
        assert translation.gettext("Se connecter") == "Log in"
        assert translation.ngettext("%(counter)s objet", "%(counter)s objets", 2) == "%(counter)s features"


def test_source_strings_are_all_in_the_catalogue(tmp_path):
    """Re-extract the strings from a copy of the source: a string added to the code without its translation fails.

    Fix: `GP_DEMO=1 .venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=frontend --ignore=var
    --ignore=tests --ignore=docs --ignore=docker --no-obsolete`, translate, then `compilemessages`.
    """
    assert shutil.which("xgettext") and shutil.which("msgmerge"), "gettext is not installed"
    copy = tmp_path / "src"
    skip = {
        ".git",
        *MAKEMESSAGES_IGNORES,
        "node_modules",
        "staticfiles",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".stamps",
        ".ci",
        "scripts",
    }
    shutil.copytree(ROOT, copy, ignore=lambda directory, names: [n for n in names if n in skip or n.endswith(".mo")])
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "en",
            "--no-obsolete",
            "-v",
            "0",
            *(f"--ignore={name}" for name in MAKEMESSAGES_IGNORES),
        ],
        cwd=copy,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "GP_DEMO": "1", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = parse_po((copy / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    problems = untranslated(fresh)
    assert not problems, (
        "strings in the code have no English translation yet — run makemessages (see this test's docstring) and "
        "translate them in locale/en/LC_MESSAGES/django.po:\n" + "\n".join(problems)
    )
