"""`make run` in demo mode: demo accounts and the demo region (issue 2, points 3 and 4)."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql

from catalogue.models import Dataset
from geoplatform.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_accounts_and_region(settings):
    settings.DEMO_MODE = True
    call_command("load_demo")
    for username, organisation in [
        ("admin", None),
        ("producteur-a", "Commune A"),
        ("producteur-b", "Département B"),
        ("lecteur", None),
    ]:
        user = authenticate(username=username, password=f"{username}-demo")
        assert user is not None, username
        if organisation:
            assert user.producer_organisations().filter(name=organisation).exists()
    assert User.objects.get(username="admin").is_staff
    assert not User.objects.get(username="lecteur").memberships.exists()

    datasets = {d.title: d for d in Dataset.objects.all()}
    communes = datasets["Communes de la région"]
    assert communes.srid == 2154 and communes.public
    assert communes.feature_count >= 30
    assert {"nom", "insee", "population"} <= {a["name"] for a in communes.attributes}
    trees = datasets["Inventaire des arbres"]
    assert {"espece", "nom_vernaculaire", "hauteur_m", "date_plantation", "remarquable"} <= {
        a["name"] for a in trees.attributes
    }
    zae = datasets["Zones d'activités économiques"]
    assert not zae.public and "taux_artificialisation" in {a["name"] for a in zae.attributes}
    raster = datasets["Température de surface (été)"]
    assert raster.kind == "raster" and raster.raster_info["bands"] == 1

    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE nom ~ '[éèêàâîôûç]'")
            .format(sql.Identifier("layers", communes.table_name))
            .as_string(cursor.connection)
        )
        assert cursor.fetchone()[0] > 0, "accented commune names must survive the import"

    demo_map = datasets["Arbres et communes (démonstration)"]
    assert demo_map.resource_type == "map" and demo_map.public
    layers = [f["properties"]["gp:dataset"] for f in demo_map.map.context["features"]]
    assert layers == [trees.pk, zae.pk, communes.pk]

    call_command("load_demo")  # idempotent
    assert Dataset.objects.count() == 5


def test_demo_accounts_only_in_demo_mode(settings, db):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError):
        call_command("load_demo")
