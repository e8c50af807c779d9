"""Schema `layers` holds imported data; the rendering engines read it through a read-only role."""

from django.conf import settings
from django.db import migrations


def create_schema(apps, schema_editor) -> None:
    from psycopg import sql

    schema = sql.Identifier(settings.LAYERS_SCHEMA)
    reader = settings.RENDER_DB_USER
    with schema_editor.connection.cursor() as cursor:
        pg = cursor.connection
        cursor.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema).as_string(pg))
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [reader])
        if cursor.fetchone():
            role = sql.Identifier(reader)
            for statement in (
                "GRANT USAGE ON SCHEMA {schema} TO {role}",
                "GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role}",
            ):
                cursor.execute(sql.SQL(statement).format(schema=schema, role=role).as_string(pg))


def drop_schema(apps, schema_editor) -> None:
    from psycopg import sql

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(settings.LAYERS_SCHEMA))
            .as_string(cursor.connection)
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_initial")]
    operations = [migrations.RunPython(create_schema, drop_schema)]
