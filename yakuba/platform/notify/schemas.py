"""Schemas of the notify HTTP API (/api/notify/v2/…), after GOV.UK Notify's API v2."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

# A text: one string (Japanese) or one per language {"ja": …, "en": …}; "ja" is required.
Text = str | dict[str, str]


class NotificationIn(Schema):
    """A notice to one registered resident, named by `resident_id` or `email_address`."""

    model_config = ConfigDict(extra="forbid")

    resident_id: int | None = Field(None, description="The resident's id (ResidentProfile).")
    email_address: str | None = Field(
        None, description="The address of a registered, active resident; not a mail relay."
    )
    subject: Text = Field(..., description='"件名" or {"ja": "件名", "en": "Subject"}')
    body: Text = Field(..., description='"本文" or {"ja": "本文", "en": "Body"}')
    personalisation: dict[str, str | int | float] = Field(
        default_factory=dict, description="Values of the ((placeholders)) in subject and body."
    )
    reference: str = Field("", max_length=100, description="Your own reference, returned as is.")
    priority: Literal["normal", "emergency"] = Field(
        "normal", description='Only "normal" is accepted through the API for now.'
    )
    topic: str = Field("", description="A topic code (分野), e.g. childcare; empty for none.")


class ContentOut(Schema):
    subject: str
    body: str


class NotificationCreatedOut(Schema):
    id: str
    reference: str | None
    content: ContentOut
    uri: str
    scheduled_for: str | None = None


class DeliveryOut(Schema):
    channel: str
    status: str
    sent_at: str | None
    completed_at: str | None


class RecipientOut(Schema):
    resident_id: int | None
    status: str
    read_at: str | None
    deliveries: list[DeliveryOut]


class NotificationOut(Schema):
    id: str
    reference: str | None
    type: Literal["resident"]
    status: str
    priority: str
    topic: str
    subject: str
    body: str
    created_at: str
    sent_at: str | None
    completed_at: str | None
    recipients: list[RecipientOut]
    uri: str


class LinksOut(Schema):
    current: str
    next: str | None = None


class NotificationListOut(Schema):
    notifications: list[NotificationOut]
    links: LinksOut


class ErrorItemOut(Schema):
    error: str
    message: str


class ErrorOut(Schema):
    """GOV.UK Notify's error body: {"status_code": 400, "errors": [{"error", "message"}]}."""

    status_code: int
    errors: list[ErrorItemOut]
