from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoplatformConfig(AppConfig):
    name = "geoplatform"
    verbose_name = _("Plateforme")

    def ready(self) -> None:
        from . import administration  # noqa: F401  (connects the receivers that forget cached settings)
