"""Web Push endpoints (ブラウザのプッシュ通知): the service worker, the key browsers subscribe with,
and subscribing or unsubscribing the signed-in resident's browser.

The subscribe and unsubscribe endpoints answer JSON for static/notify/push.js: `{"subscribed":
true|false}`, or `{"error": "<message for the resident>"}` with a 4xx status. They are ordinary
CSRF-protected POSTs: the script sends the token from the page in an X-CSRFToken header (the
csrftoken cookie is HttpOnly here, so it cannot read the cookie itself).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yakuba.platform.notify.channels import webpush

SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "notify" / "service-worker.js"


def json_error(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def signed_in_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like login_required, but a script gets a JSON error rather than the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return json_error(_("ログインしてから操作してください。"), status=403)
        return view(request, *args, **kwargs)

    return wrapped


def read_json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(_("送られた内容をJSONとして読めませんでした。")) from None


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from here rather than /static/ so that, with the
    Service-Worker-Allowed header, it may control the whole site (scope "/"); not cached, so that
    browsers pick up a new version at once."""
    response = HttpResponse(
        SERVICE_WORKER.read_bytes(), content_type="application/javascript; charset=utf-8"
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def public_key(request: HttpRequest) -> JsonResponse:
    """The town's VAPID public key (`applicationServerKey`); 404 while Web Push is off."""
    key = webpush.vapid_public_key()
    if not key:
        return json_error(_("プッシュ通知は現在利用できません。"), status=404)
    return JsonResponse({"publicKey": key})


@require_POST
@signed_in_json
def subscribe(request: HttpRequest) -> JsonResponse:
    """Keep this browser's subscription (the JSON of `PushSubscription.toJSON()`)."""
    if not webpush.is_configured():
        return json_error(_("プッシュ通知は現在利用できません。"), status=404)
    try:
        webpush.save_subscription(
            request.user,
            data=read_json(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except ValidationError as error:
        return json_error(" ".join(error.messages), status=400)
    return JsonResponse({"subscribed": True}, status=201)


@require_POST
@signed_in_json
def unsubscribe(request: HttpRequest) -> JsonResponse:
    """Forget this browser's subscription: `{"endpoint": "…"}`. Answered the same whether or not
    it was still known, so that pressing the button twice is harmless."""
    try:
        data = read_json(request)
    except ValidationError as error:
        return json_error(" ".join(error.messages), status=400)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return json_error(_("送信先（endpoint）がありません。"), status=400)
    webpush.remove_subscription(request.user, endpoint=endpoint)
    return JsonResponse({"subscribed": False})
