from django.db import migrations

from catalogue import thesauri


def _load_thesauri(apps, schema_editor):
    thesauri.load(apps.get_model("catalogue", "Keyword"))


def _unload_thesauri(apps, schema_editor):
    apps.get_model("catalogue", "Keyword").objects.exclude(thesaurus="free").delete()


class Migration(migrations.Migration):
    """French full-text search with accents ignored, and the thesauri keywords are drawn from."""

    dependencies = [("catalogue", "0006_record_metadata")]

    operations = [
        # unaccent is a trusted extension: the database owner may create it.
        migrations.RunSQL(
            """
            CREATE EXTENSION IF NOT EXISTS unaccent;
            CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french);
            ALTER TEXT SEARCH CONFIGURATION fr_unaccent
              ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
            """,
            "DROP TEXT SEARCH CONFIGURATION IF EXISTS fr_unaccent;",
        ),
        migrations.RunPython(_load_thesauri, _unload_thesauri),
    ]
