"""What the viewer's place search indexes names with: pg_trgm, and one immutable normal form of a name.

`gp_place_name(text)`: unaccented, lower case, words of [a-z0-9] separated by one space. It names the `unaccent`
dictionary explicitly, so that it may be declared IMMUTABLE and used in expression indexes on searchable layers
(created by `viewer.gazetteer.prepare`).
"""

from django.db import migrations

FUNCTION = r"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE OR REPLACE FUNCTION public.gp_place_name(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, $1)), '[^a-z0-9]+', ' ', 'g')) $$;
"""


class Migration(migrations.Migration):
    dependencies = [("geoplatform", "0005_gazetteer_layer"), ("catalogue", "0007_french_search")]

    operations = [migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS public.gp_place_name(text);")]
