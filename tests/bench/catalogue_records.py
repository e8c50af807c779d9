"""Generated catalogue records for the search benchmark: 10,000 or 100,000 rows written by SQL in one go.

Every row is a copy of one real record (made through the ORM, so its ISO 19139 document and defaults are ours)
with its own uuid, title, abstract, organisation, visibility, dates and extent; keywords are drawn from the thesauri.
The derived search state is then computed by the same `records.refresh()` every save uses.
"""

from django.db import connection
from psycopg import sql

from catalogue import records
from catalogue.models import Dataset, Keyword

SUBJECTS = [
    "Arbres remarquables", "Forêts publiques", "Haies bocagères", "Cours d'eau", "Zones humides",
    "Parcelles agricoles", "Bâtiments publics", "Routes départementales", "Écoles et collèges",
    "Risques d'inondation", "Plan local d'urbanisme", "Espaces naturels sensibles", "Pistes cyclables",
    "Éoliennes", "Captages d'eau potable", "Sites Natura 2000", "Monuments historiques", "Zones d'activités",
    "Réseau d'assainissement", "Occupation du sol",
]  # fmt: skip
PLACES = [
    "du Cher", "de l'Indre", "d'Indre-et-Loire", "du Loir-et-Cher", "du Loiret", "d'Eure-et-Loir", "de Bourges",
    "de Tours", "d'Orléans", "de Chartres", "de Blois", "de Châteauroux",
]  # fmt: skip
# The region's box in WGS84: each record gets a box of 0.05° to 0.5° inside it.
REGION = (0.05, 46.35, 3.13, 48.94)


def _literal_array(values: list[str]) -> sql.Composable:
    return sql.SQL("(ARRAY[{}])").format(sql.SQL(", ").join(sql.Literal(v) for v in values))


def generate(total: int, template: Dataset, organisation_ids: list[int], seed: float = 0.42) -> None:
    """Add `total` records copied from `template` (which stays as it is) and index them."""
    overrides = {
        "id": None,
        "uuid": sql.SQL("gen_random_uuid()"),
        "title": sql.SQL(
            "{s}[1 + n % {ns}] || ' ' || {p}[1 + (n / {ns}) % {np}] || ' ' || (2000 + n / 240 % 26)"
        ).format(
            s=_literal_array(SUBJECTS), ns=sql.Literal(len(SUBJECTS)), p=_literal_array(PLACES),
            np=sql.Literal(len(PLACES)),
        ),
        "abstract": sql.SQL(
            "'Inventaire n° ' || n || ' : ' || {s}[1 + (n * 11) % {ns}] || ', mis à jour chaque année.'"
        ).format(s=_literal_array(SUBJECTS), ns=sql.Literal(len(SUBJECTS))),
        "organisation_id": sql.SQL("({o}::bigint[])[1 + n % {no}]").format(
            o=sql.Literal(organisation_ids), no=sql.Literal(len(organisation_ids))
        ),
        "public": sql.SQL("random() < 0.8"),
        "published_at": sql.SQL("now() - make_interval(days => n % 2000)"),
        "updated_at": sql.SQL("now() - make_interval(mins => n)"),
        "bbox_wgs84": sql.SQL(
            "jsonb_build_array(x, y, x + 0.05 + random() * 0.45, y + 0.05 + random() * 0.45)"
        ),
        "search_vector": sql.NULL,
        "facet_terms": sql.SQL("'{}'"),
    }  # fmt: skip
    columns = [f.column for f in Dataset._meta.concrete_fields if f.column != "id"]
    values = [overrides.get(c, sql.Identifier("t", c)) for c in columns]
    insert = sql.SQL(
        """INSERT INTO catalogue_dataset ({columns})
        SELECT {values} FROM catalogue_dataset t,
          LATERAL (SELECT g AS n, {x0} + random() * {w} AS x, {y0} + random() * {h} AS y
                   FROM generate_series(1, {total}) g) AS gen
        WHERE t.id = {template}"""
    ).format(
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        values=sql.SQL(", ").join(values),
        x0=sql.Literal(REGION[0]), w=sql.Literal(REGION[2] - REGION[0] - 0.5),
        y0=sql.Literal(REGION[1]), h=sql.Literal(REGION[3] - REGION[1] - 0.5),
        total=sql.Literal(total), template=sql.Literal(template.pk),
    )  # fmt: skip
    themes = list(Keyword.objects.filter(thesaurus="inspire_theme").values_list("pk", flat=True))
    topics = list(Keyword.objects.filter(thesaurus="iso_topic").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM catalogue_dataset")
        last = cursor.fetchone()[0]
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(insert.as_string(cursor.connection))
        for keywords in (themes, topics):
            cursor.execute(
                """INSERT INTO catalogue_dataset_keywords (dataset_id, keyword_id)
                SELECT id, (%s::bigint[])[1 + id %% %s] FROM catalogue_dataset WHERE id > %s""",
                [keywords, len(keywords), last],
            )
        # The copies' ISO documents: the template's, with their own identifier and title.
        cursor.execute(
            """UPDATE catalogue_dataset d SET iso_xml =
                 replace(replace(t.iso_xml, t.uuid::text, d.uuid::text), t.title, d.title)
               FROM catalogue_dataset t WHERE t.id = %s AND d.id > %s""",
            [template.pk, last],
        )
    ids = list(Dataset.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 10_000):
        records.refresh(ids[start : start + 10_000], with_xml=False)
    # The generation rewrote every row three times: compact the table as a catalogue grown by saves would be.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (FULL, ANALYZE) catalogue_dataset")
        cursor.execute("VACUUM (ANALYZE) catalogue_dataset_keywords")
