from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import rights
from .administration import display_settings
from .theme import readable_text_on


def platform(request: HttpRequest) -> dict:
    """Deployment identity (name, logo, colours, home text) for every template: the platform settings an
    administrator saved, else the installation's environment settings. Read from the cache, not the database."""
    current = display_settings()
    colour = current["primary_color"] or settings.PLATFORM_PRIMARY_COLOR
    return {
        "PLATFORM_NAME": current["name"] or settings.PLATFORM_NAME,
        "PLATFORM_TAGLINE": current["tagline"] or settings.PLATFORM_TAGLINE,
        "PLATFORM_LOGO_URL": current["logo_url"] or settings.PLATFORM_LOGO_URL,
        "PLATFORM_PRIMARY_COLOR": colour,
        "PLATFORM_PRIMARY_CONTRAST": readable_text_on(colour),
        "PLATFORM_HOME_TEXT": current["home_text"],
        "PLATFORM_CONTACT_EMAIL": current["contact_email"],
        "DEMO_MODE": settings.DEMO_MODE,
        "MAY_PRODUCE": SimpleLazyObject(lambda: rights.may_produce(request.user)),
        "MAY_ADMINISTER": SimpleLazyObject(lambda: rights.may_administer_platform(request.user)),
    }
