"""Mail to reporters who gave only an address (no account): notify sends to residents, so a
reporter without an account hears of changes by one plain mail per public update."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from yakuba.core.models import Municipality
from yakuba.core.tasks import send_email_later
from yakuba.modules.reports.models import Report, ReportUpdate


def mail_update_to_anonymous(report: Report, update: ReportUpdate) -> None:
    from yakuba.modules.reports.services import report_url

    town = Municipality.current()
    with translation.override("ja"):
        name = town.localized_name("ja") if town else "Yakuba"
        body = render_to_string(
            "reports/email/update.txt",
            {"report": report, "update": update, "url": report_url(report), "town_name": name},
        )
        subject = translation.gettext("通報 #%(number)s の状況: %(status)s") % {
            "number": report.pk,
            "status": report.get_status_display(),
        }
    send_email_later(
        EmailMessage(subject=f"[{name}] {subject}", body=body, to=[report.reporter_email])
    )
