"""Searching the catalogue, on the page and through the API: French full text, facets, spatial filter, sort and
pages, every count holding only the records the person may see."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from catalogue import search
from catalogue.models import Dataset, Keyword
from geoplatform.models import PlatformSettings
from tests.conftest import token_client

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()


def record(organisation, title: str, **fields) -> Dataset:
    fields.setdefault("public", True)
    return Dataset.objects.create(title=title, organisation=organisation, **fields)


def find(user, query: str) -> search.SearchResult:
    return search.search(user, search.criteria_from(QueryDict(query), user))


def titles(result: search.SearchResult) -> list[str]:
    return [dataset.title for dataset in result.page.items]


def facet(result: search.SearchResult, name: str) -> dict[str, tuple[int, bool]]:
    values = next((f.values for f in result.facets if f.name == name), [])
    return {v.value: (v.count, v.selected) for v in values}


def test_accents_and_plurals_are_ignored(organisations):
    record(organisations["a"], "Forêts domaniales")
    record(organisations["a"], "Arbre remarquable", abstract="Un chêne isolé.")
    record(organisations["a"], "Routes départementales")

    assert titles(find(ANONYMOUS, "q=foret")) == ["Forêts domaniales"]
    assert titles(find(ANONYMOUS, "q=FORÊT")) == ["Forêts domaniales"]
    assert titles(find(ANONYMOUS, "q=arbres")) == ["Arbre remarquable"]
    assert titles(find(ANONYMOUS, "q=chene")) == ["Arbre remarquable"]
    assert titles(find(ANONYMOUS, "q=route+-departementale")) == []


def test_last_word_matches_as_a_prefix(organisations):
    record(organisations["a"], "Zones inondables du Cher")
    record(organisations["a"], "Zones humides")

    assert titles(find(ANONYMOUS, "q=zones+inond")) == ["Zones inondables du Cher"]
    assert set(titles(find(ANONYMOUS, "q=zon"))) == {"Zones inondables du Cher", "Zones humides"}


def test_keywords_and_organisation_names_are_searched(organisations):
    hydro = record(organisations["a"], "Cours d'eau")
    hydro.keywords.add(Keyword.objects.get(thesaurus="inspire_theme", code="hy"))
    record(organisations["b"], "Collèges")
    record(organisations["a"], "Écoles")

    assert titles(find(ANONYMOUS, "q=hydrographie")) == ["Cours d'eau"]
    assert titles(find(ANONYMOUS, "q=departement")) == ["Collèges"]


def test_a_title_match_ranks_before_an_abstract_match(organisations):
    record(organisations["a"], "Haies bocagères", abstract="Inventaire du bocage.")
    record(organisations["a"], "Inventaire du patrimoine", abstract="Quelques haies.")

    assert titles(find(ANONYMOUS, "q=haies")) == ["Haies bocagères", "Inventaire du patrimoine"]


def test_facets_filter_and_count(organisations):
    theme = Keyword.objects.get(thesaurus="inspire_theme", code="hy")
    river = record(organisations["a"], "Rivières", licence="odbl-1.0", data_format="gpkg")
    river.keywords.add(theme)
    record(organisations["a"], "Carte des rivières", resource_type="map")
    record(organisations["b"], "Série des rivières", resource_type="series", licence="odbl-1.0")
    record(organisations["b"], "Routes")

    everything = find(ANONYMOUS, "q=riviere")
    assert everything.total == 3
    assert facet(everything, "type") == {"dataset": (1, False), "map": (1, False), "series": (1, False)}
    assert facet(everything, "organisation") == {"commune-a": (2, False), "departement-b": (1, False)}
    assert facet(everything, "licence") == {"lo-2.0": (1, False), "odbl-1.0": (2, False)}
    assert facet(everything, "theme") == {"hy": (1, False)}
    assert facet(everything, "format") == {"gpkg": (1, False)}
    labels = {v.value: v.label for f in everything.facets for v in f.values}
    assert labels["commune-a"] == "Commune A" and labels["hy"] == "Hydrographie"

    maps = find(ANONYMOUS, "q=riviere&type=map")
    assert titles(maps) == ["Carte des rivières"]
    # The other types keep the count they would add (OR within a facet), the other facets follow the filter.
    assert facet(maps, "type") == {"dataset": (1, False), "map": (1, True), "series": (1, False)}
    assert facet(maps, "organisation") == {"commune-a": (1, False)}

    either = find(ANONYMOUS, "q=riviere&type=map&type=series")
    assert sorted(titles(either)) == ["Carte des rivières", "Série des rivières"]
    both = find(ANONYMOUS, "q=riviere&type=map,series&licence=odbl-1.0")
    assert titles(both) == ["Série des rivières"]
    assert find(ANONYMOUS, "theme=hy").total == 1


def test_counts_only_hold_what_the_person_may_see(organisations, producer_a, reader):
    record(organisations["a"], "Parcelles publiques")
    record(organisations["a"], "Parcelles privées", public=False)

    for user in (ANONYMOUS, reader):
        result = find(user, "q=parcelles")
        assert result.total == 1 and titles(result) == ["Parcelles publiques"]
        assert facet(result, "access") == {"open": (1, False)}
        assert facet(result, "organisation") == {"commune-a": (1, False)}
        assert find(user, "access=restricted").total == 0
    owner = find(producer_a, "q=parcelles")
    assert owner.total == 2
    assert facet(owner, "access") == {"open": (1, False), "restricted": (1, False)}
    assert titles(find(producer_a, "access=restricted")) == ["Parcelles privées"]


def test_box_filter(organisations):
    record(organisations["a"], "Orléans", bbox_wgs84=[1.85, 47.85, 1.98, 47.95])
    record(organisations["a"], "Tours", bbox_wgs84=[0.63, 47.35, 0.75, 47.43])
    record(organisations["a"], "Région", bbox_wgs84=[0.05, 46.35, 3.13, 48.94])
    record(organisations["a"], "Sans emprise")

    assert sorted(titles(find(ANONYMOUS, "bbox=1.8,47.8,2.0,48.0"))) == ["Orléans", "Région"]
    assert titles(find(ANONYMOUS, "bbox=-1,43,-0.5,44")) == []
    refused = search.criteria_from(QueryDict("bbox=3,48,1,47"), AnonymousUser())
    assert refused.bbox is None and refused.problems[0].code == "invalid_bbox"


@pytest.fixture
def communes(organisations):
    """A communes reference layer in schema `layers` (Orléans and Tours as rough squares, Lambert-93)."""
    table = f"test_communes_{connection.settings_dict['NAME'][-12:]}"
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE {settings.LAYERS_SCHEMA}."{table}" (insee text, nom text, geom geometry(Polygon, 2154))'
        )
        cursor.execute(
            f'INSERT INTO {settings.LAYERS_SCHEMA}."{table}" VALUES '
            "('45234', 'Orléans', ST_MakeEnvelope(612000, 6747000, 624000, 6758000, 2154)),"
            "('37261', 'Tours', ST_MakeEnvelope(520000, 6700000, 530000, 6708000, 2154))"
        )
    layer = record(organisations["b"], "Communes", public=True, table_name=table, srid=2154, version=1)
    PlatformSettings.objects.update_or_create(pk=1, defaults={"communes_dataset": layer})
    return layer


def test_commune_filter(organisations, communes):
    record(organisations["a"], "Orléans centre", bbox_wgs84=[1.90, 47.89, 1.92, 47.91])
    record(organisations["a"], "Tours centre", bbox_wgs84=[0.68, 47.38, 0.70, 47.40])

    for typed in ("Orléans", "orleans", "45234", "Orléans (45234)"):
        result = find(ANONYMOUS, urlencode({"commune": typed}))
        assert titles(result) == ["Orléans centre"], typed
        assert result.criteria.commune_label == "Orléans (45234)"
    unknown = search.criteria_from(QueryDict("commune=Paris"), AnonymousUser())
    assert unknown.bbox is None and unknown.problems[0].code == "unknown_commune"


def test_commune_filter_reads_the_layer_only_for_those_who_may_see_it(organisations, communes, producer_b):
    """The lookup reads the communes' data: a private reference layer tells nothing to others."""
    Dataset.objects.filter(pk=communes.pk).update(public=False)
    refused = search.criteria_from(QueryDict("commune=Orléans"), AnonymousUser())
    assert refused.bbox is None and refused.problems[0].code == "no_communes"
    allowed = search.criteria_from(QueryDict("commune=Orléans"), producer_b)
    assert allowed.commune_label == "Orléans (45234)" and not allowed.problems


def test_sort(organisations):
    now = timezone.now()
    older = record(organisations["a"], "Écoles", published_at=now - timedelta(days=30))
    newer = record(organisations["a"], "bâtiments", published_at=now - timedelta(days=1))
    record(organisations["a"], "Cantons")
    Dataset.objects.filter(pk=newer.pk).update(updated_at=now - timedelta(days=10))
    Dataset.objects.filter(pk=older.pk).update(updated_at=now - timedelta(days=5))

    assert titles(find(ANONYMOUS, "sort=title")) == ["bâtiments", "Cantons", "Écoles"]
    assert titles(find(ANONYMOUS, "sort=updated")) == ["Cantons", "Écoles", "bâtiments"]
    assert titles(find(ANONYMOUS, "sort=published")) == ["bâtiments", "Écoles", "Cantons"]
    assert find(ANONYMOUS, "").criteria.effective_sort == "updated"
    assert find(ANONYMOUS, "q=ecole").criteria.effective_sort == "relevance"


def test_pages_of_twenty(organisations):
    for number in range(45):
        record(organisations["a"], f"Plan {number:02d}")

    first = find(ANONYMOUS, "sort=title")
    assert first.total == 45 and first.page.num_pages == 3 and titles(first)[0] == "Plan 00"
    last = find(ANONYMOUS, "sort=title&page=3")
    assert titles(last) == [f"Plan {n}" for n in range(40, 45)] and not last.page.has_next
    assert find(ANONYMOUS, "sort=title&page=99").page.number == 3


def test_search_page_works_without_javascript(client, organisations, producer_a):
    record(organisations["a"], "Forêts publiques", resource_type="map")
    record(organisations["a"], "Forêts privées", public=False)
    record(organisations["b"], "Forêts du département")

    html = client.get("/donnees/", {"q": "foret", "organisation": "commune-a"}).content.decode()
    assert "1 jeu de données" in html
    assert "Forêts publiques" in html and "Forêts privées" not in html and "Forêts du département" not in html
    assert 'name="organisation" value="commune-a"' in html and "checked" in html
    assert '<legend class="h6 fw-semibold">Organisation</legend>' in html
    assert 'rel="alternate" type="application/rss+xml"' in html

    client.force_login(producer_a)
    html = client.get("/donnees/", {"q": "foret", "organisation": "commune-a"}).content.decode()
    assert "2 jeux de données" in html and "Forêts privées" in html and "Restreint" in html


def test_api_uses_the_same_engine(api_client, organisations, producer_a):
    record(organisations["a"], "Forêts publiques", resource_type="map")
    record(organisations["a"], "Forêts privées", public=False)
    record(organisations["b"], "Forêts du département")
    record(organisations["b"], "Routes")

    body = api_client.get("/api/v1/datasets/", {"q": "foret", "type": "map,dataset"}).json()
    page = find(ANONYMOUS, "q=foret&type=map,dataset")
    assert body["count"] == page.total == 2
    assert [item["title"] for item in body["results"]] == titles(page)
    facets = {f["name"]: {v["value"]: (v["count"], v["selected"]) for v in f["values"]} for f in body["facets"]}
    assert facets["type"] == facet(page, "type") == {"dataset": (1, True), "map": (1, True)}
    assert facets["access"] == {"open": (2, False)}

    owner = token_client(producer_a).get("/api/v1/datasets/", {"q": "foret", "access": "restricted"}).json()
    assert [item["title"] for item in owner["results"]] == ["Forêts privées"]

    refused = api_client.get("/api/v1/datasets/", {"bbox": "nord"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_bbox"


def test_api_pages_keep_the_rest_framework_shape(api_client, organisations):
    for number in range(55):
        record(organisations["a"], f"Plan {number:02d}")

    first = api_client.get("/api/v1/datasets/", {"sort": "title"}).json()
    assert first["count"] == 55 and len(first["results"]) == 50 and first["previous"] is None
    assert "page=2" in first["next"] and "sort=title" in first["next"]
    second = api_client.get(first["next"]).json()
    assert [item["title"] for item in second["results"]] == [f"Plan {n}" for n in range(50, 55)]
    assert second["next"] is None and "page=" not in second["previous"]
    assert api_client.get("/api/v1/datasets/", {"page": 3}).status_code == 404
