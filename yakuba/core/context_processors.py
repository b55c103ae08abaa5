from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from yakuba.core.models import Municipality
from yakuba.core.reader import ReaderPreferences
from yakuba.core.registry import registry


def shell(request: HttpRequest) -> dict[str, Any]:
    """What every page's header, menus and footer need."""
    user = request.user
    municipality = Municipality.current()
    return {
        "municipality": municipality,
        "town_name": (
            municipality.localized_name(translation.get_language()) if municipality else "Yakuba"
        ),
        "reader": getattr(request, "reader", ReaderPreferences()),
        "resident_menu": registry.resident_menu(user),
        "staff_menu": registry.staff_menu(user) if user.is_staff else [],
        "languages": settings.LANGUAGES,
    }
