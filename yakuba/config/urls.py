from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from yakuba.config.api import api
from yakuba.core.registry import registry

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
# Each module mounts its own pages (declared in its registry entry); no central list to edit.
urlpatterns += [path(entry.url_prefix, include(entry.urls)) for entry in registry if entry.urls]
urlpatterns += [
    path(prefix, include(urls)) for entry in registry for prefix, urls in entry.extra_urls
]
urlpatterns.append(path("", include("yakuba.core.urls")))

# The demo serves uploads meant to be public (MEDIA_ROOT). Files that must never have a URL are in
# the "private" storage (PRIVATE_FILES_ROOT), outside it, behind views that check who asks.
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
