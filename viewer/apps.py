from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ViewerConfig(AppConfig):
    name = "viewer"
    verbose_name = _("Cartes (composeur et visualiseur)")
