"""Demo notices: a typhoon safety check to the coast with answers coming in, and a notice to the
demo resident, so the inbox, the delivery report and the answers page have something to show.
Idempotent: each demo message is made once (found again by its reference)."""

from __future__ import annotations

import random

from django.db import transaction

from yakuba.platform.accounts.models import User
from yakuba.platform.notify import replies, sending, tasks
from yakuba.platform.notify.models import Channel, Message, Recipient, Segment

SAFETY = [
    {
        "kind": "choice",
        "text": {
            "ja": "ご無事ですか。",
            "en": "Are you safe?",
            "ja-easy": "あなたは だいじょうぶ ですか。",
        },
        "choices": [
            {
                "code": "safe",
                "label": {"ja": "無事です", "en": "I am safe", "ja-easy": "だいじょうぶ"},
            },
            {
                "code": "help",
                "label": {
                    "ja": "助けが必要です",
                    "en": "I need help",
                    "ja-easy": "たすけて ほしい",
                },
            },
        ],
    }
]
COAST_RULE = {"district": ["04", "11"]}


@transaction.atomic
def load_demo() -> None:
    segment, _created = Segment.objects.get_or_create(
        name="沿岸部（荒浜・吉田）の町民",
        defaults={"rule": COAST_RULE, "description": "津波・高潮の避難情報を届ける範囲"},
    )
    if not Message.objects.filter(reference="demo:typhoon").exists():
        message = sending.send(
            "notify.emergency",
            segment=segment,
            contents={
                "ja": {
                    "subject": "【安否確認】台風第14号の接近に伴う安否確認",
                    "body": "((氏名))様\n台風第14号が接近しています。ご無事かどうか、下の質問にお答えください。\n避難所：亘理町役場、荒浜小学校",
                },
                "ja-easy": {
                    "subject": "あんぴ かくにん（たいふう）",
                    "body": "((氏名))さん\nたいふうが きます。あなたは だいじょうぶ ですか。こたえて ください。",
                },
                "en": {
                    "subject": "[Safety check] Typhoon No. 14",
                    "body": "Dear ((氏名)),\nTyphoon No. 14 is approaching. Please tell us whether you are safe.",
                },
            },
            questions=SAFETY,
            topic="disaster",
            reference="demo:typhoon",
        )
        # Recipients now, so that answers can be shown; the worker delivers the mails.
        tasks.fan_out_message.call(message.pk)
        rng = random.Random(14)  # noqa: S311 - demo data, not security
        questions = list(message.questions.all())
        for recipient in Recipient.objects.filter(message=message).order_by("pk"):
            roll = rng.random()
            if roll < 0.55:
                replies.record_reply(recipient, questions[0], choice="safe", channel=Channel.IN_APP)
            elif roll < 0.62:
                replies.record_reply(recipient, questions[0], choice="help", channel=Channel.LINE)
                replies.add_to_conversation(
                    recipient,
                    by=recipient.user,
                    body="足が悪く、一人で避難所まで行けません。",
                    from_staff=False,
                    channel=Channel.IN_APP,
                )
    resident = User.objects.filter(email="resident@example.jp").first()
    if resident is not None and not Message.objects.filter(reference="demo:bulky-waste").exists():
        sending.send(
            "notify.announcement",
            to=resident,
            contents={
                "ja": {
                    "subject": "粗大ごみの収集日のお知らせ",
                    "body": "((氏名))様\nお申し込みの粗大ごみは、12月3日（水）の朝8時30分までに出してください。",
                },
                "en": {
                    "subject": "Your bulky waste collection day",
                    "body": "Dear ((氏名)),\nPlease put out your bulky waste by 8:30 on Wednesday 3 December.",
                },
            },
            topic="waste_environment",
            reference="demo:bulky-waste",
        )
