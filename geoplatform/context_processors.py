from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import rights
from .theme import readable_text_on


def platform(request: HttpRequest) -> dict:
    """Deployment identity (name, logo, colours) for every template."""
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "PLATFORM_TAGLINE": settings.PLATFORM_TAGLINE,
        "PLATFORM_LOGO_URL": settings.PLATFORM_LOGO_URL,
        "PLATFORM_PRIMARY_COLOR": settings.PLATFORM_PRIMARY_COLOR,
        "PLATFORM_PRIMARY_CONTRAST": readable_text_on(settings.PLATFORM_PRIMARY_COLOR),
        "DEMO_MODE": settings.DEMO_MODE,
        "MAY_PRODUCE": SimpleLazyObject(lambda: rights.may_produce(request.user)),
    }
