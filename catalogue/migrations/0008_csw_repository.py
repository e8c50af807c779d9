"""pycsw's repository: a view over the catalogue that holds only what anonymous visitors may see.

The view has the columns pycsw's core model and apiso profile read (names from pycsw 2.6.2's defaults). Only
records the rights choke point marked `anonymous_visible`, with an ISO document, are in it, so no CSW answer, count
or error can reveal a private record. Two partial indexes on the visible records keep it fast at 100,000 records:
GiST on the WGS84 envelope (bbox filters) and GIN on the French search vector, named `fts_gin_idx` because pycsw
switches its full-text queries to `plainto_tsquery('french', …) @@ anytext_tsvector` only when an index of that name
exists. pycsw connects with `search_path=csw, pg_catalog, public`, so its 'french' is `csw.french`, a copy of the
catalogue's accent-insensitive `fr_unaccent`, and its queries match the stored vectors.
"""

from django.conf import settings
from django.db import migrations

# The record's WGS84 envelope; the view and the GiST index must spell it identically for the index to be used.
ENVELOPE = (
    "ST_MakeEnvelope((bbox_wgs84->>0)::float8, (bbox_wgs84->>1)::float8, (bbox_wgs84->>2)::float8,"
    " (bbox_wgs84->>3)::float8, 4326)::geometry(Polygon, 4326)"
)
VISIBLE = "anonymous_visible AND iso_xml <> ''"

NAMESPACES = (
    "ARRAY[ARRAY['gmd', 'http://www.isotc211.org/2005/gmd'], ARRAY['gco', 'http://www.isotc211.org/2005/gco']]"
)



def _node_text(path: str) -> str:
    """The text at `path` under the online resource `r.node`, unescaped."""
    return f"csw.xml_text((xpath('/*/{path}/text()', r.node, {NAMESPACES}))[1])"


CREATE_VIEW = f"""
CREATE VIEW csw_records AS
SELECT
  d.uuid::text AS identifier,
  'gmd:MD_Metadata'::text AS typename,
  'http://www.isotc211.org/2005/gmd'::text AS schema,
  'local'::text AS mdsource,
  to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS insert_date,
  -- pycsw parses this text with lxml, which refuses a str that carries an encoding declaration.
  regexp_replace(d.iso_xml, '^<[?]xml[^>]*[?]>[[:space:]]*', '') AS xml,
  concat_ws(' ', d.title, d.abstract, d.lineage, o.name,
    (SELECT string_agg(k.label, ' ') FROM catalogue_dataset_keywords dk
     JOIN catalogue_keyword k ON k.id = dk.keyword_id WHERE dk.dataset_id = d.id)) AS anytext,
  d.search_vector AS anytext_tsvector,
  d.language AS language,
  d.resource_type AS type,
  d.title AS title,
  NULL::text AS title_alternate,
  d.abstract AS abstract,
  (SELECT string_agg(k.label, ',' ORDER BY k.thesaurus, k.label) FROM catalogue_dataset_keywords dk
   JOIN catalogue_keyword k ON k.id = dk.keyword_id
   WHERE dk.dataset_id = d.id AND k.thesaurus <> 'iso_topic') AS keywords,
  NULL::text AS keywordstype,
  NULL::text AS parentidentifier,
  NULL::text AS relation,
  to_char(d.temporal_start, 'YYYY-MM-DD') AS time_begin,
  to_char(d.temporal_end, 'YYYY-MM-DD') AS time_end,
  (SELECT string_agg(k.code, ',' ORDER BY k.code) FROM catalogue_dataset_keywords dk
   JOIN catalogue_keyword k ON k.id = dk.keyword_id
   WHERE dk.dataset_id = d.id AND k.thesaurus = 'iso_topic') AS topicategory,
  d.language AS resourcelanguage,
  NULL::text AS geodescode,
  o.name AS creator,
  o.name AS publisher,
  NULL::text AS contributor,
  o.name AS organization,
  NULL::text AS securityconstraints,
  d.access_constraint AS accessconstraints,
  nullif(concat_ws(' ', d.licence_other, d.use_constraints), '') AS otherconstraints,
  NULL::text AS classification,
  CASE WHEN d.licence = 'other' THEN nullif(d.licence_other, '') ELSE d.licence END
    AS conditionapplyingtoaccessanduse,
  to_char(coalesce(d.data_revised, d.data_created, (d.published_at AT TIME ZONE 'UTC')::date), 'YYYY-MM-DD')
    AS date,
  to_char(d.data_revised, 'YYYY-MM-DD') AS date_revision,
  to_char(d.data_created, 'YYYY-MM-DD') AS date_creation,
  to_char(d.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date_publication,
  to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS date_modified,
  nullif(d.data_format, '') AS format,
  NULL::text AS source,
  'urn:ogc:def:crs:EPSG::' || coalesce(d.srid, 4326) AS crs,
  d.scale_denominator::text AS denominator,
  d.resolution_m::text AS distancevalue,
  CASE WHEN d.resolution_m IS NOT NULL THEN 'm' END AS distanceuom,
  ST_AsText({ENVELOPE.replace("bbox_wgs84", "d.bbox_wgs84")}) AS wkt_geometry,
  {ENVELOPE.replace("bbox_wgs84", "d.bbox_wgs84")} AS wkb_geometry,
  NULL::text AS servicetype,
  NULL::text AS servicetypeversion,
  NULL::text AS operation,
  NULL::text AS couplingtype,
  NULL::text AS operateson,
  NULL::text AS operatesonidentifier,
  NULL::text AS operatesoname,
  CASE d.conformity_degree WHEN 'conformant' THEN 'true' WHEN 'notConformant' THEN 'false' END AS degree,
  nullif(d.lineage, '') AS lineage,
  NULL::text AS responsiblepartyrole,
  d.conformity_specification AS specificationtitle,
  to_char(d.conformity_date, 'YYYY-MM-DD') AS specificationdate,
  'publication'::text AS specificationdatetype,
  -- pycsw's links: name,description,protocol,url joined by ^, read from the record's own ISO document.
  (SELECT string_agg(concat_ws(',',
       replace(coalesce({_node_text("gmd:name/gco:CharacterString")}, ''), ',', ' '),
       replace(coalesce({_node_text("gmd:description/gco:CharacterString")}, ''), ',', ' '),
       coalesce({_node_text("gmd:protocol/gco:CharacterString")}, ''),
       {_node_text("gmd:linkage/gmd:URL")}), '^')
   FROM unnest(xpath('//gmd:distributionInfo//gmd:CI_OnlineResource', d.iso_xml::xml, {NAMESPACES})) AS r(node))
    AS links
FROM catalogue_dataset d
LEFT JOIN geoplatform_organisation o ON o.id = d.organisation_id
WHERE d.{VISIBLE.replace(" AND iso_xml", " AND d.iso_xml")}
"""

FORWARD = f"""
CREATE SCHEMA IF NOT EXISTS csw;
CREATE TEXT SEARCH CONFIGURATION csw.french (COPY = public.fr_unaccent);
-- xpath() gives text nodes still XML-escaped (&amp; in a WMS address).
CREATE FUNCTION csw.xml_text(node xml) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT replace(replace(replace(replace(replace(node::text,
    '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&apos;', ''''), '&amp;', '&')
$$;
{CREATE_VIEW};
CREATE INDEX csw_records_envelope ON catalogue_dataset USING gist (({ENVELOPE})) WHERE {VISIBLE};
CREATE INDEX fts_gin_idx ON catalogue_dataset USING gin (search_vector) WHERE {VISIBLE};
"""

BACKWARD = """
DROP INDEX IF EXISTS fts_gin_idx;
DROP INDEX IF EXISTS csw_records_envelope;
DROP VIEW IF EXISTS csw_records;
DROP SCHEMA IF EXISTS csw CASCADE;
"""


def grant_reader(apps, schema_editor) -> None:
    """pycsw connects as the rendering engines' read-only role, which reads the view and nothing under it."""
    from psycopg import sql

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.RENDER_DB_USER])
        if cursor.fetchone():
            role = sql.Identifier(settings.RENDER_DB_USER)
            for statement in ("GRANT USAGE ON SCHEMA csw TO {}", "GRANT SELECT ON csw_records TO {}"):
                cursor.execute(sql.SQL(statement).format(role).as_string(cursor.connection))


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0007_french_search")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(grant_reader, migrations.RunPython.noop),
    ]
