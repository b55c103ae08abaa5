from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from yakuba.core.tasks import send_email_later


class AccountAdapter(DefaultAccountAdapter):
    """Where people land after signing in: staff in the staff console, residents on their page."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        if request.user.is_staff:
            return reverse("core:staff_home")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Mails to residents (verification, password reset) go through the job queue."""
        send_email_later(self.render_mail(template_prefix, email, context))
