"""MapServer masks maps with territories: its read-only role reads the territory table."""

from django.conf import settings
from django.db import migrations


def grant(apps, schema_editor) -> None:
    from psycopg import sql

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.RENDER_DB_USER])
        if cursor.fetchone():
            cursor.execute(
                sql.SQL("GRANT SELECT ON geoplatform_territory TO {}")
                .format(sql.Identifier(settings.RENDER_DB_USER))
                .as_string(cursor.connection)
            )


class Migration(migrations.Migration):
    dependencies = [("geoplatform", "0002_rights_territories_admin")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
