"""LINE endpoints: the Messaging API webhook, and the page where a resident confirms linking their
LINE account (LINE連携)."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlencode

import requests
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from yakuba.platform.accounts.models import User
from yakuba.platform.notify.channels import line
from yakuba.platform.notify.models import LineLink

logger = logging.getLogger(__name__)

# LINE's link tokens are short URL-safe strings; anything else did not come from LINE.
LINK_TOKEN = re.compile(r"[A-Za-z0-9_\-]{1,200}")
ACCOUNT_LINK_ORIGIN = "https://access.line.me"


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """LINE's webhook. Well-signed requests are always answered 200 at once: LINE treats anything
    else as a failed delivery, and one bad event must not make it resend the others."""
    channel = line.build()
    if not channel.secret:
        raise Http404  # LINE is not set up: without a secret no request can be checked
    signature = request.headers.get("x-line-signature", "")
    if not signature:
        return HttpResponse(status=400)
    if not line.signature_is_valid(channel.secret, request.body, signature):
        return HttpResponse(status=401)
    try:
        events = json.loads(request.body)["events"]
        if not isinstance(events, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return HttpResponse(status=400)

    def link_url(link_token: str) -> str:
        path = f"{reverse('notify:line_link')}?{urlencode({'linkToken': link_token})}"
        base = getattr(settings, "NOTIFY_PUBLIC_BASE_URL", "")
        return f"{base.rstrip('/')}{path}" if base else request.build_absolute_uri(path)

    # An empty list is LINE's "Verify" button in the console: answered 200 like any other.
    with requests.Session() as http:
        client = channel.client(http)
        for event in events:
            try:
                line.receive_event(event, client=client, link_url=link_url)
            except Exception:
                logger.exception("LINE webhook event could not be handled")
    return HttpResponse(status=200)


# The confirmation form posts here and is redirected to LINE: browsers check a form's redirect
# against the page's form-action too, so LINE's account-link origin is allowed on this page.
@csp_update({"form-action": [ACCOUNT_LINK_ORIGIN]})
@login_required
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest) -> HttpResponse:
    """Confirm linking the signed-in resident's account with the LINE account that sent them here
    (the URL the account sent in the chat carries LINE's link token), then hand over to LINE."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required ran before
    source = request.POST if request.method == "POST" else request.GET
    link_token = source.get("linkToken", "")
    is_valid = bool(LINK_TOKEN.fullmatch(link_token))
    if request.method == "POST" and is_valid:
        return redirect(line.start_account_link(user, link_token=link_token))
    return render(
        request,
        "notify/line_link.html",
        {
            "link_token": link_token if is_valid else "",
            "is_valid": is_valid,
            "is_linked": LineLink.objects.filter(user=user).exists(),
            "breadcrumbs": [
                (_("マイページ"), reverse("accounts:my_page")),
                (_("LINEアカウントとの連携"), None),
            ],
        },
        status=200 if is_valid else 400,
    )
