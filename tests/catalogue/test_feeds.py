"""The RSS and Atom feeds of new and updated records, and the sitemap: public records only, newest update first."""

from datetime import timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from catalogue.models import Dataset, Grant

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def records(organisations):
    now = timezone.now()
    made = {
        "old": Dataset.objects.create(title="Cadastre ancien", organisation=organisations["a"], public=True),
        "new": Dataset.objects.create(title="Cadastre récent", organisation=organisations["a"], public=True),
        "private": Dataset.objects.create(title="Cadastre interne", organisation=organisations["a"]),
        "granted": Dataset.objects.create(title="Cadastre partagé", organisation=organisations["b"]),
    }
    Grant.objects.create(dataset=made["granted"], action="view_metadata", grantee="anyone")
    for age, key in enumerate(["new", "private", "granted", "old"]):
        Dataset.objects.filter(pk=made[key].pk).update(updated_at=now - timedelta(days=age))
    return made


def test_rss_lists_public_records_newest_update_first(client, records, producer_a):
    client.force_login(producer_a)  # the feed is what anonymous visitors see, whoever reads it
    response = client.get("/donnees/flux.rss")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/rss+xml")
    channel = ElementTree.fromstring(response.content).find("channel")
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == ["Cadastre récent", "Cadastre partagé", "Cadastre ancien"]
    assert items[0].findtext("link").endswith(f"/donnees/{records['new'].pk}/")
    assert items[0].findtext("guid") == f"urn:uuid:{records['new'].uuid}"
    assert "Cadastre interne" not in response.content.decode()


def test_atom_lists_public_records_with_their_update_date(client, records):
    response = client.get("/donnees/flux.atom")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    entries = ElementTree.fromstring(response.content).findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        "Cadastre récent",
        "Cadastre partagé",
        "Cadastre ancien",
    ]
    updated = Dataset.objects.get(pk=records["new"].pk).updated_at
    assert entries[0].findtext(f"{ATOM}updated") == updated.isoformat()
    assert entries[0].find(f"{ATOM}author").findtext(f"{ATOM}name") == "Commune A"
    assert "Cadastre interne" not in response.content.decode()


def test_a_record_made_private_leaves_the_feeds(client, records):
    records["new"].public = False
    records["new"].save()
    for url in ("/donnees/flux.rss", "/donnees/flux.atom"):
        assert "Cadastre récent" not in client.get(url).content.decode()


def test_sitemap_lists_pages_and_public_records_with_lastmod(client, records):
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    sections = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert any(url.endswith("/sitemap-pages.xml") for url in sections)
    assert any(url.endswith("/sitemap-records.xml") for url in sections)

    pages = ElementTree.fromstring(client.get("/sitemap-pages.xml").content)
    assert sorted(urlsplit(loc.text).path for loc in pages.iter(f"{SITEMAP}loc")) == ["/", "/donnees/"]

    listed = ElementTree.fromstring(client.get("/sitemap-records.xml").content)
    urls = {urlsplit(u.findtext(f"{SITEMAP}loc")).path: u.findtext(f"{SITEMAP}lastmod") for u in listed}
    expected = {f"/donnees/{records[key].pk}/" for key in ("old", "new", "granted")}
    assert set(urls) == expected
    newest = Dataset.objects.get(pk=records["new"].pk).updated_at
    assert urls[f"/donnees/{records['new'].pk}/"] == newest.date().isoformat()
