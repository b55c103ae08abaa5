"""The notify HTTP API (/api/notify/v2/…): other systems send notices to residents, after GOV.UK
Notify's API v2.

    POST /api/notify/v2/notifications          send a notice to one registered resident
    GET  /api/notify/v2/notifications/{id}     one notice the key sent, with its delivery status
    GET  /api/notify/v2/notifications          the key's notices, newest first (status, reference,
                                               older_than)

Every request carries `Authorization: Bearer <API key>` (issued by staff at /notify/staff/api-keys/).
Errors are GOV.UK Notify's shape, {"status_code": 400, "errors": [{"error", "message"}]}, with its
error names: ValidationError / BadRequestError (400), AuthError (403), NotFoundError (404),
ConflictError (409), RateLimitError (429, with Retry-After). Messages are in Japanese unless the
request asks for English (Accept-Language: en).

Ninja's own handlers answer 401/422 with {"detail": …}, which GOV.UK clients do not understand, so
the key, the rate limit and the body are checked here and never through Ninja's auth or body
validation: the auth object only declares the bearer scheme in the OpenAPI schema, the request body
is documented from `NotificationIn` and parsed by the view, and query parameters are plain strings.

Limits, on purpose:
- We are not a mail relay: `email_address` must belong to a registered, active resident.
- `priority: "emergency"` is refused: an emergency ignores quiet hours and topic choices, and for
  now only staff with `notify.send_emergency` may send one (from the console). A key-level permission
  would need a model change.
- `content` in answers shows the Japanese text with the personalisation filled; ((氏名)) and
  ((行政区)) stay as placeholders (they are filled per resident at delivery, and the client is not
  told the resident's name).
- Idempotency-Key: see `post_notification`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

import pydantic
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.security import HttpBearer

from yakuba.platform.accounts.models import ResidentProfile, Topic, User
from yakuba.platform.notify import apikeys, rendering
from yakuba.platform.notify.models import (
    ApiKey,
    Delivery,
    DeliveryStatus,
    Message,
    MessageStatus,
    Recipient,
)
from yakuba.platform.notify.schemas import (
    ErrorOut,
    NotificationCreatedOut,
    NotificationIn,
    NotificationListOut,
    NotificationOut,
)
from yakuba.platform.notify.sending import send

router = Router(tags=["notify"])

API_KIND = "notify.api"
PAGE_SIZE = 250  # as GOV.UK Notify
IDEMPOTENCY_SECONDS = 24 * 60 * 60
MAX_IDEMPOTENCY_KEY_LENGTH = 255
PENDING = (DeliveryStatus.CREATED, DeliveryStatus.SENDING, DeliveryStatus.TEMPORARY_FAILURE)
STATUSES = tuple(DeliveryStatus.values)
_KEY_ATTRIBUTE = "notify_api_key"


class ApiError(Exception):
    """An answer in GOV.UK Notify's error shape."""

    def __init__(
        self,
        status_code: int,
        error: str,
        messages: str | list[str],
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(messages)
        self.status_code = status_code
        self.error = error
        self.messages = [messages] if isinstance(messages, str) else messages
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        body = {
            "status_code": self.status_code,
            "errors": [{"error": self.error, "message": m} for m in self.messages],
        }
        response = JsonResponse(
            body, status=self.status_code, json_dumps_params={"ensure_ascii": False}
        )
        for name, value in self.headers.items():
            response[name] = value
        return response


class BearerKeyScheme(HttpBearer):
    """Declares `Authorization: Bearer <key>` in the OpenAPI schema and lets every request on to
    `with_api_key`, which checks the key and answers a refusal in GOV.UK's shape (403 AuthError)."""

    def __call__(self, request: HttpRequest) -> bool:
        return True

    def authenticate(self, request: HttpRequest, token: str) -> bool:
        return True


bearer = BearerKeyScheme()
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


def with_api_key(view: Callable[..., Any]) -> Callable[..., Any]:
    """Authenticate the key and count the request against its rate limit before the view runs;
    turn ApiError into its GOV.UK-shaped answer."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            try:
                key = apikeys.authenticate(request.headers.get("Authorization", ""))
            except apikeys.ApiKeyRefused as refused:
                raise ApiError(403, "AuthError", refused.message) from refused
            try:
                apikeys.check_rate_limit(key)
            except apikeys.RateLimited as limited:
                raise ApiError(
                    429,
                    "RateLimitError",
                    _("このAPIキーの上限（1分あたり%(limit)d件）を超えました。")
                    % {"limit": limited.limit},
                    headers={"Retry-After": str(limited.retry_after)},
                ) from limited
            setattr(request, _KEY_ATTRIBUTE, key)
            return view(request, *args, **kwargs)
        except ApiError as error:
            return error.response()

    return guarded


def api_key_of(request: HttpRequest) -> ApiKey:
    key = getattr(request, _KEY_ATTRIBUTE)
    assert isinstance(key, ApiKey)  # noqa: S101 - with_api_key set it
    return key


# --- Reading the request ----------------------------------------------------------------------------


def _field_of(location: tuple[int | str, ...]) -> str:
    # Pydantic adds the union member tried ("str", "dict[str,str]") to the location; the client
    # only needs the field (and the personalisation key it sent).
    if len(location) > 1 and location[0] == "personalisation":
        return f"personalisation.{location[1]}"
    return str(location[0]) if location else "body"


def _validation_messages(error: pydantic.ValidationError) -> list[str]:
    messages: dict[str, str] = {}
    for problem in error.errors(include_url=False):
        field = _field_of(tuple(problem["loc"]))
        if field in messages:
            continue
        kind = problem["type"]
        if kind == "missing":
            text = _("%(field)sは必須です。") % {"field": field}
        elif kind == "extra_forbidden":
            text = _("%(field)sという項目はありません。") % {"field": field}
        elif kind == "string_too_long":
            text = _("%(field)sは%(limit)d文字以内にしてください。") % {
                "field": field,
                "limit": problem.get("ctx", {}).get("max_length", 0),
            }
        elif kind == "literal_error":
            text = _("%(field)sは次のいずれかにしてください: %(choices)s") % {
                "field": field,
                "choices": problem.get("ctx", {}).get("expected", ""),
            }
        else:
            text = _("%(field)sの形式が正しくありません。") % {"field": field}
        messages[field] = text
    return list(messages.values())


def read_notification(raw: bytes) -> NotificationIn:
    try:
        data = json.loads(raw or b"null")
    except ValueError as error:
        raise ApiError(400, "BadRequestError", _("JSONとして読めません。")) from error
    if not isinstance(data, dict):
        raise ApiError(400, "BadRequestError", _("JSONのオブジェクトを送ってください。"))
    try:
        return NotificationIn.model_validate(data)
    except pydantic.ValidationError as error:
        raise ApiError(400, "ValidationError", _validation_messages(error)) from error


def contents_from(subject: str | dict[str, str], body: str | dict[str, str]) -> dict[str, Any]:
    """{"ja": {"subject", "body"}, "en": …} from the API's subject and body (a plain string is
    the Japanese text)."""
    subjects = {"ja": subject} if isinstance(subject, str) else subject
    bodies = {"ja": body} if isinstance(body, str) else body
    return {
        language: {"subject": subjects.get(language, ""), "body": bodies.get(language, "")}
        for language in dict.fromkeys([*subjects, *bodies])
    }


def find_resident(notification: NotificationIn) -> User:
    """The registered, active resident the notice is for."""
    if (notification.resident_id is None) == (notification.email_address is None):
        raise ApiError(
            400,
            "BadRequestError",
            _("resident_idとemail_addressのどちらか一つを指定してください。"),
        )
    residents = ResidentProfile.objects.filter(user__is_active=True).select_related("user")
    if notification.resident_id is not None:
        profile = residents.filter(pk=notification.resident_id).first()
        if profile is None:
            raise ApiError(
                400, "BadRequestError", _("resident_id: その番号の町民は登録されていません。")
            )
        return profile.user
    address = (notification.email_address or "").strip()
    profile = residents.filter(user__email__iexact=address).first()
    if profile is None:
        raise ApiError(
            400,
            "BadRequestError",
            _("email_address: 登録された町民のメールアドレスではありません。"),
        )
    return profile.user


def checked_text(notification: NotificationIn) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The message text and placeholder values, or a 400 naming what is wrong."""
    if notification.priority == "emergency":
        raise ApiError(
            400,
            "BadRequestError",
            _("priority: 緊急の通知はAPIでは送れません。職員の画面から送ってください。"),
        )
    if notification.topic and notification.topic not in Topic.values:
        raise ApiError(
            400,
            "BadRequestError",
            _("topic: 分野が正しくありません（使えるもの: %(topics)s）。")
            % {"topics": ", ".join(Topic.values)},
        )
    try:
        contents = rendering.check_contents(contents_from(notification.subject, notification.body))
    except DjangoValidationError as error:
        raise ApiError(400, "ValidationError", list(error.messages)) from error
    personalisation = {name: str(value) for name, value in notification.personalisation.items()}
    missing = sorted(
        name
        for name in rendering.placeholders_in(contents)
        if name not in rendering.RECIPIENT_PLACEHOLDERS and name not in personalisation
    )
    if missing:
        raise ApiError(
            400,
            "BadRequestError",
            _("personalisationに値がありません: %(names)s") % {"names": ", ".join(missing)},
        )
    return contents, rendering.resolve_context(contents, personalisation)


# --- Answers ---------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def notification_uri(request: HttpRequest, message: Message) -> str:
    return request.build_absolute_uri(
        reverse("api:notify_v2_notification", kwargs={"notification_id": str(message.pk)})
    )


def japanese_text(message: Message) -> rendering.Rendered:
    return rendering.render(message.contents, message.context, language=rendering.JAPANESE)


def created_out(request: HttpRequest, message: Message) -> dict[str, Any]:
    text = japanese_text(message)
    return {
        "id": str(message.pk),
        "reference": message.reference or None,
        "content": {"subject": text.subject, "body": text.body},
        "uri": notification_uri(request, message),
        "scheduled_for": _iso(message.scheduled_at),
    }


def recipient_status(message: Message, recipient: Recipient, deliveries: list[Delivery]) -> str:
    """One resident's state, in GOV.UK Notify's words: read, delivered on some channel, still
    sending, or how the last channel failed. A resident with no outside channel has the notice in
    the inbox (マイページ) once the message is sent."""
    if recipient.read_at is not None:
        return DeliveryStatus.READ
    statuses = [d.status for d in deliveries]
    if DeliveryStatus.DELIVERED in statuses or DeliveryStatus.READ in statuses:
        return DeliveryStatus.DELIVERED
    if not deliveries:
        return DeliveryStatus.DELIVERED if message.status == MessageStatus.SENT else "created"
    if any(d.status in PENDING and d.completed_at is None for d in deliveries):
        return DeliveryStatus.SENDING
    return deliveries[-1].status


def notification_out(request: HttpRequest, message: Message) -> dict[str, Any]:
    text = japanese_text(message)
    recipients = []
    for recipient in message.recipients.all():
        deliveries = list(recipient.deliveries.all())
        profile = getattr(recipient.user, "resident_profile", None)
        recipients.append(
            {
                "resident_id": profile.pk if profile is not None else None,
                "status": recipient_status(message, recipient, deliveries),
                "read_at": _iso(recipient.read_at),
                "deliveries": [
                    {
                        "channel": d.channel,
                        "status": d.status,
                        "sent_at": _iso(d.sent_at),
                        "completed_at": _iso(d.completed_at),
                    }
                    for d in deliveries
                ],
            }
        )
    if recipients:
        status = recipients[0]["status"]
    elif message.status == MessageStatus.CANCELLED:
        status = "cancelled"
    elif message.status == MessageStatus.SENT:
        # The resident chose topics that do not include this one: no copy was made.
        status = "opted_out"
    else:
        status = "created"
    return {
        "id": str(message.pk),
        "reference": message.reference or None,
        "type": "resident",
        "status": status,
        "priority": message.priority,
        "topic": message.topic,
        "subject": text.subject,
        "body": text.body,
        "created_at": message.created_at.isoformat(),
        "sent_at": _iso(message.started_at),
        "completed_at": _iso(message.finished_at),
        "recipients": recipients,
        "uri": notification_uri(request, message),
    }


def messages_of(key: ApiKey) -> QuerySet[Message]:
    return (
        Message.objects.filter(api_key=key)
        .prefetch_related(
            Prefetch(
                "recipients",
                queryset=Recipient.objects.select_related("user__resident_profile").order_by("pk"),
            ),
            Prefetch("recipients__deliveries", queryset=Delivery.objects.order_by("pk")),
        )
        .order_by("-pk")
    )


# --- Idempotency ------------------------------------------------------------------------------------


def _fingerprint(raw: bytes) -> str:
    """The request's identity for Idempotency-Key: its JSON in a canonical form, so that a retry
    with the keys in another order is the same request."""
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False).encode()
    except ValueError:
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


def _slot(key: ApiKey, idempotency_key: str) -> str:
    return f"notify:api-idempotency:{key.pk}:{hashlib.sha256(idempotency_key.encode()).hexdigest()}"


def _earlier_send(
    key: ApiKey, reference: str, contents: dict[str, Any], context: dict[str, str], user: User
) -> Message | None:
    """The same notice sent with this key and reference in the last 24 hours, if any: the check
    behind the cache, for a retry that reaches another process or comes after a restart."""
    since = timezone.now() - timedelta(seconds=IDEMPOTENCY_SECONDS)
    for message in Message.objects.filter(
        api_key=key, reference=reference, created_at__gte=since
    ).order_by("pk"):
        if (
            message.contents == contents
            and message.context == context
            and message.recipients.filter(user=user).exists()
        ):
            return message
    return None


def _replay(request: HttpRequest, key: ApiKey, earlier: dict[str, Any], fingerprint: str) -> Any:
    if earlier.get("fingerprint") != fingerprint:
        raise ApiError(
            400,
            "BadRequestError",
            _("このIdempotency-Keyは別の内容の要求で使われています。"),
        )
    if "message_id" not in earlier:
        raise ApiError(
            409,
            "ConflictError",
            _("同じIdempotency-Keyの要求を処理中です。少し待ってから送り直してください。"),
        )
    message = messages_of(key).filter(pk=earlier["message_id"]).first()
    if message is None:
        return None
    return Status(201, created_out(request, message))


# --- Endpoints ---------------------------------------------------------------------------------------


@router.post(
    "/v2/notifications",
    auth=bearer,
    response={201: NotificationCreatedOut, 409: ErrorOut, **ERRORS},
    summary="Send a notice to a resident",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": NotificationIn.model_json_schema()}},
        },
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH},
                "description": "Retries with the same key within 24 h return the first answer.",
            }
        ],
    },
)
@with_api_key
def post_notification(request: HttpRequest) -> Any:
    """Send a notice to one registered resident (kind `notify.api`), in the resident's language
    when the text has it. 201 with the notice's id.

    Idempotency-Key (optional header): a retry with the same header and the same key within 24 hours
    gets the first answer and sends nothing. The first answer is remembered in the cache; when the
    cache has forgotten it (another process with a local cache, a restart) and the request has a
    `reference`, the database is asked for the same notice (same key, reference, text, values and
    resident in the last 24 hours). Without a shared cache and without a reference, a retry that
    lands on another process can send a second copy: give a reference, and use a shared cache.
    """
    key = api_key_of(request)
    idempotency_key = request.headers.get("Idempotency-Key", "").strip()
    fingerprint = _fingerprint(request.body)
    slot = ""
    if idempotency_key:
        if len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
            raise ApiError(
                400,
                "ValidationError",
                _("Idempotency-Keyは%(limit)d文字以内にしてください。")
                % {"limit": MAX_IDEMPOTENCY_KEY_LENGTH},
            )
        slot = _slot(key, idempotency_key)
        if not cache.add(slot, {"fingerprint": fingerprint}, timeout=IDEMPOTENCY_SECONDS):
            earlier = cache.get(slot)
            if earlier is not None:
                replayed = _replay(request, key, earlier, fingerprint)
                if replayed is not None:
                    return replayed
            cache.set(slot, {"fingerprint": fingerprint}, timeout=IDEMPOTENCY_SECONDS)
    try:
        notification = read_notification(request.body)
        contents, context = checked_text(notification)
        user = find_resident(notification)
        with transaction.atomic():
            message = None
            if idempotency_key and notification.reference:
                # One idempotent send per key at a time, so two retries cannot both miss the check.
                ApiKey.objects.select_for_update().get(pk=key.pk)
                message = _earlier_send(key, notification.reference, contents, context, user)
            if message is None:
                message = send(
                    API_KIND,
                    to=user,
                    contents=contents,
                    context=context,
                    topic=notification.topic,
                    priority="normal",
                    api_key=key,
                    reference=notification.reference,
                )
    except DjangoValidationError as error:
        if slot:
            cache.delete(slot)
        raise ApiError(400, "BadRequestError", list(error.messages)) from error
    except Exception:
        if slot:
            cache.delete(slot)
        raise
    if slot:
        cache.set(
            slot,
            {"fingerprint": fingerprint, "message_id": message.pk},
            timeout=IDEMPOTENCY_SECONDS,
        )
    return Status(201, created_out(request, message))


@router.get(
    "/v2/notifications/{notification_id}",
    auth=bearer,
    response={200: NotificationOut, **ERRORS},
    url_name="notify_v2_notification",
    summary="One notice sent with this key",
)
@with_api_key
def get_notification(request: HttpRequest, notification_id: str) -> Any:
    """A notice this key sent, with each recipient's status and deliveries; 404 for any other."""
    key = api_key_of(request)
    message = None
    if notification_id.isdigit():
        message = messages_of(key).filter(pk=int(notification_id)).first()
    if message is None:
        raise ApiError(404, "NotFoundError", _("通知が見つかりません。"))
    return Status(200, notification_out(request, message))


@router.get(
    "/v2/notifications",
    auth=bearer,
    response={200: NotificationListOut, **ERRORS},
    summary="Notices sent with this key",
)
@with_api_key
def list_notifications(
    request: HttpRequest, status: str = "", reference: str = "", older_than: str = ""
) -> Any:
    """The key's notices, newest first, 250 a page. `status`: those with a delivery in that state
    (read: opened by the resident; delivered includes notices that went only to the inbox);
    `reference`: yours; `older_than`: an id, for the next page (links.next)."""
    key = api_key_of(request)
    messages = messages_of(key)
    if status:
        if status not in STATUSES:
            raise ApiError(
                400,
                "ValidationError",
                _("status: 次のいずれかにしてください: %(statuses)s")
                % {"statuses": ", ".join(STATUSES)},
            )
        matches = Q(recipients__deliveries__status=status)
        if status == DeliveryStatus.READ:
            matches |= Q(recipients__read_at__isnull=False)
        elif status == DeliveryStatus.DELIVERED:
            matches |= Q(status=MessageStatus.SENT, recipients__deliveries__isnull=True)
        elif status == DeliveryStatus.CREATED:
            matches |= Q(recipients__deliveries__isnull=True) & ~Q(status=MessageStatus.SENT)
        messages = messages.filter(pk__in=Message.objects.filter(matches).values("pk"))
    if reference:
        messages = messages.filter(reference=reference)
    if older_than:
        if not older_than.isdigit():
            raise ApiError(400, "ValidationError", _("older_than: 通知のidを指定してください。"))
        messages = messages.filter(pk__lt=int(older_than))
    page = list(messages[:PAGE_SIZE])
    current = request.build_absolute_uri()
    following = None
    if len(page) == PAGE_SIZE:
        query = request.GET.copy()
        query["older_than"] = str(page[-1].pk)
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return Status(
        200,
        {
            "notifications": [notification_out(request, m) for m in page],
            "links": {"current": current, "next": following},
        },
    )


__all__ = ["router"]
