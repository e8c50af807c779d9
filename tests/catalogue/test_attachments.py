"""Documents attached to a record and thumbnails drawn from its map, both served only to who may see the record."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalogue import editor
from catalogue.models import Dataset, Grant
from tests.conftest import import_now
from tests.sample_data import shapefile_zip

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@pytest.fixture
def dataset(organisations, producer_a, tmp_path):
    return import_now(producer_a, organisations["a"], shapefile_zip(tmp_path), "Parcelles").dataset


def _upload(client, dataset: Dataset, name: str, content: bytes, title: str = ""):
    return client.post(
        f"/donnees/{dataset.pk}/documents/", {"file": SimpleUploadedFile(name, content), "title": title}, follow=True
    )


def test_producer_attaches_documents_listed_and_downloadable(client, producer_a, dataset):
    client.force_login(producer_a)
    _upload(client, dataset, "cahier-des-charges.pdf", PDF, "Cahier des charges")
    _upload(client, dataset, "dictionnaire.odt", _odt())
    _upload(client, dataset, "codes.csv", "code;libellé\n1;prairie\n".encode())
    titles = list(dataset.attachments.values_list("title", flat=True))
    assert titles == ["Cahier des charges", "dictionnaire", "codes"]

    pdf = dataset.attachments.get(title="Cahier des charges")
    page = client.get(f"/donnees/{dataset.pk}/").content.decode()
    assert f'href="/donnees/{dataset.pk}/documents/{pdf.pk}/"' in page and "Cahier des charges" in page
    response = client.get(f"/donnees/{dataset.pk}/documents/{pdf.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF
    odt = dataset.attachments.get(title="dictionnaire")
    assert client.get(f"/donnees/{dataset.pk}/documents/{odt.pk}/")["Content-Type"].endswith("opendocument.text")

    client.post(f"/donnees/{dataset.pk}/documents/{pdf.pk}/retirer/")
    assert not dataset.attachments.filter(pk=pdf.pk).exists()
    assert client.get(f"/donnees/{dataset.pk}/documents/{pdf.pk}/").status_code == 404


@pytest.mark.parametrize(
    "name,content",
    [
        ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("notice.txt", b"  <html><body onload='alert(1)'>"),  # HTML under a harmless name
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("image.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("outil.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("rapport.pdf", b"\x7fELF\x02\x01\x01\x00"),  # a program named as a PDF
        ("script.txt", b"#!/bin/sh\nrm -rf /\n"),
        ("archive.zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
    ],
)
def test_dangerous_or_mislabelled_files_are_refused(client, producer_a, dataset, name, content):
    client.force_login(producer_a)
    response = _upload(client, dataset, name, content)
    assert "Ce type de document n&#x27;est pas accepté" in response.content.decode()
    assert not dataset.attachments.exists()


def test_size_limit(client, producer_a, dataset, monkeypatch):
    monkeypatch.setattr(editor, "MAX_ATTACHMENT_SIZE", 1000)
    client.force_login(producer_a)
    response = _upload(client, dataset, "gros.txt", b"a" * 1001)
    assert "dépasse la taille maximale" in response.content.decode()
    assert not dataset.attachments.exists()


def test_private_attachment_is_404_to_others(client, producer_a, producer_b, reader, member_a, dataset):
    client.force_login(producer_a)
    _upload(client, dataset, "note.txt", b"Note interne.")
    attachment = dataset.attachments.get()
    url = f"/donnees/{dataset.pk}/documents/{attachment.pk}/"
    for user in (producer_b, reader):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert _upload(client, dataset, "x.txt", b"x").status_code == 404
        assert client.post(f"{url}retirer/").status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    assert client.get(f"/media/{attachment.file.name}").status_code == 404  # never a public media file
    client.force_login(member_a)  # the organisation's members read the record, so its documents
    assert client.get(url).status_code == 200
    Dataset.objects.filter(pk=dataset.pk).update(public=True)
    client.logout()
    assert client.get(url).status_code == 200


def test_thumbnail_drawn_by_mapserver_for_an_imported_vector(client, producer_a, producer_b, dataset):
    assert editor.generate_thumbnail(dataset) is True
    dataset.refresh_from_db()
    assert dataset.thumbnail.name.startswith("thumbnails/")
    image = Image.open(dataset.thumbnail.open("rb"))
    assert image.format == "PNG" and image.size == editor.THUMBNAIL_SIZE
    # The squares are drawn: the picture is not a blank canvas.
    colours = image.convert("RGB").getcolors(maxcolors=100_000)
    assert len(colours) > 2

    client.force_login(producer_a)
    response = client.get(f"/donnees/{dataset.pk}/vignette.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert f'src="/donnees/{dataset.pk}/vignette.png"' in client.get(f"/donnees/{dataset.pk}/").content.decode()

    client.force_login(producer_b)
    assert client.get(f"/donnees/{dataset.pk}/vignette.png").status_code == 404
    client.logout()
    assert client.get(f"/donnees/{dataset.pk}/vignette.png").status_code == 404
    assert client.get(f"/media/{dataset.thumbnail.name}").status_code == 404
    Dataset.objects.filter(pk=dataset.pk).update(public=True)
    assert client.get(f"/donnees/{dataset.pk}/vignette.png").status_code == 200


def test_thumbnail_needs_the_right_to_see_the_data_not_only_the_record(client, producer_a, dataset):
    """A record shown to everyone whose data stay private: its thumbnail (a picture of the data) is not shown."""
    assert editor.generate_thumbnail(dataset) is True
    Grant.objects.create(dataset=dataset, action=Grant.Action.VIEW_METADATA, grantee=Grant.Grantee.ANYONE)
    assert client.get(f"/donnees/{dataset.pk}/").status_code == 200
    assert client.get(f"/donnees/{dataset.pk}/vignette.png").status_code == 404
    assert "vignette.png" not in client.get(f"/donnees/{dataset.pk}/").content.decode()
    dataset.refresh_from_db()
    assert "vignette.png" not in dataset.iso_xml  # the public ISO document (CSW) does not link it either
    Grant.objects.create(dataset=dataset, action=Grant.Action.VIEW_DATA, grantee=Grant.Grantee.ANYONE)
    assert client.get(f"/donnees/{dataset.pk}/vignette.png").status_code == 200
    dataset.refresh_from_db()
    assert f"/donnees/{dataset.pk}/vignette.png" in dataset.iso_xml


def test_thumbnail_button_runs_the_celery_task(client, producer_a, dataset, celery_worker):
    import time

    client.force_login(producer_a)
    response = client.post(f"/donnees/{dataset.pk}/vignette/", follow=True)
    assert "en cours de fabrication" in response.content.decode()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Dataset.objects.get(pk=dataset.pk).thumbnail:
        time.sleep(0.3)
    assert Dataset.objects.get(pk=dataset.pk).thumbnail
    assert client.get(f"/donnees/{dataset.pk}/vignette.png").status_code == 200


def test_record_without_data_has_no_thumbnail(client, producer_a, organisations):
    record = Dataset.objects.create(title="Service", organisation=organisations["a"], resource_type="service")
    assert editor.generate_thumbnail(record) is False
    client.force_login(producer_a)
    response = client.post(f"/donnees/{record.pk}/vignette/", follow=True)
    assert "importez-les d&#x27;abord" in response.content.decode()
    assert client.get(f"/donnees/{record.pk}/vignette.png").status_code == 404
