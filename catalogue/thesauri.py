"""The thesauri records draw keywords from: the 34 INSPIRE themes, the ISO 19115 topic categories and a GEMET subset.

Each entry is (code, French label, English label, URI). The citations are what ISO 19139 and DCAT exports name.
"""

INSPIRE_THEME_CITATION = ("GEMET - INSPIRE themes, version 1.0", "2008-06-01")
INSPIRE_THEME_REGISTRY = "http://inspire.ec.europa.eu/theme"
GEMET_CITATION = ("GEMET - Concepts, version 4.2.3", "2021-12-06")

INSPIRE_THEMES = [
    ("rs", "Référentiels de coordonnées", "Coordinate reference systems"),
    ("gg", "Systèmes de maillage géographique", "Geographical grid systems"),
    ("gn", "Dénominations géographiques", "Geographical names"),
    ("au", "Unités administratives", "Administrative units"),
    ("ad", "Adresses", "Addresses"),
    ("cp", "Parcelles cadastrales", "Cadastral parcels"),
    ("tn", "Réseaux de transport", "Transport networks"),
    ("hy", "Hydrographie", "Hydrography"),
    ("ps", "Sites protégés", "Protected sites"),
    ("el", "Altitude", "Elevation"),
    ("lc", "Occupation des terres", "Land cover"),
    ("oi", "Ortho-imagerie", "Orthoimagery"),
    ("ge", "Géologie", "Geology"),
    ("su", "Unités statistiques", "Statistical units"),
    ("bu", "Bâtiments", "Buildings"),
    ("so", "Sols", "Soil"),
    ("lu", "Usage des sols", "Land use"),
    ("hh", "Santé et sécurité des personnes", "Human health and safety"),
    ("us", "Services d'utilité publique et services publics", "Utility and governmental services"),
    ("ef", "Installations de suivi environnemental", "Environmental monitoring facilities"),
    ("pf", "Lieux de production et sites industriels", "Production and industrial facilities"),
    ("af", "Installations agricoles et aquacoles", "Agricultural and aquaculture facilities"),
    ("pd", "Répartition de la population — démographie", "Population distribution — demography"),
    (
        "am",
        "Zones de gestion, de restriction ou de réglementation et unités de déclaration",
        "Area management/restriction/regulation zones and reporting units",
    ),
    ("nz", "Zones à risque naturel", "Natural risk zones"),
    ("ac", "Conditions atmosphériques", "Atmospheric conditions"),
    ("mf", "Caractéristiques géographiques météorologiques", "Meteorological geographical features"),
    ("of", "Caractéristiques géographiques océanographiques", "Oceanographic geographical features"),
    ("sr", "Régions maritimes", "Sea regions"),
    ("br", "Régions biogéographiques", "Bio-geographical regions"),
    ("hb", "Habitats et biotopes", "Habitats and biotopes"),
    ("sd", "Répartition des espèces", "Species distribution"),
    ("er", "Sources d'énergie", "Energy resources"),
    ("mr", "Ressources minérales", "Mineral resources"),
]

ISO_TOPIC_CATEGORIES = [
    ("farming", "Agriculture", "Farming"),
    ("biota", "Flore et faune", "Biota"),
    ("boundaries", "Limites politiques et administratives", "Boundaries"),
    ("climatologyMeteorologyAtmosphere", "Climatologie, météorologie", "Climatology, meteorology, atmosphere"),
    ("economy", "Économie", "Economy"),
    ("elevation", "Topographie", "Elevation"),
    ("environment", "Ressources et gestion de l'environnement", "Environment"),
    ("geoscientificInformation", "Géosciences", "Geoscientific information"),
    ("health", "Santé", "Health"),
    ("imageryBaseMapsEarthCover", "Carte de référence de la couverture terrestre", "Imagery, base maps, earth cover"),
    ("intelligenceMilitary", "Infrastructures militaires", "Intelligence, military"),
    ("inlandWaters", "Hydrographie", "Inland waters"),
    ("location", "Localisation", "Location"),
    ("oceans", "Océans", "Oceans"),
    ("planningCadastre", "Planification et aménagement du territoire", "Planning, cadastre"),
    ("society", "Société", "Society"),
    ("structure", "Aménagements urbains", "Structure"),
    ("transportation", "Infrastructures de transport", "Transportation"),
    ("utilitiesCommunication", "Réseaux de télécommunication, d'énergie", "Utilities, communication"),
]

# The GEMET concepts regional producers use most; labels as GEMET gives them.
GEMET_CONCEPTS = [
    ("agriculture", "agriculture", "agriculture"),
    ("air-quality", "qualité de l'air", "air quality"),
    ("biodiversity", "biodiversité", "biodiversity"),
    ("building", "bâtiment", "building"),
    ("cadastre", "cadastre", "cadastre"),
    ("climate", "climat", "climate"),
    ("coast", "côte", "coast"),
    ("drinking-water", "eau potable", "drinking water"),
    ("economic-activity", "activité économique", "economic activity"),
    ("energy", "énergie", "energy"),
    ("flood", "inondation", "flood"),
    ("forest", "forêt", "forest"),
    ("groundwater", "eau souterraine", "groundwater"),
    ("habitat", "habitat", "habitat"),
    ("housing", "logement", "housing"),
    ("industrial-zone", "zone industrielle", "industrial zone"),
    ("land-use-planning", "aménagement du territoire", "land use planning"),
    ("landscape", "paysage", "landscape"),
    ("natural-risk", "risque naturel", "natural risk"),
    ("noise", "bruit", "noise"),
    ("nature-protection", "protection de la nature", "nature protection"),
    ("pollution", "pollution", "pollution"),
    ("population", "population", "population"),
    ("public-transport", "transport public", "public transport"),
    ("renewable-energy", "énergie renouvelable", "renewable energy"),
    ("river", "cours d'eau", "river"),
    ("road", "route", "road"),
    ("soil", "sol", "soil"),
    ("tourism", "tourisme", "tourism"),
    ("tree", "arbre", "tree"),
    ("urban-area", "zone urbaine", "urban area"),
    ("waste", "déchet", "waste"),
    ("water-management", "gestion de l'eau", "water management"),
    ("wetland", "zone humide", "wetland"),
]


# Licence code (Dataset.Licence) -> (URI, title): what ISO 19139, DCAT-AP and schema.org documents name.
LICENCES = {
    "lo-2.0": (
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "Licence Ouverte / Open Licence version 2.0",
    ),
    "odbl-1.0": ("https://opendatacommons.org/licenses/odbl/1-0/", "Open Database License (ODbL) 1.0"),
    "cc-by-4.0": ("https://creativecommons.org/licenses/by/4.0/", "Creative Commons Attribution 4.0 (CC BY 4.0)"),
    "cc0-1.0": ("https://creativecommons.org/publicdomain/zero/1.0/", "Creative Commons Zero 1.0 (CC0 1.0)"),
}


def inspire_theme_uri(code: str) -> str:
    return f"{INSPIRE_THEME_REGISTRY}/{code}"


def entries() -> list[tuple[str, str, str, str, str]]:
    """Every thesaurus keyword as (thesaurus, code, label, English label, URI)."""
    rows = [("inspire_theme", code, fr, en, inspire_theme_uri(code)) for code, fr, en in INSPIRE_THEMES]
    rows += [("iso_topic", code, fr, en, "") for code, fr, en in ISO_TOPIC_CATEGORIES]
    rows += [("gemet", code, fr, en, "") for code, fr, en in GEMET_CONCEPTS]
    return rows


def load(keyword_model=None) -> None:
    """Create or update every thesaurus keyword (idempotent); the migration passes its historical model."""
    if keyword_model is None:
        from .models import Keyword as keyword_model
    for thesaurus, code, label, label_en, uri in entries():
        keyword_model.objects.update_or_create(
            thesaurus=thesaurus, code=code, defaults={"label": label, "label_en": label_en, "uri": uri}
        )
