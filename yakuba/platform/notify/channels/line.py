"""LINE: messages through the town's LINE official account (LINE公式アカウント), Messaging API.

Sending: one push message per delivery (POST /v2/bot/message/push). Every push carries an
X-Line-Retry-Key derived from the delivery, so a retry after a timeout or a crash can never show
the resident the same message twice: LINE executes a request with a given key once and answers
409 to any later one ("Retry failed API requests", developers.line.biz). That is why this channel
does not call `Outgoing.point_of_no_return()`.

Linking: a resident links their LINE account to their Yakuba account through LINE's account link
flow ("User account linking"): the webhook issues a link token to a LINE user who writes to the
account, our page `notify:line_link` binds it to the signed-in resident with a one-time nonce, and
LINE's accountLink webhook event returns the nonce with the LINE user id. The services for that
flow live here too, next to the client that talks to LINE.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yakuba.platform.notify.channels import Outgoing, Result
from yakuba.platform.notify.models import (
    Channel,
    DeliveryStatus,
    LineLink,
    LineLinkNonce,
    LineWebhookEvent,
    Question,
    QuestionKind,
    Recipient,
)

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.line.me"
ACCOUNT_LINK_URL = "https://access.line.me/dialog/bot/accountLink"
TIMEOUT_SECONDS = 10

# Messaging API limits (reference: "Message objects", "Action objects", "Send multicast message").
TEXT_LIMIT = 5000
ALT_TEXT_LIMIT = 400
BUTTONS_TEXT_LIMIT = 160  # buttons template without title or image
BUTTONS_MAX_ACTIONS = 4
QUICK_REPLY_MAX_ITEMS = 13
ACTION_LABEL_LIMIT = 20
POSTBACK_DATA_LIMIT = 300
MULTICAST_MAX_RECIPIENTS = 500

# LINE's link token is valid for 10 minutes; our nonce lives no longer.
NONCE_LIFETIME = timedelta(minutes=10)

# Namespace for retry keys derived from engine keys that are not UUIDs themselves. Fixed forever:
# changing it would give a retried delivery a new key, and LINE would send it a second time.
RETRY_KEY_NAMESPACE = uuid.UUID("6f1c2b1e-4d0a-5c8e-9a53-2b7c1d0e9f41")

# Postback data of an answer button: "r=<recipient id>&c=<choice code>".
POSTBACK_RECIPIENT = "r"
POSTBACK_CHOICE = "c"


def retry_key_for(idempotency_key: str, *, delivery_id: int = 0) -> str:
    """The X-Line-Retry-Key for a delivery: LINE requires a hexadecimal UUID.

    The engine's key is used as it is when it is a UUID; otherwise a UUID5 is derived from it, so
    the same delivery always gets the same key.
    """
    if idempotency_key:
        try:
            return str(uuid.UUID(idempotency_key))
        except ValueError:
            return str(uuid.uuid5(RETRY_KEY_NAMESPACE, idempotency_key))
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"delivery:{delivery_id}"))


def answer_postback_data(recipient_id: int, code: str) -> str:
    """The postback data of an answer button (read back by the webhook)."""
    data = urlencode({POSTBACK_RECIPIENT: recipient_id, POSTBACK_CHOICE: code})
    if len(data) > POSTBACK_DATA_LIMIT:
        raise ValueError("postback data longer than LINE accepts")
    return data


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_messages(outgoing: Outgoing) -> list[dict[str, Any]]:
    """The message objects for one delivery: the text, and answer buttons when it asks a question.

    Up to four choices become a buttons template (it stays in the chat, so a resident can still
    answer later); more become quick-reply buttons (up to thirteen) under the text. The inbox link
    is always in the text, so every choice can be answered there too.
    """
    link = f"\n\n{outgoing.inbox_url}" if outgoing.inbox_url else ""
    head = f"{outgoing.subject}\n\n" if outgoing.subject else ""
    body = _shorten(outgoing.body, max(TEXT_LIMIT - len(head) - len(link), 1))
    text: dict[str, Any] = {"type": "text", "text": _shorten(head + body + link, TEXT_LIMIT)}
    messages: list[dict[str, Any]] = [text]
    if not outgoing.choices:
        return messages

    actions = [
        {
            "type": "postback",
            "label": _shorten(choice.label, ACTION_LABEL_LIMIT),
            "data": answer_postback_data(outgoing.recipient_id, choice.code),
            # Shown in the chat as the resident's own message, so they see what they answered.
            "displayText": _shorten(choice.label, POSTBACK_DATA_LIMIT),
        }
        for choice in outgoing.choices
    ]
    with translation.override(outgoing.language):
        prompt = _("下のボタンから回答してください。")
    if len(actions) <= BUTTONS_MAX_ACTIONS:
        messages.append(
            {
                "type": "template",
                "altText": _shorten(f"{prompt} {outgoing.inbox_url}".strip(), ALT_TEXT_LIMIT),
                "template": {
                    "type": "buttons",
                    "text": _shorten(outgoing.subject or prompt, BUTTONS_TEXT_LIMIT),
                    "actions": actions,
                },
            }
        )
    else:
        text["quickReply"] = {
            "items": [
                {"type": "action", "action": action} for action in actions[:QUICK_REPLY_MAX_ITEMS]
            ]
        }
    return messages


def result_for(response: requests.Response) -> Result:
    """Map a Messaging API answer to a delivery status (reference: "Status codes").

    - 200: accepted; LINE's request id is kept as the provider reference.
    - 409: the retry key was already accepted, so an earlier attempt got through: delivered, with
      the accepted request's id (x-line-accepted-request-id).
    - 400, 413, 415 and other 4xx: the request cannot succeed as it is (unknown user id, a payload
      LINE refuses): permanent failure. Retrying would fail the same way.
    - 401, 403: our channel access token is wrong or the plan does not allow the API: a technical
      failure the town must fix; other channels should take over.
    - 429: over the rate limit: temporary. But "You have reached your monthly limit." is the
      month's message quota: nothing goes out on LINE before the month ends or the plan changes,
      so it is a technical failure (final), and the fallback channels are used at once.
    - 5xx: LINE's trouble: temporary (a retry is safe thanks to the retry key).
    """
    status = response.status_code
    if status == 200:
        return Result(
            DeliveryStatus.DELIVERED, provider_ref=response.headers.get("x-line-request-id", "")
        )
    if status == 409:
        return Result(
            DeliveryStatus.DELIVERED,
            provider_ref=response.headers.get("x-line-accepted-request-id", ""),
        )
    error = _error_text(response)
    if status in (401, 403):
        return Result(DeliveryStatus.TECHNICAL_FAILURE, error=error)
    if status == 429:
        if "monthly limit" in error.lower():
            return Result(DeliveryStatus.TECHNICAL_FAILURE, error=error)
        return Result(DeliveryStatus.TEMPORARY_FAILURE, error=error)
    if status >= 500:
        return Result(DeliveryStatus.TEMPORARY_FAILURE, error=error)
    return Result(DeliveryStatus.PERMANENT_FAILURE, error=error)


def _error_text(response: requests.Response) -> str:
    """LINE's error as one line: 'HTTP 400: The request body has 1 error(s) (messages[0].text:
    May not be empty)'."""
    try:
        payload = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:500]}"
    if not isinstance(payload, dict):
        return f"HTTP {response.status_code}"
    text = f"HTTP {response.status_code}: {payload.get('message', '')}"
    details = [
        f"{detail.get('property', '')}: {detail.get('message', '')}"
        for detail in payload.get("details") or []
        if isinstance(detail, dict)
    ]
    if details:
        text += f" ({'; '.join(details)})"
    return text[:1000]


class LineClient:
    """The few Messaging API calls Yakuba makes, over one HTTP session."""

    def __init__(self, *, token: str, api_base: str, session: requests.Session | None = None):
        self.token = token
        self.api_base = api_base.rstrip("/")
        self.http = session or requests.Session()

    def _post(
        self, path: str, payload: dict[str, Any] | None, *, retry_key: str = ""
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if retry_key:
            headers["X-Line-Retry-Key"] = retry_key
        return self.http.post(
            f"{self.api_base}{path}", json=payload, headers=headers, timeout=TIMEOUT_SECONDS
        )

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str) -> Result:
        try:
            response = self._post(
                "/v2/bot/message/push", {"to": to, "messages": messages}, retry_key=retry_key
            )
        except requests.RequestException as error:
            # The request may have reached LINE: the retry key makes the retry safe.
            return Result(
                DeliveryStatus.TEMPORARY_FAILURE, error=f"{type(error).__name__}: {error}"
            )
        return result_for(response)

    def multicast(
        self, user_ids: Sequence[str], messages: list[dict[str, Any]], *, retry_key: str
    ) -> list[Result]:
        """Send the same messages to many users, 500 per request (the API's limit).

        Each slice gets its own retry key derived from `retry_key` and its position, so running
        the same multicast again (same ids, same order) never sends a slice twice.
        """
        base = uuid.UUID(retry_key_for(retry_key))
        results = []
        for index, start in enumerate(range(0, len(user_ids), MULTICAST_MAX_RECIPIENTS)):
            slice_ids = list(user_ids[start : start + MULTICAST_MAX_RECIPIENTS])
            slice_key = str(uuid.uuid5(base, f"slice:{index}"))
            try:
                response = self._post(
                    "/v2/bot/message/multicast",
                    {"to": slice_ids, "messages": messages},
                    retry_key=slice_key,
                )
            except requests.RequestException as error:
                results.append(
                    Result(
                        DeliveryStatus.TEMPORARY_FAILURE, error=f"{type(error).__name__}: {error}"
                    )
                )
                continue
            results.append(result_for(response))
        return results

    def issue_link_token(self, line_user_id: str) -> str:
        """A link token for the account link flow (valid 10 minutes, usable once)."""
        response = self._post(f"/v2/bot/user/{line_user_id}/linkToken", None)
        response.raise_for_status()
        return str(response.json()["linkToken"])

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> None:
        response = self._post(
            "/v2/bot/message/reply", {"replyToken": reply_token, "messages": messages}
        )
        response.raise_for_status()


class _LineSender:
    def __init__(self, client: LineClient):
        self.client = client

    def send(self, outgoing: Outgoing) -> Result:
        try:
            # Read through the relation, so an engine that select_related() it saves a query.
            link: LineLink | None = outgoing.user.line_link
        except LineLink.DoesNotExist:
            link = None
        if link is None or link.blocked_at is not None:
            # Unlinked or blocked since the delivery was planned: LINE cannot reach them now.
            return Result(DeliveryStatus.PERMANENT_FAILURE, error="no linked LINE account")
        try:
            messages = build_messages(outgoing)
        except ValueError as error:
            return Result(DeliveryStatus.PERMANENT_FAILURE, error=str(error))
        retry_key = retry_key_for(outgoing.idempotency_key, delivery_id=outgoing.delivery_id)
        return self.client.push(link.line_user_id, messages, retry_key=retry_key)


class LineChannel:
    """The LINE channel (LINE公式アカウント). Off while no channel access token is set."""

    code = Channel.LINE

    def __init__(self, *, token: str, secret: str, api_base: str = DEFAULT_API_BASE):
        self.token = token
        self.secret = secret
        self.api_base = api_base or DEFAULT_API_BASE

    @property
    def is_configured(self) -> bool:
        return bool(self.token)

    def client(self, session: requests.Session | None = None) -> LineClient:
        return LineClient(token=self.token, api_base=self.api_base, session=session)

    def can_reach(self, user: Any) -> bool:
        if not self.is_configured or user is None or user.pk is None:
            return False
        return LineLink.objects.filter(user=user, blocked_at__isnull=True).exists()

    @contextmanager
    def session(self) -> Iterator[_LineSender]:
        with requests.Session() as http:
            yield _LineSender(self.client(http))

    def multicast(
        self, user_ids: Sequence[str], messages: list[dict[str, Any]], retry_key: str
    ) -> list[Result]:
        """The same messages to many LINE users at once, one Result per slice of 500.

        When the engine could use it: a large send of identical text with no answer buttons
        (an emergency bulletin to every linked resident). Answer buttons carry the recipient's id,
        so a message that asks a question must go by push, one per recipient. A slice's result is
        the result of all its recipients; LINE does not say per user whether a message arrived.
        The engine does not use it yet: push at LINE's 2,000 requests a second is fast enough for
        a town, and gives each delivery its own state.
        """
        with requests.Session() as http:
            return self.client(http).multicast(user_ids, messages, retry_key=retry_key)


def build() -> LineChannel:
    return LineChannel(
        token=getattr(settings, "NOTIFY_LINE_CHANNEL_ACCESS_TOKEN", ""),
        secret=getattr(settings, "NOTIFY_LINE_CHANNEL_SECRET", ""),
        api_base=getattr(settings, "NOTIFY_LINE_API_BASE", "") or DEFAULT_API_BASE,
    )


# --- Account link (LINE連携) and follow state ---------------------------------------------------


def start_account_link(user: Any, *, link_token: str) -> str:
    """Issue a one-time nonce for a signed-in resident and return LINE's account-link URL.

    LINE asks for a nonce that cannot be guessed and is used once (10–255 characters; 128 bits or
    more, Base64): 32 random bytes, URL-safe Base64.
    """
    nonce = LineLinkNonce.objects.create(user=user, nonce=secrets.token_urlsafe(32))
    return f"{ACCOUNT_LINK_URL}?{urlencode({'linkToken': link_token, 'nonce': nonce.nonce})}"


@transaction.atomic
def complete_account_link(*, line_user_id: str, nonce: str) -> LineLink | None:
    """Link a LINE user to the resident who was issued `nonce` (accountLink event, result "ok").

    Refused (None) when the nonce is unknown, already used or older than ten minutes. A resident
    has one LINE account and a LINE account one resident: linking replaces either old link.
    """
    issued = (
        LineLinkNonce.objects.select_for_update()
        .filter(nonce=nonce, used_at__isnull=True, created_at__gte=timezone.now() - NONCE_LIFETIME)
        .first()
    )
    if issued is None:
        return None
    issued.used_at = timezone.now()
    issued.save(update_fields=["used_at"])
    LineLink.objects.filter(line_user_id=line_user_id).exclude(user_id=issued.user_id).delete()
    LineLink.objects.filter(user_id=issued.user_id).delete()
    return LineLink.objects.create(user_id=issued.user_id, line_user_id=line_user_id)


def mark_followed(line_user_id: str) -> bool:
    """The resident added the account as a friend again (follow): LINE can reach them."""
    return bool(LineLink.objects.filter(line_user_id=line_user_id).update(blocked_at=None))


def mark_blocked(line_user_id: str) -> bool:
    """The resident blocked the account (unfollow): no more pushes until they follow again."""
    return bool(
        LineLink.objects.filter(line_user_id=line_user_id, blocked_at__isnull=True).update(
            blocked_at=timezone.now()
        )
    )


def record_webhook_event(event_id: str) -> bool:
    """Remember a webhook event; False when it was already handled (a redelivery or a replay)."""
    try:
        with transaction.atomic():
            LineWebhookEvent.objects.create(event_id=event_id)
    except IntegrityError:
        return False
    return True


# --- Webhook (events from LINE) ------------------------------------------------------------------


def signature_is_valid(secret: str, body: bytes, signature: str) -> bool:
    """x-line-signature is Base64(HMAC-SHA256(channel secret, raw request body))."""
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.encode())


class Answer(enum.Enum):
    """What the account says back to an event, with the event's reply token."""

    LINK_PROMPT = "link_prompt"
    LINKED = "linked"
    LINK_REFUSED = "link_refused"
    ANSWER_RECORDED = "answer_recorded"
    MESSAGE_FORWARDED = "message_forwarded"


def receive_event(
    event: dict[str, Any], *, client: LineClient, link_url: Callable[[str], str]
) -> Answer | None:
    """Handle one webhook event, once: a redelivered or replayed event (same webhookEventId) is
    ignored. The event's changes commit together with its webhookEventId, so an event that fails
    half-way leaves nothing behind. The reply (LINE's reply API) is sent after the commit.

    No age limit is applied: LINE redelivers an undelivered event later (marked
    deliveryContext.isRedelivery), and a late safety-check answer is still an answer. Replays are
    stopped by the event id, which is kept for good.
    """
    event_id = str(event.get("webhookEventId") or "")
    source = event.get("source") or {}
    line_user_id = str(source.get("userId") or "") if source.get("type") == "user" else ""
    if not event_id:
        logger.warning("LINE webhook event without webhookEventId ignored: %s", event.get("type"))
        return None
    with transaction.atomic():
        if not record_webhook_event(event_id):
            return None
        if not line_user_id:
            return None  # group chats and rooms: the town's account is not used there
        answer = _apply_event(event, line_user_id)

    redelivered = bool((event.get("deliveryContext") or {}).get("isRedelivery"))
    reply_token = str(event.get("replyToken") or "")
    # In standby mode another channel answers the chat, and a redelivered event's reply token
    # has most likely expired: say nothing then.
    if answer is None or not reply_token or redelivered or event.get("mode", "active") != "active":
        return answer
    try:
        client.reply(reply_token, [_answer_message(answer, client, line_user_id, link_url)])
    except (requests.RequestException, KeyError, ValueError):
        logger.warning("LINE reply for event %s failed", event_id, exc_info=True)
    return answer


def _apply_event(event: dict[str, Any], line_user_id: str) -> Answer | None:
    kind = event.get("type")
    if kind == "follow":
        return None if mark_followed(line_user_id) else Answer.LINK_PROMPT
    if kind == "unfollow":
        mark_blocked(line_user_id)
        return None
    if kind == "accountLink":
        link = event.get("link") or {}
        if link.get("result") != "ok":
            return Answer.LINK_REFUSED
        linked = complete_account_link(line_user_id=line_user_id, nonce=str(link.get("nonce", "")))
        if linked is None:
            logger.warning("LINE account link refused: unknown, used or expired nonce")
            return Answer.LINK_REFUSED
        return Answer.LINKED
    if kind == "postback":
        return _receive_answer(str((event.get("postback") or {}).get("data", "")), line_user_id)
    if kind == "message":
        message = event.get("message") or {}
        if message.get("type") != "text":
            return None
        return _receive_text(str(message.get("text", "")), line_user_id)
    return None


def _receive_answer(data: str, line_user_id: str) -> Answer | None:
    """An answer button was pressed: record the reply, if this LINE user is the recipient."""
    from yakuba.platform.notify import replies

    fields = parse_qs(data)
    try:
        recipient_id = int(fields[POSTBACK_RECIPIENT][0])
        code = fields[POSTBACK_CHOICE][0]
    except (KeyError, IndexError, ValueError):
        return None  # not one of our answer buttons
    link = LineLink.objects.filter(line_user_id=line_user_id).first()
    if link is None:
        return Answer.LINK_PROMPT
    recipient = Recipient.objects.select_related("message").filter(pk=recipient_id).first()
    if recipient is None or recipient.user_id != link.user_id:
        # A button from someone else's message (forwarded, or forged postback data).
        logger.warning("LINE answer refused: recipient %s is not this LINE user's", recipient_id)
        return None
    question = (
        Question.objects.filter(message_id=recipient.message_id, kind=QuestionKind.CHOICE)
        .order_by("order", "pk")
        .first()
    )
    if question is None:
        return None
    try:
        replies.record_reply(recipient, question, choice=code, text="", channel=Channel.LINE)
    except ValidationError as error:
        logger.warning("LINE answer refused for recipient %s: %s", recipient_id, error.messages)
        return None
    return Answer.ANSWER_RECORDED


def _receive_text(text: str, line_user_id: str) -> Answer | None:
    """A resident wrote to the account: it joins the thread about their latest notice."""
    from yakuba.platform.notify import replies

    link = LineLink.objects.select_related("user").filter(line_user_id=line_user_id).first()
    if link is None:
        return Answer.LINK_PROMPT
    recipient = (
        Recipient.objects.filter(user_id=link.user_id).order_by("-created_at", "-pk").first()
    )
    if recipient is None:
        logger.info("LINE message from a resident with no notice to attach it to: dropped")
        return None
    try:
        replies.add_to_conversation(
            recipient, by=link.user, body=text, from_staff=False, channel=Channel.LINE
        )
    except ValidationError as error:
        logger.warning("LINE message refused: %s", error.messages)
        return None
    return Answer.MESSAGE_FORWARDED


def _answer_message(
    answer: Answer, client: LineClient, line_user_id: str, link_url: Callable[[str], str]
) -> dict[str, Any]:
    # The LINE user's language is not known before they link: the town's language.
    with translation.override(settings.LANGUAGE_CODE):
        if answer is Answer.LINK_PROMPT:
            url = link_url(client.issue_link_token(line_user_id))
            text = _(
                "町からのお知らせをLINEで受け取るには、町のマイページのアカウントと連携してください。"
                "次のページを開いてログインし、「連携する」を押してください（10分間有効です）。"
            )
            text = f"{text}\n{url}"
        elif answer is Answer.LINKED:
            text = _("LINEの連携が完了しました。町からのお知らせをLINEでお届けします。")
        elif answer is Answer.LINK_REFUSED:
            text = _(
                "LINEの連携ができませんでした。お手数ですが、もう一度メッセージを送って最初からやり直してください。"
            )
        elif answer is Answer.ANSWER_RECORDED:
            text = _("回答を受け付けました。ありがとうございました。")
        else:
            text = _("メッセージを町に送りました。町からの返事はマイページでお知らせします。")
    return {"type": "text", "text": text}
