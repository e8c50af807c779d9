"""Archives are unpacked without trusting them: no file lands outside the job's folder, and archives
that would fill the disk are refused before they are unpacked."""

import stat
import struct
import zipfile
from pathlib import Path

import pytest

from importer.services import sources
from importer.services.errors import ImportError_
from tests.sample_data import shapefile_zip

pytestmark = pytest.mark.django_db


def archive_with(target: Path, entries: dict[str, bytes], base: Path | None = None) -> Path:
    """A zip whose entry names are written exactly as given (zipfile.write would clean them)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        if base is not None:
            for part in sorted(base.glob("parcelles.*")):
                if part.suffix != ".zip":
                    archive.write(part, part.name)
        for name, data in entries.items():
            entry = zipfile.ZipInfo(name)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return target


def patch_entry(path: Path, name: str, *, size: int | None = None, flags: int | None = None) -> None:
    """Rewrite what the local and central headers of entry `name` declare (size, general purpose flags)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    # (signature, offset of: name length, name, uncompressed size, flags) in local and central headers
    for signature, length_at, name_at, size_at, flags_at in (
        (b"PK\x03\x04", 26, 30, 22, 6),
        (b"PK\x01\x02", 28, 46, 24, 8),
    ):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            length = struct.unpack_from("<H", data, start + length_at)[0]
            if bytes(data[start + name_at : start + name_at + length]) == encoded:
                if size is not None:
                    struct.pack_into("<I", data, start + size_at, size)
                if flags is not None:
                    struct.pack_into("<H", data, start + flags_at, flags)
            start += 4
    path.write_bytes(bytes(data))


def unpack(path: Path, workdir: Path) -> ImportError_:
    """Run the extraction itself (the job's step), which must refuse the archive on its own."""
    with pytest.raises(ImportError_) as caught:
        sources.prepare(path, workdir)
    return caught.value


@pytest.mark.parametrize(
    "entry",
    ["../../evil.txt", "..\\..\\evil.txt", "donnees/../../../evil.txt", "C:/evil.txt"],
    ids=["dot-dot", "backslashes", "nested-dot-dot", "drive-letter"],
)
def test_entries_climbing_out_are_refused(refused, tmp_path, entry):
    source = tmp_path / "src"
    shapefile_zip(source)
    archive = archive_with(tmp_path / "parcelles.zip", {entry: b"pwned"}, base=source)

    refusal = refused(archive)
    assert refusal.code == "zip_unsafe_path"
    error = unpack(archive, tmp_path / "work" / "job")
    assert error.code == "zip_unsafe_path"
    assert not list(tmp_path.rglob("evil.txt"))
    assert not (tmp_path / "work" / "job" / "unpacked").exists() or not any(
        (tmp_path / "work" / "job" / "unpacked").iterdir()
    ), "entries were written before the archive was refused"


def test_absolute_entry_is_refused(refused, tmp_path):
    outside = tmp_path / "outside" / "evil.txt"
    archive = archive_with(
        tmp_path / "parcelles.zip", {str(outside): b"pwned"}, base=shapefile_zip(tmp_path / "src").parent
    )

    assert refused(archive).code == "zip_unsafe_path"
    assert unpack(archive, tmp_path / "work").code == "zip_unsafe_path"
    assert not outside.exists()
    assert not list(tmp_path.rglob("evil.txt"))


def test_symbolic_link_entry_is_refused(refused, tmp_path):
    link = zipfile.ZipInfo("parcelles.prj")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "parcelles.zip", "w") as archive:
        archive.writestr(link, "/etc/passwd")
    assert refused(tmp_path / "parcelles.zip").code == "zip_unsafe_path"


def test_zip_bomb_is_refused_before_unpacking(refused, tmp_path):
    archive = archive_with(tmp_path / "parcelles.zip", {"parcelles.csv": b"\0" * (20 * 1024 * 1024)})
    assert archive.stat().st_size < 100 * 1024  # ratio above 200

    assert refused(archive).code == "zip_bomb"
    assert unpack(archive, tmp_path / "work").code == "zip_bomb"
    assert not (tmp_path / "work" / "unpacked" / "parcelles.csv").exists()


def test_archive_unpacking_beyond_the_size_limit_is_refused(refused, tmp_path, settings):
    archive = shapefile_zip(tmp_path / "src")
    settings.IMPORT_MAX_UNZIPPED_SIZE = 1000
    assert refused(archive).code == "zip_bomb"


def test_entry_lying_about_its_size(refused, tmp_path):
    """The directory says 1 kB, the data inflate to 5 MB: never more than the declared size is written.

    Python's zipfile stops at the declared size, then finds the checksum wrong: the archive is refused
    as unreadable, which is what it is.
    """
    source = tmp_path / "src"
    shapefile_zip(source)
    archive = archive_with(tmp_path / "parcelles.zip", {"notes.txt": b"\0" * (5 * 1024 * 1024)}, base=source)
    patch_entry(archive, "notes.txt", size=1024)
    assert zipfile.ZipFile(archive).getinfo("notes.txt").file_size == 1024

    refusal = refused(archive)
    assert refusal.code == "corrupt_file"
    workdir = tmp_path / "work"
    assert unpack(archive, workdir).code == "corrupt_file"
    written = workdir / "unpacked" / "notes.txt"
    assert not written.exists() or written.stat().st_size <= 1024


def test_encrypted_archive_is_refused(refused, tmp_path):
    archive = shapefile_zip(tmp_path / "src")
    patch_entry(archive, "parcelles.shp", flags=0x1)
    refusal = refused(archive)
    assert refusal.code == "zip_encrypted"
    assert "mot de passe" in refusal.message


def test_archive_with_too_many_files_is_refused(refused, tmp_path, settings):
    archive = shapefile_zip(tmp_path / "src")
    settings.IMPORT_MAX_ZIP_ENTRIES = 3
    assert refused(archive).code == "zip_too_many_entries"


def test_mac_os_resource_files_are_ignored(run_file, tmp_path):
    source = tmp_path / "src"
    shapefile_zip(source)
    archive = archive_with(
        tmp_path / "parcelles.zip", {"__MACOSX/._parcelles.shp": b"\0\5\26\7", "._parcelles.shp": b"x"}, base=source
    )
    job = run_file(archive)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert job.dataset.feature_count == 12
