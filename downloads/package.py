"""The download package: a zip streamed as it is written (never a full copy in memory).

Each package holds, per dataset, a folder with the data files, the ISO 19139 record (`metadonnees.xml`) and the
licence text (`licence.txt`), and at its root a short French `LISEZMOI.txt` (source, date, CRS, clipping, field
mapping). `zipfile` writes to a non-seekable sink with data descriptors, so the same generator feeds an HTTP
response (direct downloads) or a file on disk (deferred jobs).
"""

import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from catalogue import iso19139, thesauri
from catalogue.models import Dataset

from .formats import SRIDS

CHUNK = 1024 * 1024
COMPRESS_LEVEL = 1


class _Sink:
    """A write-only, non-seekable stream whose written bytes are taken out by the generator."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.written = 0

    def write(self, data: bytes) -> int:
        if data:
            self.parts.append(bytes(data))
            self.written += len(data)
        return len(data)

    def flush(self) -> None:
        return None

    def drain(self) -> Iterator[bytes]:
        if self.parts:
            data, self.parts = b"".join(self.parts), []
            yield data


@dataclass
class Member:
    """One file of the package: its name in the zip and where its bytes come from (a path or bytes)."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    stream: Iterator[bytes] | None = None

    def chunks(self) -> Iterator[bytes]:
        if self.data is not None:
            yield self.data
            return
        if self.stream is not None:
            yield from self.stream
            return
        assert self.path is not None
        with self.path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk


def stream_zip(members: Iterable[Member]) -> Iterator[bytes]:
    """The zip of `members`, chunk by chunk; members may be produced lazily (extraction happens as we iterate)."""
    sink = _Sink()
    # zlib level 1, not the default 6: 1.25 s instead of 2.04 s for 52 MB of GeoPackage polygons here, for the same
    # compressed size; the deflate adds to ogr2ogr's time in the benchmark against plain ogr2ogr (docs/benchmarks.md).
    with zipfile.ZipFile(
        sink,  # type: ignore[arg-type]
        "w",
        compression=zipfile.ZIP_DEFLATED,
        allowZip64=True,
        compresslevel=COMPRESS_LEVEL,
    ) as archive:
        for member in members:
            # What ZipFile.open() does for a bare name, but dated now (a bare name is dated 1980-01-01).
            info = zipfile.ZipInfo(member.name, date_time=time.localtime()[:6])
            info.compress_type = archive.compression
            info._compresslevel = archive.compresslevel
            with archive.open(info, "w", force_zip64=True) as target:
                for chunk in member.chunks():
                    target.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()


def licence_text(dataset: Dataset) -> str:
    """The licence of a dataset as people read it, with its address when it is a known open licence."""
    with override("fr"):
        if dataset.licence in thesauri.LICENCES:
            uri, label = thesauri.LICENCES[dataset.licence]
            text = f"{label}\n{uri}\n"
        else:
            text = f"{dataset.licence_other or _('Licence non précisée')}\n"
        if dataset.use_constraints:
            text += f"\n{_('Conditions d’utilisation')} :\n{dataset.use_constraints}\n"
        text += f"\n{_('Producteur')} : {dataset.organisation.name}\n"
    return text


def metadata_xml(dataset: Dataset) -> bytes:
    return dataset.iso_xml.encode("utf-8") if dataset.iso_xml else iso19139.export(dataset)


@dataclass
class ReadmeEntry:
    """What the README says about one dataset of the package."""

    dataset: Dataset
    folder: str
    format_label: str
    srid: int
    clip: str
    territory_applied: bool
    mapping: dict[str, str] = field(default_factory=dict)
    note: str = ""


def readme(entries: list[ReadmeEntry]) -> bytes:
    """The package's `LISEZMOI.txt`, in French whatever the request's language."""
    now = timezone.localtime()
    with override("fr"):
        lines = [
            _("Téléchargement depuis %(site)s") % {"site": settings.SITE_URL},
            _("Date de l'extraction : %(date)s") % {"date": now.strftime("%d/%m/%Y %H:%M")},
            "",
        ]
        for entry in entries:
            dataset = entry.dataset
            lines += [
                f"== {dataset.title} ==",
                _("Dossier : %(folder)s/") % {"folder": entry.folder},
                _("Source : %(organisation)s, %(url)s")
                % {"organisation": dataset.organisation.name, "url": settings.SITE_URL + dataset.get_absolute_url()},
                _("Version des données : %(version)s, mise à jour le %(date)s")
                % {"version": dataset.version, "date": timezone.localtime(dataset.updated_at).strftime("%d/%m/%Y")},
                _("Format : %(format)s") % {"format": entry.format_label},
                _("Système de coordonnées : EPSG:%(srid)s (%(label)s)")
                % {"srid": entry.srid, "label": SRIDS.get(entry.srid, "")},
                _("Découpage : %(clip)s") % {"clip": entry.clip},
            ]
            if entry.territory_applied:
                lines.append(_("Les données sont limitées au territoire couvert par vos droits."))
            if entry.note:
                lines.append(str(entry.note))
            if entry.mapping:
                lines.append(_("Noms d'attributs raccourcis (nom d'origine -> nom dans le fichier) :"))
                lines += [f"  {source} -> {short}" for source, short in entry.mapping.items()]
            lines += [
                _("Métadonnées ISO 19139 : %(folder)s/metadonnees.xml") % {"folder": entry.folder},
                _("Licence : %(folder)s/licence.txt") % {"folder": entry.folder},
                "",
            ]
    return "\r\n".join(lines).encode("utf-8")


def package_members(
    entries: list[ReadmeEntry], files: Callable[[int], Iterable[tuple[str, Path | Iterator[bytes]]]]
) -> Iterator[Member]:
    """The members of a package: README first (the first bytes leave at once), then per dataset its documents and
    the data `files(index)` produces (called lazily, when the zip reaches that dataset): (name, file or stream)."""
    yield Member("LISEZMOI.txt", data=readme(entries))
    for index, entry in enumerate(entries):
        yield Member(f"{entry.folder}/metadonnees.xml", data=metadata_xml(entry.dataset))
        yield Member(f"{entry.folder}/licence.txt", data=licence_text(entry.dataset).encode("utf-8"))
        for name, source in files(index):
            if isinstance(source, Path):
                yield Member(f"{entry.folder}/{name}", path=source)
            else:
                yield Member(f"{entry.folder}/{name}", stream=source)
