"""Platform settings: checked on input (contrast, extent, base maps), and shown at once on every page."""

import pytest
from django.core.cache import cache

from geoplatform.administration import SETTINGS_CACHE_KEY
from geoplatform.models import AuditEvent, PlatformSettings

pytestmark = pytest.mark.django_db

URL = "/administration/reglages/"


@pytest.fixture(autouse=True)
def fresh_settings_cache():
    """The cached settings row outlives the test's rolled-back database: forget it on both sides."""
    cache.delete(SETTINGS_CACHE_KEY)
    yield
    cache.delete(SETTINGS_CACHE_KEY)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _post(client, **fields):
    return client.post(URL, {"name": "", "primary_color": "", **fields})


def test_pale_colour_is_refused_with_its_ratio(admin_client):
    response = _post(admin_client, primary_color="#ffd43b")
    page = response.content.decode()
    assert response.status_code == 200
    assert "contraste de 1,42:1" in page and "il faut au moins 4,5:1" in page
    assert PlatformSettings.load().primary_color == ""


def test_middle_grey_is_refused_for_text_on_it(admin_client):
    # #777777 is 4.48:1 against white and 3.9:1 against near-black: no text reads well on it.
    page = _post(admin_client, primary_color="#777777").content.decode()
    assert "Le texte sur cette couleur" in page or "sur fond blanc" in page


def test_bad_hex_is_refused(admin_client):
    page = _post(admin_client, primary_color="#12345g").content.decode()
    assert "Indiquez une couleur hexadécimale" in page


def test_dark_colour_is_accepted_and_themes_the_pages(admin_client, client):
    response = _post(admin_client, primary_color="#0B5D1E", name="GéoVal", tagline="Les données du Val")
    assert response.status_code == 302
    assert PlatformSettings.load().primary_color == "#0b5d1e"
    home = client.get("/").content.decode()
    assert "--gp-primary: #0b5d1e" in home
    assert "GéoVal" in home and "Les données du Val" in home
    event = AuditEvent.objects.get(action="settings.update")
    assert event.before["primary_color"] == "" and event.after["primary_color"] == "#0b5d1e"


def test_home_text_and_legal_pages(admin_client, client):
    _post(
        admin_client,
        home_text="Bienvenue sur la plateforme.\n\nDeuxième paragraphe.",
        legal_notice="Éditeur : Région <b>Val</b>\nHébergeur : Exemple SAS",
        terms_of_use="Les données sont sous Licence Ouverte 2.0.",
        contact_email="sig@region.example.org",
    )
    client.logout()
    response = client.get("/")
    assert response.context["PLATFORM_HOME_TEXT"] == "Bienvenue sur la plateforme.\n\nDeuxième paragraphe."
    assert 'href="/mentions-legales/"' in response.content.decode()

    legal = client.get("/mentions-legales/").content.decode()
    assert "Éditeur : Région &lt;b&gt;Val&lt;/b&gt;<br>Hébergeur : Exemple SAS" in legal
    assert "<b>Val</b>" not in legal
    assert "sig@region.example.org" in legal
    terms = client.get("/conditions-utilisation/").content.decode()
    assert "<p>Les données sont sous Licence Ouverte 2.0.</p>" in terms


def test_legal_page_before_it_is_written(client):
    page = client.get("/mentions-legales/").content.decode()
    assert "Ce texte n&#x27;a pas encore été rédigé" in page or "Ce texte n'a pas encore été rédigé" in page


def test_no_query_for_the_settings_once_cached(client, django_assert_max_num_queries):
    client.get("/")
    with django_assert_max_num_queries(50) as captured:
        client.get("/")
    assert not [q for q in captured.captured_queries if "geoplatform_platformsettings" in q["sql"]]


def test_extent_and_base_maps(admin_client):
    base_maps = '[{"name": "Plan", "type": "xyz", "url": "https://tiles.example.org/{z}/{x}/{y}.png"}]'
    response = _post(admin_client, west="0.05", south="46.3", east="3.13", north="48.95", base_maps_json=base_maps)
    assert response.status_code == 302
    current = PlatformSettings.load()
    assert current.default_extent == [0.05, 46.3, 3.13, 48.95]
    assert current.base_maps == [{"name": "Plan", "type": "xyz", "url": "https://tiles.example.org/{z}/{x}/{y}.png"}]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"west": "3", "south": "46", "east": "1", "north": "48"}, "La borne est doit être plus grande"),
        ({"west": "200", "south": "46", "east": "1", "north": "48"}, "180"),
        ({"west": "1", "south": "46"}, "ses quatre bornes"),
        ({"base_maps_json": "[{"}, "JSON illisible"),
        ({"base_maps_json": '[{"name": "A", "type": "tms", "url": "https://a.example"}]'}, "« type » vaut"),
        ({"base_maps_json": '[{"name": "A", "type": "wms", "url": "https://a.example"}]'}, "« layers »"),
        ({"base_maps_json": '[{"name": "A", "type": "xyz", "url": "javascript:alert(1)"}]'}, "« url »"),
        ({"base_maps_json": '[{"name": "A", "type": "wmts", "url": "https://a.example", "x": 1}]'}, "« x »"),
    ],
)
def test_bad_extent_or_base_maps_are_refused(admin_client, fields, message):
    response = _post(admin_client, **fields)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert PlatformSettings.load().default_extent == [] and PlatformSettings.load().base_maps == []


def test_logo_is_an_image_only(admin_client, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.geoplatform.test_administration_organisations import png

    svg = SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', content_type="image/svg+xml")
    assert _post(admin_client, logo=svg).status_code == 200
    assert not PlatformSettings.load().logo
    assert _post(admin_client, logo=SimpleUploadedFile("logo.png", png())).status_code == 302
    logo = PlatformSettings.load().logo
    assert logo.name.startswith("platform/plateforme") and logo.name.endswith(".png")
    assert f'src="{logo.url}"' in client.get("/").content.decode()
