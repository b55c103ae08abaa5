"""The form engine (フォームエンジン): a form definition (`formdef`) becomes a web form, the
resident's input becomes checked, canonical answers, and the answers are frozen with a digest.

Answers (申請内容) are JSON: ``{section_key: {field_key: value}}``. A field without an answer —
left empty, or hidden by its ``show_if`` — is absent. Values by type:

- text, textarea, kana, phone, email, choice: a string (kana in 全角カタカナ, runs of spaces as
  one half-width space; phone as typed with its hyphens, digits made half-width; email with
  全角 letters made half-width); textarea line ends are ``\\n``.
- number: an int. date: ``"YYYY-MM-DD"``. consent: ``true`` (an unticked box is absent).
- multi_choice: a list of option values, in the options' order.
- address: ``{"postal_code": "989-2393", "address": "宮城県亘理郡亘理町…"}``.
- bank_account: ``{"bank_code": "0125", "branch_code": "123", "account_type": "futsu" | "toza",
  "account_number": "1234567", "holder_kana": "ヤマダ タロウ"}``.
- group: a list of rows, each ``{field_key: value}`` like a section; empty rows are dropped.
- file: ``{"attachment_id": int | None, "name": "住民票.pdf", "size": 123456, "sha256": "…"}``.
  The engine checks an upload (kind, size, content) and gives ``attachment_id: None`` with the
  upload in `FilledForm.uploads` under the field's path; the service stores an `Attachment` and
  writes its id in with `set_attachment`. A field left without a new upload keeps the file in
  the `answers=` the form was built with (a draft's), so a resident does not upload twice.

Paths name a place in the answers: ``"applicant.name"``, ``"applicant.mail.postal_code"`` (a part
of an address or bank account), ``"children.children.1.birth_date"`` (row index from 0).

The digest (`digest`) is the SHA-256 of `canonical_json`: the answers as UTF-8 JSON with sorted
keys, no whitespace and non-ASCII characters as themselves (``ensure_ascii=False``). Because file
values carry the file's SHA-256, the digest covers the attachments' contents too.

Conditions are evaluated on the server (a hidden field is not required and its value is dropped);
`static/procedures/conditions.js` only shows and hides fields as the resident answers. Groups are
formsets; their 「もう1件追加」 and 「削除」 buttons are submit buttons, so they work without
JavaScript: a form built from such a POST has `row_action` set and is shown again, not checked.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import jaconv
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.urls import NoReverseMatch, reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yakuba.core.eras import ERAS, era_year, format_date
from yakuba.modules.procedures.formdef import (
    FILE_EXTENSIONS,
    Field,
    FormDefinition,
    Section,
    parse,
)

Answers = dict[str, dict[str, Any]]

# Upper bound on a group's rows when its definition sets no max, so a crafted POST cannot ask
# for thousands of forms.
DEFAULT_MAX_ROWS = 50

ACCOUNT_TYPES = (("futsu", "普通"), ("toza", "当座"))


def _account_type_label(value: str) -> str:
    return {"futsu": _("普通"), "toza": _("当座")}.get(value, value)


# ---------------------------------------------------------------------------------------------
# Normalising what residents type


_DASHES = re.compile(r"[‐‑‒–—―−ー－﹣]")
_SPACES = re.compile(r"[\s\u3000]+")
_KANA = re.compile(r"^[\u30A1-\u30FA\u30FC-\u30FE・ ]+$")
# 口座名義 may carry the symbols banks allow in a holder's name (全銀協の使用可能文字).
_HOLDER_KANA = re.compile(r"^[\u30A1-\u30FA\u30FC-\u30FE・ ()（）.,\-/「」]+$")


def _nfkc(value: str) -> str:
    """全角 digits, letters and symbols as half-width (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


def to_katakana(value: str) -> str:
    """ひらがな and 半角カナ as 全角カタカナ, runs of spaces (全角 too) as one half-width space."""
    value = jaconv.h2z(value, kana=True, digit=False, ascii=False)
    value = jaconv.hira2kata(value)
    return _SPACES.sub(" ", value).strip()


def _digits(value: str) -> str:
    return _DASHES.sub("-", _nfkc(value)).replace(" ", "")


def normalise_postal_code(value: str) -> str | None:
    """``"〒９８９－２３９３"`` → ``"989-2393"``; None when it is not 7 digits."""
    code = _digits(value).lstrip("〒").replace("-", "")
    if not re.fullmatch(r"\d{7}", code):
        return None
    return f"{code[:3]}-{code[3:]}"


_ERA_NAMES = {era.name: era for era in ERAS} | {era.romaji[0]: era for era in ERAS}
_GREGORIAN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_ERA_DATE = re.compile(
    r"^(令和|平成|昭和|大正|明治|[RHSTM])\s*(元|\d{1,2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$",
    re.IGNORECASE,
)


def parse_date(value: str, *, era: bool) -> datetime.date | None:
    """A date typed as 2024-04-01, 2024/4/1 or 2024年4月1日, and with `era` also as 令和6年4月1日,
    令和元年5月1日 or R6.4.1. None when it is no such date, or its era year is outside the era."""
    text = _nfkc(value)
    match = _GREGORIAN.match(text)
    try:
        if match:
            year, month, day_number = (int(part) for part in match.groups())
            return datetime.date(year, month, day_number)
        match = _ERA_DATE.match(text) if era else None
        if match is None:
            return None
        name, era_number, month_text, day_text = match.groups()
        named = _ERA_NAMES[name.upper() if len(name) == 1 else name]
        number = 1 if era_number == "元" else int(era_number)
        day = datetime.date(named.start.year + number - 1, int(month_text), int(day_text))
    except ValueError:
        return None
    found = era_year(day)
    if found is None or found.era != named or number < 1:
        return None
    return day


def era_text(value: datetime.date) -> str:
    """「昭和59年4月12日」: how an era date field shows a stored date."""
    found = era_year(value)
    if found is None:
        return value.isoformat()
    return f"{found.label}{value.month}月{value.day}日"


# ---------------------------------------------------------------------------------------------
# Field types: the Django fields each is made of, and its canonical value


@dataclass(frozen=True)
class Part:
    """One input of a field. `name` is "" for a field that is a single input."""

    name: str
    label: str
    make: Callable[[], forms.Field]
    autocomplete: str = ""


def _text_input(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs=attrs)


def _char(widget: forms.Widget | None = None) -> Callable[[], forms.Field]:
    return lambda: forms.CharField(required=False, strip=False, widget=widget)


def _named(field: Field) -> str:
    return str(field.label)


def _required_message(field: Field, part: Part | None = None) -> str:
    label = _named(field)
    if field.type in ("choice", "multi_choice"):
        return _("「%(label)s」を選んでください。") % {"label": label}
    if field.type == "consent":
        return _("「%(label)s」にチェックを入れてください。") % {"label": label}
    if field.type == "file":
        return _("「%(label)s」のファイルを選んでください。") % {"label": label}
    if part is not None and part.name:
        return _("「%(label)s」の%(part)sを入力してください。") % {
            "label": label,
            "part": part.label,
        }
    return _("「%(label)s」を入力してください。") % {"label": label}


_PERSON_AUTOCOMPLETE = {
    "profile.full_name": "name",
    "profile.family_name": "family-name",
    "profile.given_name": "given-name",
    "profile.birth_date": "bday",
    "profile.phone": "tel",
    "profile.email": "email",
    "profile.postal_code": "postal-code",
    "profile.address": "street-address",
    "profile.sex": "sex",
}


def parts_of(item: Field) -> list[Part]:
    """The inputs a field is made of."""
    auto = _PERSON_AUTOCOMPLETE.get(item.prefill or "", "")
    kind = item.type
    if kind == "textarea":
        return [Part("", "", _char(forms.Textarea(attrs={"rows": 5})))]
    if kind == "number":
        return [Part("", "", _char(_text_input(inputmode="numeric")))]
    if kind == "date":
        return [Part("", "", _char(_text_input(inputmode="text" if item.era else "numeric")), auto)]
    if kind == "phone":
        return [Part("", "", _char(_text_input(type="tel", inputmode="tel")), auto or "tel")]
    if kind == "email":
        return [Part("", "", _char(_text_input(type="email", inputmode="email")), auto or "email")]
    if kind == "choice":
        return [
            Part(
                "",
                "",
                lambda: forms.ChoiceField(
                    required=False,
                    choices=[(o.value, str(o.label)) for o in item.options],
                    widget=forms.RadioSelect,
                    error_messages={"invalid_choice": _invalid_choice(item)},
                ),
            )
        ]
    if kind == "multi_choice":
        return [
            Part(
                "",
                "",
                lambda: forms.MultipleChoiceField(
                    required=False,
                    choices=[(o.value, str(o.label)) for o in item.options],
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={
                        "invalid_choice": _invalid_choice(item),
                        "invalid_list": _invalid_choice(item),
                    },
                ),
            )
        ]
    if kind == "consent":
        return [Part("", "", lambda: forms.BooleanField(required=False))]
    if kind == "file":
        accept = ",".join(ext for kind in item.accepted_kinds for ext in FILE_EXTENSIONS[kind])
        return [
            Part(
                "",
                "",
                lambda: forms.FileField(
                    required=False,
                    widget=forms.FileInput(attrs={"accept": accept}),
                    error_messages={"invalid": _bad_file(item), "empty": _bad_file(item)},
                ),
            )
        ]
    if kind == "address":
        return [
            Part(
                "postal_code",
                _("郵便番号"),
                _char(_text_input(inputmode="numeric", size="8", **{"data-postal-code": ""})),
                "postal-code",
            ),
            Part(
                "address",
                _("住所"),
                _char(_text_input(**{"data-postal-address": ""})),
                "street-address",
            ),
        ]
    if kind == "bank_account":
        return [
            Part(
                "bank_code",
                _("金融機関コード（4桁）"),
                _char(_text_input(inputmode="numeric", size="4")),
            ),
            Part(
                "branch_code",
                _("支店コード（3桁）"),
                _char(_text_input(inputmode="numeric", size="3")),
            ),
            Part(
                "account_type",
                _("預金の種類"),
                lambda: forms.ChoiceField(
                    required=False,
                    choices=[(value, _account_type_label(value)) for value, _ja in ACCOUNT_TYPES],
                    widget=forms.RadioSelect,
                    error_messages={"invalid_choice": _invalid_choice(item)},
                ),
            ),
            Part(
                "account_number",
                _("口座番号（7桁）"),
                _char(_text_input(inputmode="numeric", size="7")),
            ),
            Part("holder_kana", _("口座名義（カタカナ）"), _char(_text_input())),
        ]
    # text and kana
    return [Part("", "", _char(_text_input()), auto)]


def _invalid_choice(item: Field) -> str:
    return _("「%(label)s」は選択肢から選んでください。") % {"label": _named(item)}


def _bad_file(item: Field) -> str:
    return _("「%(label)s」のファイルを読み取れませんでした。もう一度選んでください。") % {
        "label": _named(item)
    }


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


class FieldProblems(Exception):
    """Messages for a field's parts: {part name ("" for the whole field): [message]}."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(problems)
        self.problems = problems


def clean_value(
    item: Field, raw: Mapping[str, Any], *, existing: Any = None
) -> tuple[Any, UploadedFile | None]:
    """The canonical value of a field from its parts' Django-cleaned values (None: no answer),
    and the new upload of a file field. Raises `FieldProblems`."""
    label = _named(item)
    kind = item.type
    if kind in ("address", "bank_account"):
        return _clean_compound(item, raw), None
    value = raw.get("")
    if kind == "file":
        return _clean_file(item, value, existing)
    if kind == "consent":
        if not value:
            if item.required:
                raise FieldProblems({"": [_required_message(item)]})
            return None, None
        return True, None
    if kind == "multi_choice":
        chosen = set(value or [])
        if not chosen:
            if item.required:
                raise FieldProblems({"": [_required_message(item)]})
            return None, None
        return [option for option in item.option_values if option in chosen], None
    if kind == "textarea":
        text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    else:
        text = (value or "").strip()
    if not text:
        if item.required:
            raise FieldProblems({"": [_required_message(item)]})
        return None, None
    if kind == "choice":
        return text, None
    problem: str | None = None
    result: Any = text
    if kind == "kana":
        result = to_katakana(text)
        if not _KANA.match(result):
            problem = _("「%(label)s」はカタカナで入力してください。") % {"label": label}
    elif kind == "number":
        digits = _nfkc(text).replace(",", "")
        if not re.fullmatch(r"-?\d{1,12}", digits):
            problem = _("「%(label)s」は半角または全角の数字で入力してください。") % {
                "label": label
            }
        else:
            result = int(digits)
            if item.min is not None and result < item.min:
                problem = _("「%(label)s」は%(min)s以上にしてください。") % {
                    "label": label,
                    "min": item.min,
                }
            elif item.max is not None and result > item.max:
                problem = _("「%(label)s」は%(max)s以下にしてください。") % {
                    "label": label,
                    "max": item.max,
                }
    elif kind == "date":
        day = parse_date(text, era=item.era)
        if day is None:
            if item.era:
                problem = _(
                    "「%(label)s」は 2024-04-01 や 令和6年4月1日 のように、正しい日付を入力してください。"
                ) % {"label": label}
            else:
                problem = _(
                    "「%(label)s」は 2024-04-01 のように、正しい日付を入力してください。"
                ) % {"label": label}
        else:
            result = day.isoformat()
    elif kind == "phone":
        number = re.sub(r"-{2,}", "-", _digits(text)).strip("-")
        count = len(number.replace("-", ""))
        if not re.fullmatch(r"0[0-9-]+", number) or not 10 <= count <= 11:
            problem = _(
                "「%(label)s」は 0223-34-1111 のように、0から始まる10桁か11桁の番号を入力してください。"
            ) % {"label": label}
        result = number
    elif kind == "email":
        result = _nfkc(text)
        try:
            validate_email(result)
        except ValidationError:
            problem = _("「%(label)s」は name@example.jp のような形で入力してください。") % {
                "label": label
            }
    if problem is None and item.max_length is not None and len(result) > item.max_length:
        problem = _("「%(label)s」は%(max)s文字以内で入力してください（いま%(count)s文字）。") % {
            "label": label,
            "max": item.max_length,
            "count": len(result),
        }
    if problem is not None:
        raise FieldProblems({"": [problem]})
    return result, None


def _clean_compound(item: Field, raw: Mapping[str, Any]) -> dict[str, str] | None:
    parts = parts_of(item)
    texts = {part.name: (raw.get(part.name) or "").strip() for part in parts}
    if not any(texts.values()):
        if item.required:
            return _raise_required(item, parts)
        return None
    problems: dict[str, list[str]] = {}
    for part in parts:
        if not texts[part.name]:
            problems[part.name] = [_required_message(item, part)]
    label = _named(item)
    result = dict(texts)
    if item.type == "address":
        if texts["postal_code"]:
            code = normalise_postal_code(texts["postal_code"])
            if code is None:
                problems["postal_code"] = [
                    _("「%(label)s」の郵便番号は 989-2393 のように7桁の数字で入力してください。")
                    % {"label": label}
                ]
            else:
                result["postal_code"] = code
    else:
        for name, length in (("bank_code", 4), ("branch_code", 3), ("account_number", 7)):
            if texts[name]:
                digits = _nfkc(texts[name])
                if not re.fullmatch(rf"\d{{{length}}}", digits):
                    part = next(part for part in parts if part.name == name)
                    problems[name] = [
                        _("「%(label)s」の%(part)sは%(length)s桁の数字で入力してください。")
                        % {"label": label, "part": part.label, "length": length}
                    ]
                result[name] = digits
        if texts["holder_kana"]:
            holder = to_katakana(_nfkc_symbols(texts["holder_kana"]))
            if not _HOLDER_KANA.match(holder):
                problems["holder_kana"] = [
                    _("「%(label)s」の口座名義はカタカナで入力してください。") % {"label": label}
                ]
            result["holder_kana"] = holder
    if problems:
        raise FieldProblems(problems)
    return result


def _nfkc_symbols(value: str) -> str:
    # Half-width kana must survive (NFKC would also turn them full-width, which is fine), but
    # full-width brackets and dots in a holder's name are kept as banks print them.
    return value.replace("．", ".").replace("－", "-")


def _raise_required(item: Field, parts: list[Part]) -> Any:
    raise FieldProblems({part.name: [_required_message(item, part)] for part in parts})


_MAGIC: dict[str, Callable[[bytes], bool]] = {
    "pdf": lambda head: head.startswith(b"%PDF-"),
    "jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    "heic": lambda head: (
        head[4:8] == b"ftyp"
        and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif", b"hevc")
    ),
}


def _clean_file(
    item: Field, upload: UploadedFile | None, existing: Any
) -> tuple[Any, UploadedFile | None]:
    label = _named(item)
    if upload is None:
        if isinstance(existing, Mapping) and "attachment_id" in existing:
            return dict(existing), None
        if item.required:
            raise FieldProblems({"": [_required_message(item)]})
        return None, None
    name = upload.name or ""
    kinds = [kind for kind in item.accepted_kinds if name.lower().endswith(FILE_EXTENSIONS[kind])]
    allowed = "・".join(kind.upper() for kind in item.accepted_kinds)
    if not kinds:
        raise FieldProblems(
            {
                "": [
                    _("「%(label)s」には %(kinds)s のファイルを選んでください。")
                    % {"label": label, "kinds": allowed}
                ]
            }
        )
    if (upload.size or 0) > item.max_bytes:
        raise FieldProblems(
            {
                "": [
                    _("「%(label)s」のファイルは%(mb)sMB以下にしてください。")
                    % {"label": label, "mb": item.max_bytes // (1024 * 1024)}
                ]
            }
        )
    upload.seek(0)
    head = upload.read(16)
    if not any(_MAGIC[kind](head) for kind in kinds):
        raise FieldProblems(
            {
                "": [
                    _("「%(label)s」のファイルの中身が %(kinds)s ではありません。")
                    % {"label": label, "kinds": allowed}
                ]
            }
        )
    sha = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        sha.update(chunk)
    upload.seek(0)
    return {
        "attachment_id": None,
        "name": name,
        "size": upload.size,
        "sha256": sha.hexdigest(),
    }, upload


def initial_of(item: Field, value: Any) -> dict[str, Any]:
    """What the parts of a field show for a value in the answers (a draft's, prefilled)."""
    if value is None:
        return {}
    if item.type in ("address", "bank_account"):
        if not isinstance(value, Mapping):
            return {}
        return {part.name: value.get(part.name, "") for part in parts_of(item)}
    if item.type == "file":
        return {}
    if item.type == "date" and item.era and isinstance(value, str):
        day = parse_date(value, era=False)
        language = (get_language() or "ja").lower()
        if day is not None and language.startswith("ja"):
            return {"": era_text(day)}
    if item.type == "number" and isinstance(value, int):
        return {"": str(value)}
    return {"": value}


# ---------------------------------------------------------------------------------------------
# Django forms built from a definition


def _input_name(key: str, part: str) -> str:
    return f"{key}__{part}" if part else key


class FieldsForm(forms.Form):
    """The inputs for a list of fields: a section's own fields, or one row of a group."""

    use_required_attribute = False  # conditions hide fields; the server says what is missing

    def __init__(
        self,
        *args: Any,
        fields: tuple[Field, ...] = (),
        existing: Mapping[str, Any] | None = None,
        outer: Callable[[str, str], Any] | None = None,
        section_key: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.section_key = section_key
        self.definition_fields = [item for item in fields if item.type != "group"]
        self.existing = dict(existing or {})
        self.outer = outer
        self.values: dict[str, Any] = {}
        self.uploads: dict[str, UploadedFile] = {}
        self.problems: dict[str, dict[str, list[str]]] = {}
        self.field_parts: dict[str, list[Part]] = {}
        for item in self.definition_fields:
            parts = parts_of(item)
            self.field_parts[item.key] = parts
            for part in parts:
                self.fields[_input_name(item.key, part.name)] = part.make()
        self.visible = self._visibility()

    def _raw(self, item: Field) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for part in self.field_parts[item.key]:
            bound = self[_input_name(item.key, part.name)]
            try:
                raw[part.name] = bound.field.clean(bound.data)
            except ValidationError:
                raw[part.name] = None
        return raw

    def _visibility(self) -> dict[str, bool]:
        """Which fields are shown, in form order, from what the resident has answered so far."""
        visible: dict[str, bool] = {}
        preliminary: dict[str, Any] = {}
        for item in self.definition_fields:
            condition = item.show_if
            shown = True
            if condition is not None:
                if condition.section in ("", self.section_key) and condition.key in visible:
                    value = preliminary.get(condition.key) if visible[condition.key] else None
                elif self.outer is not None:
                    value = self.outer(condition.section, condition.key)
                else:
                    value = None
                shown = condition.is_met(value)
            visible[item.key] = shown
            if shown and item.type != "file":
                preliminary[item.key] = self._preliminary(item)
        return visible

    def _preliminary(self, item: Field) -> Any:
        if not self.is_bound:
            value = self.existing.get(item.key)
            return value
        raw = self._raw(item)
        try:
            return clean_value(item, raw)[0]
        except FieldProblems:
            return None

    def typed_values(self) -> dict[str, Any]:
        """Each shown field's checked value, or what was typed where it did not pass (strings,
        a dict of them for an address or bank account); files and consents only when valid."""
        values: dict[str, Any] = {}
        for item in self.definition_fields:
            if not self.visible[item.key]:
                continue
            if item.key in self.values:
                values[item.key] = self.values[item.key]
                continue
            if item.type in ("file", "consent") or not self.is_bound:
                continue
            typed: dict[str, Any] = {}
            for part in self.field_parts[item.key]:
                data = self[_input_name(item.key, part.name)].data
                if isinstance(data, list):
                    typed[part.name] = [str(value) for value in data]
                else:
                    typed[part.name] = str(data or "").strip()
            if any(typed.values()):
                values[item.key] = typed.get("", typed)
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for item in self.definition_fields:
            names = [_input_name(item.key, part.name) for part in self.field_parts[item.key]]
            if not self.visible[item.key]:
                for name in names:
                    self.errors.pop(name, None)
                    cleaned.pop(name, None)
                continue
            if any(name in self.errors for name in names):
                continue
            raw = {
                part.name: cleaned.get(_input_name(item.key, part.name))
                for part in self.field_parts[item.key]
            }
            try:
                value, upload = clean_value(item, raw, existing=self.existing.get(item.key))
            except FieldProblems as problems:
                for part_name, messages in problems.problems.items():
                    for message in messages:
                        self.add_error(_input_name(item.key, part_name), message)
                continue
            if value is not None:
                self.values[item.key] = value
            if upload is not None:
                self.uploads[item.key] = upload
        return cleaned


class GroupFormSet(forms.BaseFormSet):
    """The rows of a group. Every row may be left empty (it is then dropped); the group's own
    min and max are checked on the rows that have something in them."""

    group: Field
    rows_initial: list[dict[str, Any]]
    rows_existing: list[dict[str, Any]]

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = dict(super().get_form_kwargs(index))
        kwargs["fields"] = self.group.fields
        # Every row may stay empty: the group's min is checked on the filled ones.
        kwargs["empty_permitted"] = True
        if index is not None:
            if not self.is_bound and index < len(self.rows_initial):
                kwargs["initial"] = self.rows_initial[index]
            if index < len(self.rows_existing):
                kwargs["existing"] = self.rows_existing[index]
        return kwargs

    def filled_rows(self) -> list[FieldsForm]:
        return [form for form in self.forms if form.has_changed() or _has_file(form.existing)]

    def clean(self) -> None:
        if any(self.errors):
            return
        count = len(self.filled_rows())
        label = str(self.group.label)
        if count < self.group.min_rows:
            raise ValidationError(
                _("「%(label)s」を%(min)s件以上入力してください。")
                % {"label": label, "min": self.group.min_rows}
            )
        if self.group.max is not None and count > self.group.max:
            raise ValidationError(
                _("「%(label)s」は%(max)s件までです。") % {"label": label, "max": self.group.max}
            )


def _has_file(values: Mapping[str, Any]) -> bool:
    """A row with a file attached earlier counts as filled even when nothing is typed in it."""
    return any(isinstance(value, Mapping) and "attachment_id" in value for value in values.values())


def _formset_class(group: Field, rows: int) -> type[GroupFormSet]:
    limit = group.max or DEFAULT_MAX_ROWS
    return forms.formset_factory(  # type: ignore[return-value]
        FieldsForm,
        formset=GroupFormSet,
        extra=rows,
        max_num=limit,
        # Room for empty rows beyond the max: only filled rows count against it (see clean).
        absolute_max=limit + DEFAULT_MAX_ROWS,
    )


# ---------------------------------------------------------------------------------------------
# What templates show


class FormError(NamedTuple):
    """One problem for the error summary: where, the field's label, the message."""

    path: str
    label: str
    message: str


@dataclass
class PartView:
    """One input ready to render: `html` already carries aria-describedby, aria-invalid and
    autocomplete."""

    name: str
    label: str
    id: str
    html: str
    errors: list[str]
    error_id: str
    is_choices: bool


@dataclass
class RowView:
    number: int
    fields: list[FieldView]
    remove_name: str
    remove_value: str
    id: str


@dataclass
class FieldView:
    """A field ready for `procedures/form/section.html`."""

    field: Field
    label: str
    id: str
    help: str
    help_id: str
    errors: list[str]
    error_id: str
    required: bool
    hidden: bool
    show_if: dict[str, str]
    condition_text: str = ""
    parts: list[PartView] = dataclasses.field(default_factory=list)
    rows: list[RowView] = dataclasses.field(default_factory=list)
    management_form: Any = None
    add_name: str = ""
    can_add: bool = False
    existing_file: Mapping[str, Any] | None = None

    @property
    def type(self) -> str:
        return self.field.type

    @property
    def hints(self) -> list[str]:
        """What is said under the label, all under `help_id` (which the inputs are described by):
        when to answer, the author's help, and how to type it."""
        hints = [self.condition_text, self.help]
        item = self.field
        if item.type == "date" and item.era:
            hints.append(_("例: 令和6年4月1日、R6.4.1、2024-04-01"))
        elif item.type == "date":
            hints.append(_("例: 2024-04-01"))
        if item.type == "file":
            hints.append(
                _("%(kinds)s のファイル、%(mb)sMBまで")
                % {
                    "kinds": "・".join(kind.upper() for kind in item.accepted_kinds),
                    "mb": item.max_bytes // (1024 * 1024),
                }
            )
            if self.existing_file:
                hints.append(
                    _("添付済み: %(name)s（別のファイルを選ぶと差し替えます）")
                    % {"name": self.existing_file.get("name", "")}
                )
        return [hint for hint in hints if hint]

    @property
    def is_rendered(self) -> bool:
        """False for a field hidden by an answer on another page: it cannot appear here."""
        return not self.hidden or bool(self.show_if)

    @property
    def is_fieldset(self) -> bool:
        return self.field.type in ("choice", "multi_choice", "address", "bank_account", "group")


@dataclass
class SectionView:
    key: str
    title: str
    description: str
    fields: list[FieldView]


# ---------------------------------------------------------------------------------------------
# The filled form


class _SectionForms:
    """One section's form and the formsets of its groups."""

    def __init__(
        self,
        section: Section,
        *,
        data: Mapping[str, Any] | None,
        files: Mapping[str, Any] | None,
        existing: Mapping[str, Any],
        initial: Mapping[str, Any],
        prefix: str,
        outer: Callable[[str, str], Any],
    ) -> None:
        self.section = section
        self.prefix = prefix
        self.form = FieldsForm(
            data,
            files,
            fields=section.fields,
            existing=existing,
            initial={
                _input_name(item.key, name): value
                for item in section.fields
                if item.type != "group"
                for name, value in initial_of(item, initial.get(item.key)).items()
            },
            prefix=prefix,
            outer=outer,
            section_key=section.key,
        )
        self.formsets: dict[str, GroupFormSet] = {}
        for item in section.fields:
            if item.type != "group":
                continue
            rows = [row for row in initial.get(item.key) or [] if isinstance(row, Mapping)]
            existing_rows = [
                row for row in existing.get(item.key) or [] if isinstance(row, Mapping)
            ]
            formset_class = _formset_class(item, max(len(rows), item.min_rows, 1))
            formset_class.group = item
            formset_class.rows_initial = [
                {
                    _input_name(child.key, name): value
                    for child in item.fields
                    for name, value in initial_of(child, row.get(child.key)).items()
                }
                for row in rows
            ]
            formset_class.rows_existing = [dict(row) for row in existing_rows]
            self.formsets[item.key] = formset_class(
                data, cast(Any, files), prefix=f"{prefix}-{item.key}"
            )

    def group_visible(self, item: Field) -> bool:
        condition = item.show_if
        if condition is None:
            return True
        if condition.section == self.section.key and condition.key in self.form.visible:
            if not self.form.visible[condition.key]:
                return condition.is_met(None)
            target = self.section.field(condition.key)
            return condition.is_met(self.form._preliminary(target))
        if self.form.outer is not None:
            return condition.is_met(self.form.outer(condition.section, condition.key))
        return True

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for key, formset in self.formsets.items():
            if self.group_visible(self.section.field(key)):
                valid = formset.is_valid() and valid
        return valid

    def answers(self) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        values: dict[str, Any] = {}
        uploads: dict[str, UploadedFile] = {}
        for item in self.section.fields:
            if item.type != "group":
                if item.key in self.form.values:
                    values[item.key] = self.form.values[item.key]
                if item.key in self.form.uploads:
                    uploads[f"{self.section.key}.{item.key}"] = self.form.uploads[item.key]
                continue
            if not self.group_visible(item):
                continue
            rows: list[dict[str, Any]] = []
            for row in self.formsets[item.key].filled_rows():
                row_values = {
                    child.key: row.values[child.key]
                    for child in item.fields
                    if child.key in row.values
                }
                if not row_values:
                    continue
                for child_key, upload in row.uploads.items():
                    uploads[f"{self.section.key}.{item.key}.{len(rows)}.{child_key}"] = upload
                rows.append(row_values)
            if rows:
                values[item.key] = rows
        return values, uploads


class FilledForm:
    """A form built from a definition, bound to a POST or showing saved answers."""

    def __init__(
        self,
        definition: FormDefinition,
        sections: list[Section],
        *,
        data: Mapping[str, Any] | None,
        files: Mapping[str, Any] | None,
        answers: Mapping[str, Any] | None,
        prefix: str,
    ) -> None:
        self.definition = definition
        self.prefix = prefix
        self.row_action = False
        self.is_bound = data is not None
        saved: dict[str, Any] = {
            key: dict(value) for key, value in (answers or {}).items() if isinstance(value, Mapping)
        }
        if data is not None:
            data, self.row_action = _apply_row_action(data, sections, prefix, definition)
        self.show_errors = self.is_bound and not self.row_action
        self.parts: list[_SectionForms] = []
        current: dict[str, dict[str, Any]] = {}

        def outer(section_key: str, key: str) -> Any:
            if section_key in current:
                return current[section_key].get(key)
            return saved.get(section_key, {}).get(key)

        for section in sections:
            section_forms = _SectionForms(
                section,
                data=data,
                files=files,
                existing=saved.get(section.key, {}),
                initial=saved.get(section.key, {}) if data is None else {},
                prefix=_section_prefix(prefix, section),
                outer=outer,
            )
            self.parts.append(section_forms)
            if data is not None:
                section_forms.is_valid()
                current[section.key] = section_forms.answers()[0]
            else:
                current[section.key] = saved.get(section.key, {})
        self._valid: bool | None = None

    def is_valid(self) -> bool:
        """True when the POST was a real submit (not 「追加」/「削除」) and every shown field is
        answered correctly."""
        if self._valid is None:
            self._valid = (
                self.is_bound
                and not self.row_action
                and all([part.is_valid() for part in self.parts])
            )
        return self._valid

    def _collect(self) -> tuple[Answers, dict[str, UploadedFile]]:
        answers: Answers = {}
        uploads: dict[str, UploadedFile] = {}
        for part in self.parts:
            values, part_uploads = part.answers()
            answers[part.section.key] = values
            uploads.update(part_uploads)
        return answers, uploads

    @property
    def answers(self) -> Answers:
        """The canonical answers of the sections built (see the module docstring). Only for a
        valid form: an invalid one has none."""
        if not self.is_valid():
            raise ValueError("A form with errors has no answers; check is_valid() first.")
        return self._collect()[0]

    @property
    def uploads(self) -> dict[str, UploadedFile]:
        """New uploads by path; their values in `answers` have ``attachment_id: None``."""
        if not self.is_valid():
            raise ValueError("A form with errors has no uploads; check is_valid() first.")
        return self._collect()[1]

    @property
    def draft_answers(self) -> Answers:
        """What can be kept of a POST that is not (yet) valid, for a draft (下書き): every field
        that passes its checks, canonical; the others are left out. Files never come here: a
        draft keeps them as attachments."""
        answers, _uploads = self._collect()
        return answers

    @property
    def typed_answers(self) -> Answers:
        """A draft's answers (下書き: kept as typed, to correct later): each field's checked
        value, or what was typed where it did not pass; `build_form(answers=…)` shows them
        again as typed. Rows of groups likewise; files stay with the draft's attachments."""
        answers: Answers = {}
        for part in self.parts:
            values = part.form.typed_values()
            for item in part.section.fields:
                if item.type != "group" or not part.group_visible(item):
                    continue
                rows = [
                    row_values
                    for row in part.formsets[item.key].forms
                    if row.has_changed() and (row_values := row.typed_values())
                ]
                if rows:
                    values[item.key] = rows
            answers[part.section.key] = {
                item.key: values[item.key] for item in part.section.fields if item.key in values
            }
        return answers

    def errors(self) -> list[FormError]:
        """Every problem, in form order, for the error summary."""
        if not self.show_errors or self.is_valid():
            return []
        result: list[FormError] = []
        for part in self.parts:
            for view in self._section_view(part).fields:
                result.extend(_errors_of(view, part.section.key))
        return result

    def error_links(self) -> list[tuple[str, str, str]]:
        """(anchor id, label, message) for each problem: what the error summary links to."""
        if not self.show_errors or self.is_valid():
            return []
        links: list[tuple[str, str, str]] = []
        for part in self.parts:
            for view in self._section_view(part).fields:
                links.extend(_links_of(view))
        return links

    @property
    def postal_lookup_url(self) -> str:
        """Where postal-code.js asks for addresses ("" until the lookup's URLs are included)."""
        try:
            return reverse("procedures:postal_lookup")
        except NoReverseMatch:
            return ""

    @property
    def sections(self) -> list[SectionView]:
        """The sections ready for `procedures/form/section.html`."""
        self.is_valid()
        return [self._section_view(part) for part in self.parts]

    def _section_view(self, part: _SectionForms) -> SectionView:
        section = part.section
        views: list[FieldView] = []
        for item in section.fields:
            if item.type == "group":
                views.append(self._group_view(part, item))
            else:
                views.append(
                    self._field_view(
                        part.form,
                        item,
                        hidden=not part.form.visible[item.key],
                        show_if=self._condition_attrs(part.form, item, section),
                        section=section,
                    )
                )
        return SectionView(
            key=section.key,
            title=str(section.title),
            description=str(section.description or ""),
            fields=views,
        )

    def _condition_attrs(
        self, form: FieldsForm, item: Field, section: Section | None
    ) -> dict[str, str]:
        condition = item.show_if
        if condition is None:
            return {}
        same = condition.section == "" or (section is not None and condition.section == section.key)
        if same:
            target_form: FieldsForm | None = form
        else:
            target_form = next(
                (p.form for p in self.parts if p.section.key == condition.section), None
            )
        if target_form is None:
            return {}  # the other section is not on this page: decided on the server only
        return {
            "field": target_form.add_prefix(condition.key),
            "values": json.dumps(
                [_condition_value(v) for v in condition.values], ensure_ascii=False
            ),
        }

    def _condition_text(self, item: Field, form: FieldsForm, section: Section | None) -> str:
        """「「受け取り方法」で「郵送」を選んだ場合」: shown without JavaScript, where every
        conditional field is on the page."""
        condition = item.show_if
        if condition is None:
            return ""
        if condition.section in ("", None):
            siblings = form.definition_fields
        else:
            siblings = list(self.definition.section(condition.section).fields)
        target = next((f for f in siblings if f.key == condition.key), None)
        if target is None:
            return ""
        if target.type == "consent":
            return _("「%(label)s」にチェックを入れた場合に答えてください。") % {
                "label": target.label
            }
        shown = " / ".join(
            _option_label(target, value) if target.options else str(value)
            for value in condition.values
        )
        return _("「%(label)s」で「%(values)s」を選んだ場合に答えてください。") % {
            "label": target.label,
            "values": shown,
        }

    def _field_view(
        self,
        form: FieldsForm,
        item: Field,
        *,
        hidden: bool,
        show_if: dict[str, str],
        section: Section | None = None,
    ) -> FieldView:
        anchor = f"field-{form.add_prefix(item.key)}"
        help_id = f"{anchor}-help"
        error_id = f"{anchor}-error"
        parts: list[PartView] = []
        all_errors: list[str] = []
        existing_file = form.existing.get(item.key) if item.type == "file" else None
        condition_text = self._condition_text(item, form, section)
        has_hints = bool(item.help or condition_text or item.type in ("date", "file"))
        for part in form.field_parts[item.key]:
            bound = form[_input_name(item.key, part.name)]
            errors = (
                [str(error) for error in bound.errors]
                if self.show_errors and not hidden and form.is_bound
                else []
            )
            all_errors.extend(errors)
            described = []
            if has_hints:
                described.append(help_id)
            part_error_id = f"{anchor}-{part.name}-error" if part.name else error_id
            if errors:
                described.append(part_error_id)
            attrs: dict[str, str | bool] = {}
            if described:
                attrs["aria-describedby"] = " ".join(described)
            if errors:
                attrs["aria-invalid"] = "true"
            if part.autocomplete:
                attrs["autocomplete"] = part.autocomplete
            parts.append(
                PartView(
                    name=part.name,
                    label=part.label,
                    # A radio group's own id_for_label is empty: link to its first option.
                    id=bound.id_for_label or f"{bound.auto_id}_0",
                    html=bound.as_widget(attrs=attrs),
                    errors=errors,
                    error_id=part_error_id,
                    is_choices=isinstance(
                        bound.field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)
                    ),
                )
            )
        return FieldView(
            field=item,
            label=str(item.label),
            id=anchor,
            help=str(item.help or ""),
            help_id=help_id,
            errors=all_errors,
            error_id=error_id,
            required=item.required,
            hidden=hidden,
            show_if=show_if,
            condition_text=condition_text,
            parts=parts,
            existing_file=existing_file,
        )

    def _group_view(self, part: _SectionForms, item: Field) -> FieldView:
        formset = part.formsets[item.key]
        anchor = f"field-{formset.prefix}"
        rows: list[RowView] = []
        hidden = not part.group_visible(item)
        for index, row in enumerate(formset.forms):
            rows.append(
                RowView(
                    number=index + 1,
                    fields=[
                        self._field_view(
                            row,
                            child,
                            hidden=hidden or not row.visible[child.key],
                            show_if=self._condition_attrs(row, child, None),
                        )
                        for child in item.fields
                    ],
                    remove_name=f"{formset.prefix}__remove",
                    remove_value=str(index),
                    id=f"{anchor}-{index}",
                )
            )
        errors = (
            [str(error) for error in formset.non_form_errors()]
            if self.show_errors and formset.is_bound and not hidden
            else []
        )
        return FieldView(
            field=item,
            label=str(item.label),
            id=anchor,
            help=str(item.help or ""),
            help_id=f"{anchor}-help",
            errors=errors,
            error_id=f"{anchor}-error",
            required=item.min_rows > 0,
            hidden=hidden,
            show_if=self._condition_attrs(part.form, item, part.section),
            condition_text=self._condition_text(item, part.form, part.section),
            rows=rows,
            management_form=formset.management_form,
            add_name=f"{formset.prefix}__add",
            can_add=len(formset.forms) < (item.max or DEFAULT_MAX_ROWS),
        )


def _condition_value(value: Any) -> str:
    # What the browser sends: "on" for a ticked checkbox.
    if value is True:
        return "on"
    if value is False:
        return ""
    return str(value)


def _errors_of(view: FieldView, path: str) -> list[FormError]:
    here = f"{path}.{view.field.key}"
    result = [
        FormError(here, view.label, message)
        for message in (view.errors if view.rows or not view.parts else [])
    ]
    for part in view.parts:
        part_path = f"{here}.{part.name}" if part.name else here
        result.extend(FormError(part_path, view.label, message) for message in part.errors)
    for row in view.rows:
        for child in row.fields:
            for error in _errors_of(child, f"{here}.{row.number - 1}"):
                label = _("%(group)s（%(number)s件目）の%(label)s") % {
                    "group": view.label,
                    "number": row.number,
                    "label": error.label,
                }
                result.append(FormError(error.path, label, error.message))
    return result


def _links_of(view: FieldView) -> list[tuple[str, str, str]]:
    links = [
        (view.id, view.label, message)
        for message in (view.errors if view.rows or not view.parts else [])
    ]
    for part in view.parts:
        links.extend((part.id, view.label, message) for message in part.errors)
    for row in view.rows:
        for child in row.fields:
            links.extend(_links_of(child))
    return links


def _section_prefix(prefix: str, section: Section) -> str:
    return f"{prefix}-{section.key}" if prefix else section.key


def _apply_row_action(
    data: Mapping[str, Any],
    sections: list[Section],
    prefix: str,
    definition: FormDefinition,
) -> tuple[Mapping[str, Any], bool]:
    """A POST from 「もう1件追加」 or 「削除」: the same data with a row more, or one row less."""
    for section in sections:
        for item in section.fields:
            if item.type != "group":
                continue
            group_prefix = f"{_section_prefix(prefix, section)}-{item.key}"
            total_key = f"{group_prefix}-TOTAL_FORMS"
            try:
                total = int(data.get(total_key, 0))
            except (TypeError, ValueError):
                total = 0
            limit = item.max or DEFAULT_MAX_ROWS
            if f"{group_prefix}__add" in data:
                changed = _copy(data)
                changed[total_key] = [str(min(total + 1, limit))]
                return MultiValueDict(changed), True
            removed = data.get(f"{group_prefix}__remove")
            if removed is not None:
                try:
                    index = int(removed)
                except (TypeError, ValueError):
                    return data, True
                changed = _copy(data)
                row_prefix = f"{group_prefix}-"
                moved: dict[str, Any] = {}
                for name in list(changed):
                    match = re.fullmatch(rf"{re.escape(row_prefix)}(\d+)-(.+)", name)
                    if not match:
                        continue
                    row = int(match.group(1))
                    value = changed.pop(name)
                    if row < index:
                        moved[name] = value
                    elif row > index:
                        moved[f"{row_prefix}{row - 1}-{match.group(2)}"] = value
                changed.update(moved)
                changed[total_key] = [str(max(total - 1, 0))]
                return MultiValueDict(changed), True
    return data, False


def _copy(data: Mapping[str, Any]) -> dict[str, list[Any]]:
    if hasattr(data, "lists"):
        return {key: list(values) for key, values in data.lists()}
    return {key: value if isinstance(value, list) else [value] for key, value in data.items()}


# ---------------------------------------------------------------------------------------------
# The public functions


def build_form(
    definition: FormDefinition | Mapping[str, Any],
    *,
    data: Mapping[str, Any] | None = None,
    files: Mapping[str, Any] | None = None,
    answers: Mapping[str, Any] | None = None,
    prefix: str = "",
    section: str | None = None,
) -> FilledForm:
    """The web form for a definition: all sections, or only `section` for a step-by-step flow.

    `answers` are what is already known (a draft, prefilled values, earlier steps): shown when
    `data` is None, and always used for conditions on other sections and for files already
    attached. `data`/`files` are a POST's `request.POST` and `request.FILES`.
    """
    parsed = parse(definition)
    sections = list(parsed.sections) if section is None else [parsed.section(section)]
    return FilledForm(parsed, sections, data=data, files=files, answers=answers, prefix=prefix)


def form_data(
    definition: FormDefinition | Mapping[str, Any], answers: Mapping[str, Any], *, prefix: str = ""
) -> dict[str, Any]:
    """The POST a browser would send for `answers` (files left out): for tests, and for
    re-posting saved answers."""
    parsed = parse(definition)
    data: dict[str, Any] = {}

    def put(name_prefix: str, item: Field, value: Any) -> None:
        if item.type == "consent":
            if value:
                data[f"{name_prefix}-{item.key}"] = "on"
            return
        for part, shown in initial_of(item, value).items():
            if item.type == "date":
                shown = value
            data[f"{name_prefix}-{_input_name(item.key, part)}"] = shown

    for section in parsed.sections:
        section_prefix = _section_prefix(prefix, section)
        values = answers.get(section.key) or {}
        for item in section.fields:
            if item.type == "file":
                continue
            if item.type != "group":
                put(section_prefix, item, values.get(item.key))
                continue
            rows = values.get(item.key) or []
            group_prefix = f"{section_prefix}-{item.key}"
            data[f"{group_prefix}-TOTAL_FORMS"] = str(max(len(rows), 1))
            data[f"{group_prefix}-INITIAL_FORMS"] = "0"
            for index, row in enumerate(rows):
                for child in item.fields:
                    if child.type != "file":
                        put(f"{group_prefix}-{index}", child, row.get(child.key))
    return data


def set_attachment(answers: Answers, path: str, attachment_id: int) -> None:
    """Write a stored attachment's id into the file value at `path` (from `FilledForm.uploads`)."""
    steps = path.split(".")
    node: Any = answers
    for step in steps[:-1]:
        node = node[int(step)] if isinstance(node, list) else node[step]
    node[steps[-1]]["attachment_id"] = attachment_id


def canonical_json(answers: Mapping[str, Any]) -> bytes:
    """The bytes the digest covers: UTF-8 JSON, keys sorted, no whitespace, non-ASCII as is."""
    return json.dumps(
        answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def digest(answers: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of `canonical_json(answers)`: what a submission's answers are frozen with."""
    return hashlib.sha256(canonical_json(answers)).hexdigest()


# ---------------------------------------------------------------------------------------------
# Prefill (事前入力)


def _split_name(name: str) -> tuple[str, str]:
    family, _space, given = _SPACES.sub(" ", name.strip()).partition(" ")
    return family, given


def _person_values(profile: Any, subject: Any, email: str) -> dict[str, dict[str, Any]]:
    def birth(value: Any) -> str | None:
        return value.isoformat() if isinstance(value, datetime.date) else None

    me = {
        "full_name": profile.full_name,
        "full_name_kana": to_katakana(profile.full_name_kana),
        "family_name": profile.family_name,
        "given_name": profile.given_name,
        "birth_date": birth(profile.birth_date),
        "postal_code": normalise_postal_code(profile.postal_code or "") or profile.postal_code,
        "address": profile.address,
        "phone": profile.phone,
        "email": email,
        "sex": profile.sex,
    }
    if subject is None:
        them = me
    else:
        family, given = _split_name(subject.name)
        them = {
            **me,
            "full_name": subject.name,
            "full_name_kana": to_katakana(subject.name_kana or ""),
            "family_name": family,
            "given_name": given,
            "birth_date": birth(subject.birth_date),
            # A household member lives at the household's address; contact goes through the
            # applicant, so their phone and email are not the member's.
            "phone": "",
            "email": "",
            "sex": subject.sex,
        }
    return {"profile": me, "subject": them}


def _fit(item: Field, value: Any, postal_code: str = "") -> Any:
    if value in (None, ""):
        return None
    if item.type == "address":
        return {"postal_code": postal_code or "", "address": value}
    if item.type == "choice" and value not in item.option_values:
        return None
    return value


def prefill(
    definition: FormDefinition | Mapping[str, Any],
    *,
    profile: Any,
    subject: Any = None,
    email: str = "",
) -> Answers:
    """Answers filled from the resident's profile (`ResidentProfile`), the person the
    application is for (`subject`: a `HouseholdMember`, or None for the resident), and the
    account's email. Only fields with a ``prefill`` path and a value to put in appear."""
    parsed = parse(definition)
    people = _person_values(profile, subject, email)
    answers: Answers = {}
    for section in parsed.sections:
        values: dict[str, Any] = {}
        for item in section.fields:
            if not item.prefill:
                continue
            if item.prefill == "household.children":
                rows = _children_rows(item, profile)
                if rows:
                    values[item.key] = rows
                continue
            whose, _dot, attribute = item.prefill.partition(".")
            person = people[whose]
            value = _fit(item, person.get(attribute), person.get("postal_code") or "")
            if value is not None:
                values[item.key] = value
        answers[section.key] = values
    return answers


def _children_rows(group: Field, profile: Any) -> list[dict[str, Any]]:
    rows = []
    for member in profile.household_members.filter(relationship="child").order_by(
        "birth_date", "pk"
    ):
        child = {
            "name": member.name,
            "name_kana": to_katakana(member.name_kana or ""),
            "birth_date": member.birth_date.isoformat() if member.birth_date else None,
            "sex": member.sex,
        }
        row = {}
        for item in group.fields:
            attribute = (item.prefill or "").removeprefix("child.") or item.key
            value = _fit(item, child.get(attribute))
            if value is not None:
                row[item.key] = value
        if row:
            rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# Showing answers read-only (確認画面, 控え, 職員の画面)


@dataclass
class AnswerView:
    label: str
    text: str = ""
    lines: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    rows: list[list[AnswerView]] = dataclasses.field(default_factory=list)
    attachment: Mapping[str, Any] | None = None
    attachment_url: str = ""
    is_answered: bool = True
    type: str = ""


@dataclass
class AnswerSection:
    key: str
    title: str
    answers: list[AnswerView]


def answer_sections(
    definition: FormDefinition | Mapping[str, Any],
    answers: Mapping[str, Any],
    *,
    attachment_url: Callable[[int], str] | None = None,
) -> list[AnswerSection]:
    """The answers as `procedures/form/answers.html` shows them, in the page's language; fields
    hidden by their condition are left out. `attachment_url(id)` links attached files."""
    parsed = parse(definition)
    result: list[AnswerSection] = []
    for section in parsed.sections:
        values = answers.get(section.key) or {}
        views = [
            _answer_view(item, values.get(item.key), attachment_url)
            for item in section.fields
            if _shown(item, values, answers)
        ]
        result.append(AnswerSection(section.key, str(section.title), views))
    return result


def _shown(item: Field, values: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    condition = item.show_if
    if condition is None:
        return True
    source = values if condition.section in ("", None) else (answers.get(condition.section) or {})
    return condition.is_met(source.get(condition.key))


def _answer_view(
    item: Field, value: Any, attachment_url: Callable[[int], str] | None
) -> AnswerView:
    view = AnswerView(label=str(item.label), type=item.type, is_answered=not _is_empty(value))
    if not view.is_answered:
        return view
    language = get_language() or "ja"
    if item.type == "group":
        view.rows = [
            [
                _answer_view(child, row.get(child.key), attachment_url)
                for child in item.fields
                if _shown(child, row, {})
            ]
            for row in value
        ]
    elif item.type == "date":
        day = parse_date(str(value), era=False)
        view.text = format_date(day, language=language) if day else str(value)
    elif item.type == "choice":
        view.text = _option_label(item, value)
    elif item.type == "multi_choice":
        view.text = "、".join(_option_label(item, option) for option in value)
    elif item.type == "consent":
        view.text = _("同意する")
    elif item.type == "number":
        view.text = f"{value:,}"
    elif item.type == "address":
        view.lines = [
            (_("郵便番号"), value.get("postal_code", "")),
            (_("住所"), value.get("address", "")),
        ]
    elif item.type == "bank_account":
        view.lines = [
            (_("金融機関コード"), value.get("bank_code", "")),
            (_("支店コード"), value.get("branch_code", "")),
            (_("預金の種類"), _account_type_label(value.get("account_type", ""))),
            (_("口座番号"), value.get("account_number", "")),
            (_("口座名義"), value.get("holder_kana", "")),
        ]
    elif item.type == "file":
        view.attachment = value
        view.text = _file_text(value)
        identifier = value.get("attachment_id")
        if attachment_url is not None and identifier is not None:
            view.attachment_url = attachment_url(identifier)
    else:
        view.text = str(value)
    return view


def _option_label(item: Field, value: str) -> str:
    return next((str(option.label) for option in item.options if option.value == value), value)


def _file_text(value: Mapping[str, Any]) -> str:
    size = value.get("size") or 0
    if size >= 1024 * 1024:
        shown = f"{size / (1024 * 1024):.1f} MB"
    else:
        shown = f"{max(size // 1024, 1)} KB"
    return f"{value.get('name', '')}（{shown}）"


def field_paths(definition: FormDefinition | Mapping[str, Any]) -> Iterable[tuple[str, Field]]:
    """Every field's path without row numbers (``"children.children.birth_date"``), in form
    order: for staff pages and amendments that name a field."""
    parsed = parse(definition)
    for section, item in parsed.fields():
        yield f"{section.key}.{item.key}", item
        for child in item.fields:
            yield f"{section.key}.{item.key}.{child.key}", child
