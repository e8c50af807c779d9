from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WxsConfig(AppConfig):
    name = "wxs"
    verbose_name = _("Services OGC")

    def ready(self) -> None:
        from . import changes  # noqa: F401  (connects the signals that regenerate mapfiles)
