"""The form definition format (様式の定義): what `FormVersion.definition` holds, and its checks.

A procedure's form is data, so a clerk's or a catalogue author's mistake must be caught when the
definition is saved, not when a resident opens the form. `parse` checks a definition completely and
raises `DefinitionError` with one plain Japanese message per mistake, each naming the section and
field; `to_json` gives the JSON back (`to_json(parse(d)) == d` for a definition written without
the defaults `to_json` leaves out: ``"required": false``, ``"era": false``, empty lists).

The format (``"format": "yakuba.procedures.form/1"``)::

    {"format": "yakuba.procedures.form/1",
     "sections": [{"key": "applicant", "title": {"ja": "申請者", "en": "Applicant"},
                   "description": {...}, "fields": [{"key": "name", "type": "text", ...}, ...]}],
     "fee": {"rule": "fixed", "yen": 300} | {"rule": "per_item", "field": "copies", "unit_yen": 300},
     "source": {"basis": "official" | "best_reading", "references": [...], "note": "..."}}

Texts (titles, labels, help) are ``{"ja": ..., "en": ...}`` (or a plain string, taken as
Japanese); `LocalizedText` shows the page's language, Japanese when a translation is missing.

Field types and the attributes each may carry are in `FIELD_ATTRIBUTES`. Keys are
``[a-z][a-z0-9_]*``, unique within their section (a group's fields within the group).
``show_if`` names a field that comes *earlier* in the form — in the same section (``"delivery"``)
or another (``"applicant.delivery"``); inside a group, a field of the same row. Requiring it to come
earlier keeps conditions acyclic and matches the order residents read the form in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

FORMAT = "yakuba.procedures.form/1"

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

FIELD_TYPES = (
    "text",
    "textarea",
    "kana",
    "number",
    "date",
    "choice",
    "multi_choice",
    "address",
    "bank_account",
    "file",
    "group",
    "consent",
    "phone",
    "email",
)

_COMMON = {"key", "type", "label", "required", "help", "show_if", "prefill"}
FIELD_ATTRIBUTES: dict[str, set[str]] = {
    "text": _COMMON | {"max_length"},
    "textarea": _COMMON | {"max_length"},
    "kana": _COMMON | {"max_length"},
    "number": _COMMON | {"min", "max"},
    "date": _COMMON | {"era"},
    "choice": _COMMON | {"options"},
    "multi_choice": _COMMON | {"options"},
    "address": _COMMON,
    "bank_account": _COMMON,
    "file": _COMMON | {"accept", "max_mb"},
    "group": _COMMON | {"min", "max", "fields"},
    "consent": _COMMON,
    "phone": _COMMON,
    "email": _COMMON,
}

# File kinds a file field may accept, with the content types browsers send for them.
FILE_KINDS: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "jpeg": ("image/jpeg",),
    "png": ("image/png",),
    "heic": ("image/heic", "image/heif"),
    "webp": ("image/webp",),
}
FILE_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "pdf": (".pdf",),
    "jpeg": (".jpg", ".jpeg"),
    "png": (".png",),
    "heic": (".heic", ".heif"),
    "webp": (".webp",),
}
DEFAULT_ACCEPT = ("pdf", "jpeg", "png")
DEFAULT_MAX_MB = 10
# The largest upload a definition may allow: a phone photo of a document is 2–8 MB.
MAX_MB_LIMIT = 20

PERSON_ATTRIBUTES = (
    "full_name",
    "full_name_kana",
    "family_name",
    "given_name",
    "birth_date",
    "postal_code",
    "address",
    "phone",
    "email",
    "sex",
)
CHILD_ATTRIBUTES = ("name", "name_kana", "birth_date", "sex")

# Which field types a prefilled value fits (the value is a string unless the type says otherwise).
_PREFILL_TYPES: dict[str, set[str]] = {
    "full_name": {"text"},
    "full_name_kana": {"kana", "text"},
    "family_name": {"text"},
    "given_name": {"text"},
    "birth_date": {"date"},
    "postal_code": {"text"},
    "address": {"address", "text", "textarea"},
    "phone": {"phone", "text"},
    "email": {"email", "text"},
    "sex": {"choice", "text"},
}
_CHILD_PREFILL_TYPES: dict[str, set[str]] = {
    "name": {"text"},
    "name_kana": {"kana", "text"},
    "birth_date": {"date"},
    "sex": {"choice", "text"},
}

PREFILL_PATHS = (
    *(f"profile.{name}" for name in PERSON_ATTRIBUTES),
    *(f"subject.{name}" for name in PERSON_ATTRIBUTES),
    "household.children",
)

BASES = ("official", "best_reading")


class DefinitionError(ValueError):
    """A form definition with mistakes; `messages` has one plain Japanese sentence per mistake."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class LocalizedText:
    """A text in Japanese and, where given, other languages (``{"ja": ..., "en": ...}``)."""

    texts: Mapping[str, str]

    @property
    def ja(self) -> str:
        return self.texts.get("ja", "")

    @property
    def en(self) -> str:
        return self.texts.get("en", "")

    def get(self, language: str | None = None) -> str:
        """The text in `language` (default: the active one), else Japanese."""
        language = (language or get_language() or "ja").lower()
        for code in (language, language.split("-")[0]):
            if self.texts.get(code):
                return self.texts[code]
        return self.ja

    def __str__(self) -> str:
        return self.get()

    def to_json(self) -> dict[str, str]:
        return dict(self.texts)


@dataclass(frozen=True)
class Option:
    """One answer of a choice (選択肢)."""

    value: str
    label: LocalizedText


@dataclass(frozen=True)
class Condition:
    """``show_if``: the field is shown when `field` equals one of `values`. `field` is as written
    (``"delivery"`` or ``"applicant.delivery"``); `section` and `key` are where it resolves to
    (`section` is "" inside a group: the same row). A multi_choice target matches when it contains
    one of the values; a consent target's value is true or false."""

    field: str
    values: tuple[Any, ...]
    uses_in: bool
    section: str
    key: str

    def to_json(self) -> dict[str, Any]:
        if self.uses_in:
            return {"field": self.field, "in": list(self.values)}
        return {"field": self.field, "equals": self.values[0]}

    def is_met(self, value: Any) -> bool:
        if isinstance(value, list):
            return any(_same(item, wanted) for item in value for wanted in self.values)
        if value is None:
            # An unticked consent is absent from the answers.
            return any(wanted is False for wanted in self.values)
        return any(_same(value, wanted) for wanted in self.values)


@dataclass(frozen=True)
class Field:
    """One question of the form (項目). `fields` holds a group's own fields."""

    key: str
    type: str
    label: LocalizedText
    required: bool = False
    help: LocalizedText | None = None
    options: tuple[Option, ...] = ()
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    accept: tuple[str, ...] = ()
    max_mb: int | None = None
    era: bool = False
    show_if: Condition | None = None
    prefill: str | None = None
    fields: tuple[Field, ...] = ()

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)

    @property
    def accepted_kinds(self) -> tuple[str, ...]:
        return self.accept or DEFAULT_ACCEPT

    @property
    def max_bytes(self) -> int:
        return (self.max_mb or DEFAULT_MAX_MB) * 1024 * 1024

    @property
    def min_rows(self) -> int:
        """A group's least number of rows: its `min`, or 1 when it is required."""
        return self.min if self.min is not None else (1 if self.required else 0)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "type": self.type, "label": self.label.to_json()}
        if self.required:
            data["required"] = True
        if self.help is not None:
            data["help"] = self.help.to_json()
        if self.options:
            data["options"] = [
                {"value": option.value, "label": option.label.to_json()} for option in self.options
            ]
        for name in ("min", "max", "max_length", "max_mb", "prefill"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.accept:
            data["accept"] = list(self.accept)
        if self.era:
            data["era"] = True
        if self.show_if is not None:
            data["show_if"] = self.show_if.to_json()
        if self.fields:
            data["fields"] = [child.to_json() for child in self.fields]
        return data


@dataclass(frozen=True)
class Section:
    """A part of the form (セクション), shown under its own heading or as one step."""

    key: str
    title: LocalizedText
    description: LocalizedText | None
    fields: tuple[Field, ...]

    def field(self, key: str) -> Field:
        return next(item for item in self.fields if item.key == key)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "title": self.title.to_json()}
        if self.description is not None:
            data["description"] = self.description.to_json()
        data["fields"] = [item.to_json() for item in self.fields]
        return data


@dataclass(frozen=True)
class Fee:
    """How the fee (手数料) is worked out: ``fixed`` yen, or ``per_item``: `unit_yen` for each
    copy (a number field), each chosen option (multi_choice) or each row (group) of `field`."""

    rule: str
    yen: int | None = None
    field: str | None = None
    unit_yen: int | None = None
    section: str = ""
    key: str = ""

    def to_json(self) -> dict[str, Any]:
        if self.rule == "fixed":
            return {"rule": "fixed", "yen": self.yen}
        return {"rule": "per_item", "field": self.field, "unit_yen": self.unit_yen}


@dataclass(frozen=True)
class Source:
    """Where the field set comes from: the town's official form, or our best reading of the law
    and other towns' forms (`note` says where)."""

    basis: str
    references: tuple[str, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"basis": self.basis, "references": list(self.references)}
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class FormDefinition:
    """A whole form (様式): its sections, its fee rule and where its field set comes from."""

    sections: tuple[Section, ...]
    fee: Fee | None = None
    source: Source | None = None
    # How applications from マイナポータル map onto this form (mynaportal.py reads and checks it).
    mynaportal: Mapping[str, Any] | None = None

    def section(self, key: str) -> Section:
        return next(item for item in self.sections if item.key == key)

    def fields(self) -> Iterator[tuple[Section, Field]]:
        """Every top-level field with its section, in form order."""
        for section in self.sections:
            for item in section.fields:
                yield section, item

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "sections": [section.to_json() for section in self.sections],
        }
        if self.fee is not None:
            data["fee"] = self.fee.to_json()
        if self.source is not None:
            data["source"] = self.source.to_json()
        if self.mynaportal is not None:
            data["mynaportal"] = dict(self.mynaportal)
        return data


def to_json(definition: FormDefinition) -> dict[str, Any]:
    """The definition as JSON for `FormVersion.definition`."""
    return definition.to_json()


def parse(definition: Mapping[str, Any] | FormDefinition) -> FormDefinition:
    """Check a definition completely and return it; `DefinitionError` lists every mistake."""
    if isinstance(definition, FormDefinition):
        return definition
    parser = _Parser()
    result = parser.definition(definition)
    if parser.messages or result is None:
        raise DefinitionError(parser.messages or [_("様式の定義が正しくありません。")])
    return result


class _Parser:
    """Collects every mistake instead of stopping at the first, so an author fixes them at once."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.messages.append(f"{where}: {message}" if where else message)

    def text(self, value: Any, where: str, name: str, *, required: bool) -> LocalizedText | None:
        if value is None:
            if required:
                self.error(where, _("%(name)sがありません。") % {"name": name})
            return None
        if isinstance(value, str):
            value = {"ja": value}
        if (
            not isinstance(value, Mapping)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
            or not value.get("ja", "").strip()
        ):
            self.error(
                where,
                _('%(name)sは {"ja": "…", "en": "…"} の形で、日本語を必ず書いてください。')
                % {"name": name},
            )
            return None
        return LocalizedText(dict(value))

    def definition(self, data: Any) -> FormDefinition | None:
        if not isinstance(data, Mapping):
            self.error("", _("様式の定義はJSONのオブジェクトにしてください。"))
            return None
        if data.get("format") != FORMAT:
            self.error("", _("「format」は「%(format)s」にしてください。") % {"format": FORMAT})
        unknown = set(data) - {"format", "sections", "fee", "source", "mynaportal"}
        for name in sorted(unknown):
            self.error("", _("「%(name)s」という設定はありません。") % {"name": name})
        sections_data = data.get("sections")
        if not isinstance(sections_data, list) or not sections_data:
            self.error("", _("セクションが一つもありません。"))
            return None
        sections: list[Section] = []
        seen: set[str] = set()
        for index, section_data in enumerate(sections_data):
            section = self.section(section_data, index, seen, sections)
            if section is not None:
                sections.append(section)
        fee = self.fee(data.get("fee"), sections) if "fee" in data else None
        source = self.source(data.get("source")) if "source" in data else None
        mynaportal = data.get("mynaportal")
        if mynaportal is not None and not isinstance(mynaportal, Mapping):
            self.error("", _("「mynaportal」はJSONのオブジェクトにしてください。"))
            mynaportal = None
        return FormDefinition(
            sections=tuple(sections), fee=fee, source=source, mynaportal=mynaportal
        )

    def section(
        self, data: Any, index: int, seen: set[str], earlier: list[Section]
    ) -> Section | None:
        where = _("%(number)s番目のセクション") % {"number": index + 1}
        if not isinstance(data, Mapping):
            self.error(where, _("セクションはJSONのオブジェクトにしてください。"))
            return None
        key = data.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            self.error(where, _key_message())
            return None
        where = _("セクション「%(key)s」") % {"key": key}
        if key in seen:
            self.error(where, _("同じキーのセクションがすでにあります。"))
        seen.add(key)
        for name in sorted(set(data) - {"key", "title", "description", "fields"}):
            self.error(where, _("「%(name)s」という設定はありません。") % {"name": name})
        title = self.text(data.get("title"), where, _("見出し（title）"), required=True)
        description = self.text(
            data.get("description"), where, _("説明（description）"), required=False
        )
        fields = self.fields(data.get("fields"), where, key, earlier, group=None)
        if title is None:
            return None
        return Section(key=key, title=title, description=description, fields=tuple(fields))

    def fields(
        self,
        data: Any,
        where: str,
        section_key: str,
        earlier: list[Section],
        *,
        group: Field | None,
        group_prefill: str | None = None,
    ) -> list[Field]:
        if not isinstance(data, list) or not data:
            self.error(where, _("項目（fields）が一つもありません。"))
            return []
        fields: list[Field] = []
        keys: set[str] = set()
        for index, item in enumerate(data):
            parsed = self.field(
                item,
                index,
                where,
                section_key,
                earlier,
                fields,
                keys,
                group=group,
                group_prefill=group_prefill,
            )
            if parsed is not None:
                fields.append(parsed)
        return fields

    def field(
        self,
        data: Any,
        index: int,
        section_where: str,
        section_key: str,
        earlier: list[Section],
        siblings: list[Field],
        keys: set[str],
        *,
        group: Field | None,
        group_prefill: str | None,
    ) -> Field | None:
        if not isinstance(data, Mapping):
            self.error(
                section_where,
                _("%(number)s番目の項目はJSONのオブジェクトにしてください。")
                % {"number": index + 1},
            )
            return None
        key = data.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            self.error(
                section_where,
                _("%(number)s番目の項目: ") % {"number": index + 1} + _key_message(),
            )
            return None
        if group is not None:
            where = _("%(section)sの項目「%(group)s」の「%(key)s」") % {
                "section": section_where,
                "group": group.key,
                "key": key,
            }
        else:
            where = _("%(section)sの項目「%(key)s」") % {"section": section_where, "key": key}
        if key in keys:
            self.error(where, _("同じキーの項目がすでにあります。"))
        keys.add(key)
        kind = data.get("type")
        if kind not in FIELD_TYPES:
            self.error(
                where,
                _("typeが正しくありません（「%(type)s」）。使えるのは %(types)s です。")
                % {"type": kind, "types": ", ".join(FIELD_TYPES)},
            )
            return None
        if kind == "group" and group is not None:
            self.error(where, _("グループの中にグループは置けません。"))
            return None
        for name in sorted(set(data) - FIELD_ATTRIBUTES[kind]):
            self.error(
                where,
                _("「%(name)s」は%(type)sの項目には使えません。") % {"name": name, "type": kind},
            )
        label = self.text(data.get("label"), where, _("ラベル（label）"), required=True)
        help_text = self.text(data.get("help"), where, _("説明（help）"), required=False)
        required = data.get("required", False)
        if not isinstance(required, bool):
            self.error(where, _("requiredは true か false にしてください。"))
            required = False
        options = self.options(data, where) if kind in ("choice", "multi_choice") else ()
        minimum = self.integer(data, "min", where, lowest=0 if kind == "group" else None)
        maximum = self.integer(data, "max", where, lowest=1 if kind == "group" else None)
        if minimum is not None and maximum is not None and minimum > maximum:
            self.error(where, _("minがmaxより大きくなっています。"))
        max_length = self.integer(data, "max_length", where, lowest=1)
        max_mb = self.integer(data, "max_mb", where, lowest=1)
        if max_mb is not None and max_mb > MAX_MB_LIMIT:
            self.error(where, _("max_mbは%(limit)s以下にしてください。") % {"limit": MAX_MB_LIMIT})
        accept = self.accept(data, where)
        era = data.get("era", False)
        if not isinstance(era, bool):
            self.error(where, _("eraは true か false にしてください。"))
            era = False
        show_if = None
        if "show_if" in data:
            show_if = self.condition(
                data["show_if"], where, section_key, earlier, siblings, in_group=group is not None
            )
        prefill = data.get("prefill")
        if prefill is not None:
            self.prefill(prefill, kind, where, group_prefill=group_prefill, in_group=bool(group))
        parsed = Field(
            key=key,
            type=kind,
            label=label or LocalizedText({"ja": key}),
            required=required,
            help=help_text,
            options=options,
            min=minimum,
            max=maximum,
            max_length=max_length,
            accept=accept,
            max_mb=max_mb,
            era=era,
            show_if=show_if,
            prefill=prefill if isinstance(prefill, str) else None,
        )
        if kind == "group":
            children = self.fields(
                data.get("fields"),
                where,
                section_key,
                earlier,
                group=parsed,
                group_prefill=parsed.prefill,
            )
            parsed = replace(parsed, fields=tuple(children))
        return parsed

    def integer(self, data: Mapping[str, Any], name: str, where: str, *, lowest: int | None) -> Any:
        if name not in data:
            return None
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(where, _("%(name)sは整数にしてください。") % {"name": name})
            return None
        if lowest is not None and value < lowest:
            self.error(
                where,
                _("%(name)sは%(lowest)s以上にしてください。") % {"name": name, "lowest": lowest},
            )
            return None
        return value

    def options(self, data: Mapping[str, Any], where: str) -> tuple[Option, ...]:
        raw = data.get("options")
        if not isinstance(raw, list) or not raw:
            self.error(where, _("選択肢（options）がありません。"))
            return ()
        options: list[Option] = []
        for index, item in enumerate(raw):
            value = item.get("value") if isinstance(item, Mapping) else None
            if not isinstance(value, str) or not value:
                self.error(
                    where,
                    _("%(number)s番目の選択肢にvalue（文字列）がありません。")
                    % {"number": index + 1},
                )
                continue
            if value in (option.value for option in options):
                self.error(where, _("選択肢「%(value)s」が二つあります。") % {"value": value})
                continue
            label = self.text(
                item.get("label"),
                where,
                _("選択肢「%(value)s」のラベル") % {"value": value},
                required=True,
            )
            if label is not None:
                options.append(Option(value=value, label=label))
        return tuple(options)

    def accept(self, data: Mapping[str, Any], where: str) -> tuple[str, ...]:
        raw = data.get("accept", [])
        if not isinstance(raw, list) or any(kind not in FILE_KINDS for kind in raw):
            self.error(
                where,
                _("acceptには %(kinds)s から選んで並べてください。")
                % {"kinds": ", ".join(FILE_KINDS)},
            )
            return ()
        return tuple(raw)

    def condition(
        self,
        data: Any,
        where: str,
        section_key: str,
        earlier: list[Section],
        siblings: list[Field],
        *,
        in_group: bool,
    ) -> Condition | None:
        if (
            not isinstance(data, Mapping)
            or not isinstance(data.get("field"), str)
            or ("equals" in data) == ("in" in data)
            or set(data) - {"field", "equals", "in"}
        ):
            self.error(
                where,
                _(
                    'show_ifは {"field": "項目のキー", "equals": 値} か {"field": …, "in": [値, …]} '
                    "の形にしてください。"
                ),
            )
            return None
        name: str = data["field"]
        uses_in = "in" in data
        values = data["in"] if uses_in else [data["equals"]]
        if not isinstance(values, list) or not values:
            self.error(where, _("show_ifの「in」には値を一つ以上並べてください。"))
            return None
        target_section, _dot, target_key = name.rpartition(".")
        target: Field | None = None
        if in_group:
            if not target_section:
                target = next((item for item in siblings if item.key == target_key), None)
        elif not target_section or target_section == section_key:
            target_section = section_key
            target = next((item for item in siblings if item.key == target_key), None)
        else:
            section = next((item for item in earlier if item.key == target_section), None)
            if section is not None:
                target = next((item for item in section.fields if item.key == target_key), None)
        if target is None:
            self.error(
                where,
                _("show_ifの「%(field)s」という項目が、この項目より前にありません。")
                % {"field": name},
            )
            return None
        if target.type in ("group", "file"):
            self.error(
                where,
                _("show_ifにはグループやファイルの項目（「%(field)s」）は使えません。")
                % {"field": name},
            )
            return None
        if target.options:
            for value in values:
                if value not in target.option_values:
                    self.error(
                        where,
                        _("show_ifの値「%(value)s」は「%(field)s」の選択肢にありません。")
                        % {"value": value, "field": name},
                    )
        if target.type == "consent" and any(not isinstance(value, bool) for value in values):
            self.error(where, _("同意の項目を条件にするときは true か false にしてください。"))
        return Condition(
            field=name,
            values=tuple(values),
            uses_in=uses_in,
            section="" if in_group else target_section,
            key=target_key,
        )

    def prefill(
        self, path: Any, kind: str, where: str, *, group_prefill: str | None, in_group: bool
    ) -> None:
        if in_group:
            attribute = path[len("child.") :] if isinstance(path, str) else ""
            if (
                group_prefill != "household.children"
                or not isinstance(path, str)
                or not path.startswith("child.")
                or attribute not in _CHILD_PREFILL_TYPES
            ):
                self.error(
                    where,
                    _(
                        "prefill「%(path)s」は使えません。グループの項目で使えるのは、"
                        "グループが household.children のときの %(paths)s です。"
                    )
                    % {"path": path, "paths": ", ".join(f"child.{a}" for a in CHILD_ATTRIBUTES)},
                )
            elif kind not in _CHILD_PREFILL_TYPES[attribute]:
                self.error(where, _prefill_type_message() % {"path": path, "type": kind})
            return
        if path not in PREFILL_PATHS:
            self.error(
                where,
                _("prefill「%(path)s」という参照先はありません。使えるのは %(paths)s です。")
                % {"path": path, "paths": ", ".join(PREFILL_PATHS)},
            )
            return
        if path == "household.children":
            if kind != "group":
                self.error(where, _prefill_type_message() % {"path": path, "type": kind})
            return
        if kind not in _PREFILL_TYPES[path.split(".", 1)[1]]:
            self.error(where, _prefill_type_message() % {"path": path, "type": kind})

    def fee(self, data: Any, sections: list[Section]) -> Fee | None:
        where = _("手数料（fee）")
        if not isinstance(data, Mapping) or data.get("rule") not in ("fixed", "per_item"):
            self.error(where, _("ruleは fixed か per_item にしてください。"))
            return None
        if data["rule"] == "fixed":
            yen = data.get("yen")
            if set(data) - {"rule", "yen"} or not _is_yen(yen):
                self.error(
                    where,
                    _(
                        '定額の手数料は {"rule": "fixed", "yen": 金額（0以上の整数）} にしてください。'
                    ),
                )
                return None
            return Fee(rule="fixed", yen=yen)
        name, unit = data.get("field"), data.get("unit_yen")
        if (
            set(data) - {"rule", "field", "unit_yen"}
            or not isinstance(name, str)
            or not _is_yen(unit)
        ):
            self.error(
                where,
                _(
                    '件数による手数料は {"rule": "per_item", "field": "項目のキー", '
                    '"unit_yen": 1件の金額} にしてください。'
                ),
            )
            return None
        section_key, _dot, key = name.rpartition(".")
        matches = [
            (section, item)
            for section in sections
            for item in section.fields
            if item.key == key and section_key in ("", section.key)
        ]
        if len(matches) != 1 or matches[0][1].type not in ("number", "multi_choice", "group"):
            self.error(
                where,
                _(
                    "fieldには、数を表す項目（number・multi_choice・group）を一つ指定してください"
                    "（「%(field)s」）。同じキーが複数のセクションにあるときは「セクション.項目」"
                    "と書きます。"
                )
                % {"field": name},
            )
            return None
        return Fee(rule="per_item", field=name, unit_yen=unit, section=matches[0][0].key, key=key)

    def source(self, data: Any) -> Source | None:
        where = _("出典（source）")
        if (
            not isinstance(data, Mapping)
            or data.get("basis") not in BASES
            or set(data) - {"basis", "references", "note"}
        ):
            self.error(where, _("basisは official か best_reading にしてください。"))
            return None
        references = data.get("references", [])
        note = data.get("note", "")
        if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
            self.error(where, _("referencesは文字列のリストにしてください。"))
            return None
        if not isinstance(note, str):
            self.error(where, _("noteは文字列にしてください。"))
            return None
        return Source(basis=data["basis"], references=tuple(references), note=note)


def _same(value: Any, wanted: Any) -> bool:
    """Equal and of the same kind: true is not 1, as it would be in Python."""
    return isinstance(value, bool) == isinstance(wanted, bool) and value == wanted


def _is_yen(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _key_message() -> str:
    return _("keyは英小文字で始まり、英小文字・数字・_ だけでできたものにしてください。")


def _prefill_type_message() -> str:
    return _("prefill「%(path)s」の値は、%(type)sの項目には入れられません。")


__all__ = [
    "FIELD_TYPES",
    "FORMAT",
    "PREFILL_PATHS",
    "Condition",
    "DefinitionError",
    "Fee",
    "Field",
    "FormDefinition",
    "LocalizedText",
    "Option",
    "Section",
    "Source",
    "parse",
    "to_json",
]
