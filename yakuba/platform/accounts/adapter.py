from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from yakuba.core.models import Municipality
from yakuba.core.tasks import send_email_later


@dataclass(frozen=True)
class TownSite:
    """What allauth's mail templates call the site: the town's name and this server's address."""

    name: str
    domain: str

    @classmethod
    def for_request(cls, request: HttpRequest | None) -> "TownSite":
        town = Municipality.current()
        name = town.localized_name(translation.get_language()) if town else "Yakuba"
        return cls(name=name, domain=request.get_host() if request is not None else "")


class AccountAdapter(DefaultAccountAdapter):
    """Sign-in behaviour for the town: where people land, and how their mail is sent."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        if request.user.is_staff:
            return reverse("core:staff_home")
        return super().get_login_redirect_url(request)

    def format_email_subject(self, subject: str) -> str:
        """「[亘理町] メールアドレスを確認してください」: the town's name, not the server's."""
        return f"[{TownSite.for_request(allauth_context.request).name}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Mails to residents (verification, password reset) go through the job queue."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": TownSite.for_request(request)}
        ctx.update(context)
        send_email_later(self.render_mail(template_prefix, email, ctx))
