from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict:
    """Deployment identity (name, logo, colours) for every template."""
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "PLATFORM_TAGLINE": settings.PLATFORM_TAGLINE,
        "PLATFORM_LOGO_URL": settings.PLATFORM_LOGO_URL,
        "PLATFORM_PRIMARY_COLOR": settings.PLATFORM_PRIMARY_COLOR,
        "DEMO_MODE": settings.DEMO_MODE,
    }
