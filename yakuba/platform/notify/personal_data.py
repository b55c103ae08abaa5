"""A resident's notices in "download my data", and their removal with the account."""

from __future__ import annotations

from typing import Any

from yakuba.platform.notify.models import (
    ConversationMessage,
    LineLink,
    Preferences,
    PushSubscription,
    Recipient,
    Reply,
)


def export(user: Any) -> dict[str, Any]:
    preferences = Preferences.objects.filter(user=user).first()
    return {
        "preferences": None
        if preferences is None
        else {
            "quiet_from": preferences.quiet_from.isoformat() if preferences.quiet_from else None,
            "quiet_until": preferences.quiet_until.isoformat() if preferences.quiet_until else None,
            "daily_digest": preferences.daily_digest,
            "digest_time": preferences.digest_time.isoformat(),
        },
        "notices": [
            {
                "subject": r.message.contents.get(r.language, r.message.contents.get("ja", {})).get(
                    "subject", ""
                ),
                "received_at": r.created_at.isoformat(),
                "read_at": r.read_at.isoformat() if r.read_at else None,
                "deliveries": [
                    {"channel": d.channel, "status": d.status} for d in r.deliveries.all()
                ],
            }
            for r in Recipient.objects.filter(user=user)
            .select_related("message")
            .prefetch_related("deliveries")
        ],
        "answers": [
            {
                "question": reply.question.text.get("ja", ""),
                "choice": reply.choice,
                "text": reply.text,
                "answered_at": reply.answered_at.isoformat(),
            }
            for reply in Reply.objects.filter(recipient__user=user).select_related("question")
        ],
        "conversation": [
            {"from_town": m.from_staff, "body": m.body, "at": m.created_at.isoformat()}
            for m in ConversationMessage.objects.filter(recipient__user=user)
        ],
        "push_subscriptions": list(
            PushSubscription.objects.filter(user=user).values_list("endpoint", flat=True)
        ),
        "line_linked": LineLink.objects.filter(user=user).exists(),
    }


def erase(user: Any) -> None:
    """Remove the resident's notices, answers and addresses. The messages themselves stay (they
    were sent to many); their counts lose this resident."""
    Recipient.objects.filter(user=user).delete()
    PushSubscription.objects.filter(user=user).delete()
    LineLink.objects.filter(user=user).delete()
    Preferences.objects.filter(user=user).delete()
