"""Resumable chunked uploads: the browser sends slices, we append them to a file on disk."""

import re
import unicodedata
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from geoplatform.models import User

from ..models import Upload
from .errors import fail

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def safe_filename(name: str) -> str:
    """A file name with no directory part and no surprising characters, keeping its accents and extension."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[^\w.-]+", "_", name).strip("._") or "fichier"
    return name[-200:]


def create_upload(user: User, filename: str, size: int) -> Upload:
    if size <= 0:
        raise fail("empty_file", _("Le fichier est vide."))
    if size > settings.IMPORT_MAX_UPLOAD_SIZE:
        raise fail(
            "file_too_large",
            _("Le fichier dépasse la taille maximale autorisée (%(max)s Go).")
            % {"max": round(settings.IMPORT_MAX_UPLOAD_SIZE / 1024**3, 1)},
        )
    upload = Upload.objects.create(user=user, filename=safe_filename(filename), size=size)
    upload.directory.mkdir(parents=True, exist_ok=True)
    upload.path.touch()
    return upload


def append_chunk(upload: Upload, content_range: str, stream: BinaryIO) -> int:
    """Write one slice at its offset; returns how many bytes the upload now holds."""
    match = _CONTENT_RANGE.match(content_range or "")
    if not match:
        raise fail("bad_range", _("En-tête Content-Range manquant ou invalide."))
    start, end, total = (int(g) for g in match.groups())
    if total != upload.size or end < start or end >= total:
        raise fail("bad_range", _("Le morceau envoyé ne correspond pas au fichier annoncé."))
    if start > upload.received:
        raise fail(
            "bad_range",
            _("Un morceau manque : reprenez à l'octet %(offset)s.") % {"offset": upload.received},
            offset=upload.received,
        )
    expected = end - start + 1
    written = 0
    with upload.path.open("r+b") as fh:
        fh.seek(start)
        while written < expected and (chunk := stream.read(min(1024 * 1024, expected - written))):
            fh.write(chunk)
            written += len(chunk)
        fh.truncate(start + written)
    received = start + written
    upload.received = received
    upload.save(update_fields=["received", "updated_at"])
    return received
