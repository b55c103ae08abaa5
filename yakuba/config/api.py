"""The HTTP API: one Django Ninja instance, one router per module, one OpenAPI 3 schema at /api/docs."""

from django.utils.module_loading import import_string
from ninja import NinjaAPI

from yakuba.core.registry import registry

api = NinjaAPI(title="Yakuba API", version="1", urls_namespace="api")

for entry in registry:
    if entry.api_router:
        api.add_router(entry.api_prefix or entry.app_label, import_string(entry.api_router))
