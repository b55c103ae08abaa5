"""Django's admin under the same sign-in rules as the staff console.

The admin gets no password form of its own: staff sign in through allauth (where the second factor
is asked), and with STAFF_REQUIRE_MFA the admin opens only for a session that passed it.
"""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from yakuba.core.permissions import passed_second_factor


class StaffAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        return not settings.STAFF_REQUIRE_MFA or passed_second_factor(request)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_staff:
            return HttpResponseRedirect(reverse("core:staff_second_factor"))
        next_url = request.GET.get("next", reverse("admin:index"))
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
