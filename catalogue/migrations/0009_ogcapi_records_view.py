"""OGC API Records' source: a view over the catalogue holding exactly the records CSW serves (anonymous visible).

pygeoapi's PostgreSQL provider (wxs/pygeoapi.py) reads it as the rendering engines' read-only role, which may read
this view and nothing under it. Its envelope and visibility predicate are spelt as in 0008, so the GiST and GIN
partial indexes made there for pycsw serve bbox and full-text queries here too. `search_vector` is only for `q=`
and never becomes a record property.
"""

from django.conf import settings
from django.db import migrations

ENVELOPE = (
    "ST_MakeEnvelope((d.bbox_wgs84->>0)::float8, (d.bbox_wgs84->>1)::float8, (d.bbox_wgs84->>2)::float8,"
    " (d.bbox_wgs84->>3)::float8, 4326)::geometry(Polygon, 4326)"
)

FORWARD = f"""
CREATE VIEW catalogue_ogcapi_record AS
SELECT
  d.uuid AS id,
  {ENVELOPE} AS geometry,
  d.title,
  d.abstract AS description,
  d.resource_type AS type,
  d.language,
  (SELECT array_agg(k.label ORDER BY k.label)
     FROM catalogue_dataset_keywords dk JOIN catalogue_keyword k ON k.id = dk.keyword_id
    WHERE dk.dataset_id = d.id) AS keywords,
  (SELECT jsonb_agg(jsonb_build_object('scheme', t.thesaurus, 'concepts', t.concepts) ORDER BY t.thesaurus)
     FROM (SELECT k.thesaurus,
                  jsonb_agg(jsonb_build_object('id', k.code, 'title', k.label, 'url', nullif(k.uri, ''))
                            ORDER BY k.code) AS concepts
             FROM catalogue_dataset_keywords dk JOIN catalogue_keyword k ON k.id = dk.keyword_id
            WHERE dk.dataset_id = d.id AND k.thesaurus <> 'free'
            GROUP BY k.thesaurus) t) AS themes,
  o.name AS organisation,
  CASE WHEN d.licence = 'other' THEN nullif(d.licence_other, '') ELSE d.licence END AS license,
  nullif(d.use_constraints, '') AS rights,
  nullif(d.data_format, '') AS format,
  d.temporal_start,
  d.temporal_end,
  d.created_at AS created,
  d.updated_at AS updated,
  d.search_vector
FROM catalogue_dataset d
JOIN geoplatform_organisation o ON o.id = d.organisation_id
WHERE d.anonymous_visible AND d.iso_xml <> ''
"""

BACKWARD = "DROP VIEW IF EXISTS catalogue_ogcapi_record"


def grant_reader(apps, schema_editor) -> None:
    from psycopg import sql

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.RENDER_DB_USER])
        if cursor.fetchone():
            statement = sql.SQL("GRANT SELECT ON catalogue_ogcapi_record TO {}").format(
                sql.Identifier(settings.RENDER_DB_USER)
            )
            cursor.execute(statement.as_string(cursor.connection))


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0008_csw_repository")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(grant_reader, migrations.RunPython.noop),
    ]
