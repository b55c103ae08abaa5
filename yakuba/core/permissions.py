"""Who may open the staff console: staff accounts that passed a second factor when required."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def passed_second_factor(request: HttpRequest) -> bool:
    """True when this session was authenticated with MFA (TOTP, passkey, recovery code)."""
    records = request.session.get("account_authentication_methods", [])
    return any(record.get("method") == "mfa" for record in records)


def staff_required(view: Callable[..., HttpResponse] | None = None, *, permission: str = "") -> Any:
    """Let only staff in; with STAFF_REQUIRE_MFA, only after a second factor in this session."""

    def decorator(view_func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view_func)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_staff:
                raise PermissionDenied
            if settings.STAFF_REQUIRE_MFA and not passed_second_factor(request):
                return redirect("core:staff_second_factor")
            if permission and not user.has_perm(permission):
                raise PermissionDenied
            return view_func(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator
