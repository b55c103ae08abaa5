from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from yakuba.platform.audit.context import (
    RequestContext,
    reset_request_context,
    set_request_context,
)


class AuditActorMiddleware:
    """Make the signed-in staff member and the screen known to audit entries written in services."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return self.get_response(request)
        token = set_request_context(
            RequestContext(
                user=user, screen=request.path, ip_address=request.META.get("REMOTE_ADDR")
            )
        )
        try:
            return self.get_response(request)
        finally:
            reset_request_context(token)
