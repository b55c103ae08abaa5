"""API schemas for accounts (Django Ninja)."""

from __future__ import annotations

from datetime import date

from ninja import Schema


class HouseholdMemberOut(Schema):
    """A household member (世帯員)."""

    id: int
    name: str
    name_kana: str
    relationship: str
    birth_date: date


class DistrictOut(Schema):
    """The resident's district (行政区)."""

    code: str
    name: str


class ProfileOut(Schema):
    """A resident's profile (町民情報) with the household."""

    id: int
    email: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date | None
    phone: str
    postal_code: str
    address: str
    district: DistrictOut | None
    preferred_language: str
    text_size: str
    furigana: bool
    simple_japanese: bool
    notification_channels: list[str]
    topics: list[str]
    household: list[HouseholdMemberOut]


class ErrorOut(Schema):
    """An error: `detail` says what went wrong in the user's language."""

    detail: str
