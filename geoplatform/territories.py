"""Territories: multipolygons, or lists of communes (INSEE codes) taken from the communes reference layer."""

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection
from django.utils.translation import gettext as _
from psycopg import sql

from .models import PlatformSettings, Territory


class TerritoryError(ValueError):
    """A territory that cannot be built; the message is for people (French)."""


def communes_layer():
    dataset = PlatformSettings.load().communes_dataset
    if dataset is None or not dataset.table_name:
        raise TerritoryError(_("Aucune couche de référence des communes n'est définie dans les réglages."))
    return dataset


def geometry_from_insee(codes: list[str]) -> MultiPolygon:
    """The union of the communes with these INSEE codes, in WGS84; unknown codes are refused by name."""
    dataset = communes_layer()
    codes = sorted({code.strip() for code in codes if code.strip()})
    if not codes:
        raise TerritoryError(_("Indiquez au moins un code INSEE."))
    table = sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name)
    with connection.cursor() as cursor:
        pg = cursor.connection
        cursor.execute(
            sql.SQL("SELECT array_agg(DISTINCT insee) FROM {} WHERE insee = ANY(%s)").format(table).as_string(pg),
            [codes],
        )
        found = set(cursor.fetchone()[0] or [])
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise TerritoryError(_("Codes INSEE inconnus : %(codes)s.") % {"codes": ", ".join(unknown)})
        cursor.execute(
            sql.SQL(
                "SELECT ST_AsEWKB(ST_Multi(ST_Transform(ST_Union(ST_MakeValid(geom)), 4326))) FROM {} "
                "WHERE insee = ANY(%s)"
            )
            .format(table)
            .as_string(pg),
            [codes],
        )
        geometry = GEOSGeometry(memoryview(bytes(cursor.fetchone()[0])))
    if geometry.geom_type == "Polygon":
        geometry = MultiPolygon(geometry, srid=4326)
    return geometry


def territory_from_insee(name: str, codes: list[str]) -> Territory:
    return Territory.objects.create(name=name, insee_codes=sorted(set(codes)), geometry=geometry_from_insee(codes))


def communes_choices() -> list[tuple[str, str]]:
    """(INSEE code, name) of every commune of the reference layer, for pickers."""
    dataset = communes_layer()
    table = sql.Identifier(settings.LAYERS_SCHEMA, dataset.table_name)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT insee, nom FROM {} ORDER BY nom").format(table).as_string(cursor.connection))
        return [(code, f"{name} ({code})") for code, name in cursor.fetchall()]
