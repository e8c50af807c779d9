"""The download pages: the dataset page's form, the basket, "Mes téléchargements" (engine: tests/downloads/*)."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalogue.models import Dataset
from downloads import services
from downloads.models import BasketItem, DownloadJob
from tests.downloads.conftest import CLIP_BOX, data_file, read_features, unzip
from tests.downloads.test_clip import communes  # noqa: F401  (the communes reference layer fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _extract(client, dataset, action="now", **fields):
    return client.post(f"/donnees/{dataset.pk}/telecharger/choix/", {"action": action, "clip": "none", **fields})


def test_dataset_page_offers_the_download_form(client, producer_a, parcels):
    client.force_login(producer_a)
    page = client.get(f"/donnees/{parcels.pk}/").content.decode()
    assert "data-download-panel" in page
    for name in ("shp", "gpkg", "geojson", "kml", "fgb"):
        assert f'<option value="{name}"' in page
    assert '<option value="tif"' not in page  # raster formats are not offered for a vector dataset
    assert "EPSG:2154 — RGF93 v1 / Lambert-93" in page and "EPSG:4326" in page
    assert 'data-download-clip="extent"' in page  # the page has a map: its extent can be the clip
    assert "Télécharger maintenant" in page and "Ajouter au panier" in page


def test_anonymous_visitors_are_asked_to_log_in_for_data_that_is_not_open(client, parcels):
    Dataset.objects.filter(pk=parcels.pk).update(public=True, licence=Dataset.Licence.OTHER)
    page = client.get(f"/donnees/{parcels.pk}/").content.decode()
    assert "data-download-panel" in page and "data-download-form" not in page
    assert f"/comptes/login/?next=/donnees/{parcels.pk}/" in page
    response = _extract(client, parcels)
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")


def test_download_now_streams_the_zip_in_the_chosen_crs(client, producer_a, parcels, tmp_path):
    client.force_login(producer_a)
    response = _extract(client, parcels, format="geojson", srid="4326")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    files = unzip(b"".join(response.streaming_content), tmp_path)
    epsg, rows, _geometries = read_features(data_file(files, "geojson"))
    assert epsg == 4326 and len(rows) == 12


def test_a_large_extract_asked_now_is_prepared_in_the_background(client, producer_a, parcels, settings):
    settings.GP_DOWNLOAD_DIRECT_MAX_FEATURES = 5
    client.force_login(producer_a)
    response = _extract(client, parcels, format="gpkg", srid="2154")
    assert response["Location"] == "/telechargements/"
    job = DownloadJob.objects.get(user=producer_a)
    assert job.mode == "deferred"
    page = client.get("/telechargements/").content.decode()
    assert "elle est préparée en différé" in page and f'id="download-{job.pk}"' in page


def test_map_extent_and_commune_names_become_clips(client, producer_a, parcels, communes, tmp_path):  # noqa: F811
    client.force_login(producer_a)
    # Commune "Bléré" (37002) spans x 526000-527000: square 1 lies inside it; the name is found without accents.
    response = _extract(client, parcels, format="gpkg", srid="2154", clip="communes", communes="blere")
    files = unzip(b"".join(response.streaming_content), tmp_path / "commune")
    _epsg, rows, _geometries = read_features(data_file(files, "gpkg"))
    assert [row["code"] for row in rows] == [1]

    response = _extract(client, parcels, format="gpkg", srid="2154", clip="communes", communes="Atlantis")
    assert response.status_code == 400
    assert "Commune inconnue : « Atlantis »." in response.content.decode()

    response = _extract(client, parcels, format="gpkg", srid="2154", clip="extent", bbox="")
    assert response.status_code == 400
    assert "L&#x27;emprise de la carte n&#x27;est pas connue" in response.content.decode()


def test_uploaded_geometry_file_is_the_clip(client, producer_a, parcels, tmp_path):
    from django.contrib.gis.geos import Polygon

    client.force_login(producer_a)
    area = Polygon.from_bbox(CLIP_BOX)
    area.srid = 2154
    area.transform(4326)
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": json.loads(area.geojson)}]}
    upload = SimpleUploadedFile("zone.geojson", json.dumps(collection).encode(), "application/geo+json")
    response = _extract(client, parcels, format="gpkg", srid="2154", clip="file", geometry_file=upload)
    assert response.status_code == 200, response.content
    files = unzip(b"".join(response.streaming_content), tmp_path)
    _epsg, rows, _geometries = read_features(data_file(files, "gpkg"))
    assert sorted(row["code"] for row in rows) == [0, 1, 2, 4, 5, 6]

    bad = SimpleUploadedFile("zone.geojson", b"<svg/>", "application/geo+json")
    response = _extract(client, parcels, format="gpkg", srid="2154", clip="file", geometry_file=bad)
    assert response.status_code == 400 and "n&#x27;est pas un GeoJSON lisible" in response.content.decode()


def test_basket_is_ordered_as_one_zip(client, producer_a, parcels, trees, tmp_path):
    client.force_login(producer_a)
    assert (
        _extract(client, parcels, action="basket", format="shp", srid="2154")["Location"] == "/telechargements/panier/"
    )
    assert _extract(client, trees, action="basket", format="csv", srid="4326").status_code == 302
    assert _extract(client, trees, action="basket", format="kml", srid="2154").status_code == 302
    page = client.get("/telechargements/panier/").content.decode()
    assert "3 jeux de données dans le panier" in page
    assert "Parcelles cadastrales" in page and "Shapefile (ESRI) (shp)" in page and "CSV (csv)" in page
    assert "EPSG:4326 — WGS 84" in page  # KML is always in longitude/latitude, whatever was asked

    kml = BasketItem.objects.get(format="kml")
    assert kml.srid == 4326
    assert client.post(f"/telechargements/panier/{kml.pk}/retirer/").status_code == 302
    assert "2 jeux de données dans le panier" in client.get("/telechargements/panier/").content.decode()

    response = client.post("/telechargements/panier/commander/")
    assert response["Location"] == "/telechargements/"
    assert "Votre panier est vide." in client.get("/telechargements/panier/").content.decode()
    job = DownloadJob.objects.get(user=producer_a)
    assert [(item["format"], item["srid"]) for item in job.items] == [("shp", 2154), ("csv", 4326)]

    services.run_job(str(job.pk))  # what the worker runs (the browser test runs it in the real worker)
    page = client.get("/telechargements/").content.decode()
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert "Télécharger le fichier zip" in page and "Disponible jusqu'au" in page
    link = re.search(r'href="[^"]*(/telechargements/fichier/[^"/]+/)" data-download-link', page)[1]
    files = unzip(b"".join(client.get(link).streaming_content), tmp_path)
    assert {path.suffix for path in files.values()} >= {".shp", ".csv", ".xml", ".txt"}


def test_ordering_an_empty_basket_says_so(client, producer_a):
    client.force_login(producer_a)
    response = client.post("/telechargements/panier/commander/", follow=True)
    assert "Votre panier est vide." in response.content.decode()
    assert not DownloadJob.objects.exists()


def test_anonymous_basket_of_open_data_belongs_to_the_session(client, parcels):
    Dataset.objects.filter(pk=parcels.pk).update(public=True)
    assert _extract(client, parcels, action="basket", format="gpkg", srid="2154").status_code == 302
    assert "Parcelles cadastrales" in client.get("/telechargements/panier/").content.decode()
    assert "Votre panier est vide." in Client().get("/telechargements/panier/").content.decode()
    item = BasketItem.objects.get()
    assert Client().post(f"/telechargements/panier/{item.pk}/retirer/").status_code == 404
    assert BasketItem.objects.count() == 1
    response = client.post("/telechargements/panier/commander/")
    job = DownloadJob.objects.get()
    assert response["Location"] == f"/telechargements/{job.pk}/"  # visitors follow the job on its own page
    assert client.get("/telechargements/").status_code == 302  # "Mes téléchargements" needs an account


def test_my_downloads_shows_progress_errors_in_french_and_cancels(client, producer_a, producer_b, parcels):
    item = {"dataset": parcels.pk, "format": "gpkg", "srid": 2154, "clip": None}
    running = DownloadJob.objects.create(user=producer_a, items=[item], status="running", progress=42)
    failed = DownloadJob.objects.create(
        user=producer_a, items=[item], status="failed", error_code="internal_error",
        error_message="Le téléchargement n'a pas pu être préparé à cause d'une erreur du serveur.",
    )  # fmt: skip
    client.force_login(producer_a)
    page = client.get("/telechargements/").content.decode()
    assert 'aria-valuenow="42"' in page and f'hx-get="/telechargements/{running.pk}/ligne/"' in page
    assert 'data-job-error="internal_error">Le téléchargement n&#x27;a pas pu être préparé' in page
    assert 'id="download-announcer" class="visually-hidden" aria-live="polite"' in page
    assert f"/telechargements/{failed.pk}/ligne/" not in page  # a finished job is not polled

    row = client.post(f"/telechargements/{running.pk}/ligne/", headers={"HX-Request": "true"}).content.decode()
    assert 'data-job-status="cancelled"' in row and "Téléchargement annulé." in row
    assert 'hx-swap-oob="innerHTML"' in row  # the live region hears how it ended

    other = Client()
    other.force_login(producer_b)
    assert other.get(f"/telechargements/{failed.pk}/ligne/").status_code == 404
    assert "Vous n'avez encore rien téléchargé." in other.get("/telechargements/").content.decode()


def test_a_dataset_one_may_no_longer_see_keeps_its_title_private(client, reader, parcels):
    DownloadJob.objects.create(user=reader, items=[{"dataset": parcels.pk, "format": "gpkg", "srid": 2154}])
    client.force_login(reader)
    page = client.get("/telechargements/").content.decode()
    assert "Jeu de données non disponible" in page and parcels.title not in page
