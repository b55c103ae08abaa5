"""Message text (本文): ((placeholders)), language variants and the choice of variant per resident.

Placeholders are written ((name)), as in GOV.UK Notify, because staff type them by hand and double
parentheses never occur in ordinary Japanese text. Two are filled per recipient — ((氏名)) the
resident's name and ((行政区)) their district —; every other placeholder takes the value the sender
gave in the message's context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PLACEHOLDER = re.compile(r"\(\(([^()\s]{1,40})\)\)")
RECIPIENT_PLACEHOLDERS = ("氏名", "行政区")
JAPANESE = "ja"
EASY_JAPANESE = "ja-easy"
ENGLISH = "en"
MAX_SUBJECT_LENGTH = 100
MAX_BODY_LENGTH = 5000


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def placeholders_in(contents: dict[str, dict[str, str]]) -> set[str]:
    """Every ((placeholder)) the variants use."""
    return {
        name
        for variant in contents.values()
        for text in (variant.get("subject", ""), variant.get("body", ""))
        for name in PLACEHOLDER.findall(text)
    }


def check_contents(contents: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Validate language variants: a Japanese one is required, each has a subject and a body
    within limits. Returns them cleaned (stripped, empty variants dropped)."""
    from yakuba.platform.accounts.models import Language

    known = set(Language.values)
    cleaned: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    for language, variant in contents.items():
        if language not in known:
            errors.append(_("対応していない言語です: %(language)s") % {"language": language})
            continue
        subject = str(variant.get("subject", "")).strip()
        body = str(variant.get("body", "")).strip()
        if not subject and not body:
            continue
        name = Language(language).label
        if not subject:
            errors.append(_("%(language)sの件名を入力してください。") % {"language": name})
        if not body:
            errors.append(_("%(language)sの本文を入力してください。") % {"language": name})
        if len(subject) > MAX_SUBJECT_LENGTH:
            errors.append(
                _("%(language)sの件名は%(limit)d文字以内にしてください。")
                % {"language": name, "limit": MAX_SUBJECT_LENGTH}
            )
        if len(body) > MAX_BODY_LENGTH:
            errors.append(
                _("%(language)sの本文は%(limit)d文字以内にしてください。")
                % {"language": name, "limit": MAX_BODY_LENGTH}
            )
        cleaned[language] = {"subject": subject, "body": body}
    if JAPANESE not in cleaned and not errors:
        errors.append(_("日本語の件名と本文を入力してください。"))
    if errors:
        raise ValidationError(errors)
    return cleaned


def resolve_context(contents: dict[str, dict[str, str]], context: dict[str, Any]) -> dict[str, str]:
    """The values of the placeholders the text uses, as strings, taken from the sender's context
    (dotted names look into objects: ((report.number))). A placeholder without a value is an error:
    a notice must never go out with a hole in it."""
    values: dict[str, str] = {}
    missing = []
    for name in sorted(placeholders_in(contents)):
        if name in RECIPIENT_PLACEHOLDERS:
            continue
        value = _lookup(context, name)
        if value is None:
            missing.append(name)
        else:
            values[name] = str(value)
    if missing:
        raise ValidationError(
            _("差し込み項目の値がありません: %(names)s")
            % {"names": "、".join(f"(({n}))" for n in missing)}
        )
    return values


def _lookup(context: dict[str, Any], dotted: str) -> Any:
    if dotted in context:
        return context[dotted]
    head, _dot, rest = dotted.partition(".")
    value: Any = context.get(head)
    for part in rest.split(".") if rest else ():
        if value is None:
            return None
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return value


def choose_language(contents: dict[str, Any], *, preferred: str, simple_japanese: bool) -> str:
    """The variant a resident receives. Japanese readers who asked for やさしい日本語 get it when it
    exists. Readers of another language get their own, else やさしい日本語 (the Immigration Services
    Agency's guidance: more foreign residents read it than English), else English, else Japanese."""
    if preferred in contents:
        if preferred == JAPANESE and simple_japanese and EASY_JAPANESE in contents:
            return EASY_JAPANESE
        return preferred
    if preferred in (JAPANESE, EASY_JAPANESE):
        return JAPANESE
    order = (EASY_JAPANESE, ENGLISH) if preferred != ENGLISH else (ENGLISH, EASY_JAPANESE)
    for language in order:
        if language in contents:
            return language
    return JAPANESE


def render(
    contents: dict[str, dict[str, str]],
    context: dict[str, str],
    *,
    language: str,
    recipient_values: dict[str, str] | None = None,
) -> Rendered:
    """The subject and body in one language with every placeholder filled."""
    values = {**context, **(recipient_values or {})}
    variant = contents.get(language) or contents[JAPANESE]

    def fill(text: str) -> str:
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    return Rendered(subject=fill(variant["subject"]), body=fill(variant["body"]))


def recipient_values(profile: Any) -> dict[str, str]:
    """The per-recipient placeholders from a resident profile (None: a resident without one)."""
    if profile is None:
        return {"氏名": "", "行政区": ""}
    district = profile.district.name if profile.district_id else ""
    return {"氏名": profile.full_name, "行政区": district}
