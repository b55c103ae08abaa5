"""The form definition format: a correct definition parses and round-trips; every kind of
mistake is reported in plain Japanese naming the section and field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.utils import translation

from yakuba.modules.procedures.formdef import (
    FORMAT,
    DefinitionError,
    LocalizedText,
    parse,
    to_json,
)


def definition(*fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "sections": [
            {
                "key": "applicant",
                "title": {"ja": "申請者", "en": "Applicant"},
                "fields": list(fields) or [{"key": "name", "type": "text", "label": "氏名"}],
            }
        ],
        **extra,
    }


FULL: dict[str, Any] = {
    "format": FORMAT,
    "sections": [
        {
            "key": "applicant",
            "title": {"ja": "申請者", "en": "Applicant"},
            "description": {"ja": "申請する方について", "en": "About you"},
            "fields": [
                {
                    "key": "name",
                    "type": "text",
                    "label": {"ja": "氏名", "en": "Name"},
                    "required": True,
                    "max_length": 50,
                    "prefill": "profile.full_name",
                    "help": {"ja": "戸籍のとおりに", "en": "As registered"},
                },
                {"key": "name_kana", "type": "kana", "label": {"ja": "フリガナ"}, "required": True},
                {
                    "key": "birth_date",
                    "type": "date",
                    "label": {"ja": "生年月日"},
                    "era": True,
                    "prefill": "profile.birth_date",
                },
                {
                    "key": "copies",
                    "type": "number",
                    "label": {"ja": "部数"},
                    "required": True,
                    "min": 1,
                    "max": 10,
                },
                {
                    "key": "delivery",
                    "type": "choice",
                    "label": {"ja": "受け取り方法"},
                    "required": True,
                    "options": [
                        {"value": "pickup", "label": {"ja": "窓口"}},
                        {"value": "mail", "label": {"ja": "郵送"}},
                    ],
                },
                {
                    "key": "mail_address",
                    "type": "address",
                    "label": {"ja": "送付先"},
                    "show_if": {"field": "delivery", "equals": "mail"},
                    "prefill": "profile.address",
                },
                {"key": "account", "type": "bank_account", "label": {"ja": "振込先"}},
                {
                    "key": "proof",
                    "type": "file",
                    "label": {"ja": "本人確認書類"},
                    "accept": ["pdf", "jpeg", "png"],
                    "max_mb": 10,
                },
                {
                    "key": "children",
                    "type": "group",
                    "label": {"ja": "対象となる子ども"},
                    "min": 1,
                    "max": 10,
                    "prefill": "household.children",
                    "fields": [
                        {"key": "name", "type": "text", "label": {"ja": "氏名"}},
                        {"key": "birth_date", "type": "date", "label": {"ja": "生年月日"}},
                    ],
                },
                {
                    "key": "agree",
                    "type": "consent",
                    "label": {"ja": "同意します"},
                    "required": True,
                },
            ],
        },
        {
            "key": "contact",
            "title": {"ja": "連絡先"},
            "fields": [
                {
                    "key": "note",
                    "type": "textarea",
                    "label": {"ja": "備考"},
                    "max_length": 2000,
                    "show_if": {"field": "applicant.delivery", "in": ["mail"]},
                },
                {"key": "phone", "type": "phone", "label": {"ja": "電話番号"}},
                {"key": "email", "type": "email", "label": {"ja": "メール"}},
            ],
        },
    ],
    "fee": {"rule": "per_item", "field": "copies", "unit_yen": 300},
    "source": {"basis": "official", "references": ["亘理町 様式第1号"]},
}


def messages_for(data: dict[str, Any]) -> list[str]:
    with pytest.raises(DefinitionError) as raised:
        parse(data)
    return raised.value.messages


def test_a_complete_definition_parses_and_round_trips() -> None:
    parsed = parse(FULL)
    assert to_json(parsed) == FULL
    assert parse(to_json(parsed)) == parsed
    assert [section.key for section in parsed.sections] == ["applicant", "contact"]
    assert parsed.section("applicant").field("children").fields[1].type == "date"


def test_a_plain_string_text_is_japanese() -> None:
    parsed = parse(definition({"key": "name", "type": "text", "label": "氏名"}))
    assert parsed.sections[0].fields[0].label.texts == {"ja": "氏名"}


def test_localized_text_follows_the_active_language_and_falls_back_to_japanese() -> None:
    both = LocalizedText({"ja": "氏名", "en": "Name"})
    only_japanese = LocalizedText({"ja": "氏名"})
    with translation.override("en"):
        assert str(both) == "Name"
        assert str(only_japanese) == "氏名"
    with translation.override("ja"):
        assert str(both) == "氏名"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            {"key": "name", "type": "txt", "label": "氏名"},
            "セクション「applicant」の項目「name」: typeが正しくありません",
        ),
        ({"key": "Name", "type": "text", "label": "氏名"}, "keyは英小文字で始まり"),
        ({"key": "name", "type": "text"}, "セクション「applicant」の項目「name」: ラベル"),
        ({"key": "pick", "type": "choice", "label": "選択"}, "項目「pick」: 選択肢（options）"),
        (
            {
                "key": "pick",
                "type": "choice",
                "label": "選択",
                "options": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}],
            },
            "選択肢「a」が二つあります",
        ),
        (
            {
                "key": "name",
                "type": "text",
                "label": "氏名",
                "show_if": {"field": "missing", "equals": "x"},
            },
            "項目「name」: show_ifの「missing」という項目が、この項目より前にありません",
        ),
        (
            {"key": "name", "type": "text", "label": "氏名", "prefill": "profile.nickname"},
            "prefill「profile.nickname」という参照先はありません",
        ),
        (
            {"key": "name", "type": "text", "label": "氏名", "prefill": "profile.birth_date"},
            "prefill「profile.birth_date」の値は、textの項目には入れられません",
        ),
        (
            {
                "key": "outer",
                "type": "group",
                "label": "外",
                "fields": [
                    {
                        "key": "inner",
                        "type": "group",
                        "label": "内",
                        "fields": [{"key": "a", "type": "text", "label": "A"}],
                    }
                ],
            },
            "グループの中にグループは置けません",
        ),
        (
            {"key": "copies", "type": "number", "label": "部数", "min": 5, "max": 1},
            "minがmaxより大きく",
        ),
        (
            {"key": "name", "type": "text", "label": "氏名", "requred": True},
            "「requred」はtextの項目には使えません",
        ),
        ({"key": "proof", "type": "file", "label": "書類", "accept": ["exe"]}, "acceptには"),
        ({"key": "proof", "type": "file", "label": "書類", "max_mb": 500}, "max_mbは20以下"),
        ({"key": "day", "type": "date", "label": "日", "era": "yes"}, "eraは true か false"),
    ],
)
def test_a_mistake_is_reported_naming_the_section_and_field(
    field: dict[str, Any], expected: str
) -> None:
    messages = messages_for(definition(field))
    assert any(expected in message for message in messages), messages


def test_a_mynaportal_mapping_is_kept_and_must_be_an_object() -> None:
    mapping = {"procedure_ids": ["T001"], "items": {"申請者/氏名": "applicant.name"}}
    data = definition(mynaportal=mapping)
    assert to_json(parse(data))["mynaportal"] == mapping
    assert "「mynaportal」はJSONのオブジェクトにしてください。" in messages_for(
        definition(mynaportal=["T001"])
    )


def test_duplicate_keys_are_reported() -> None:
    field = {"key": "name", "type": "text", "label": "氏名"}
    messages = messages_for(definition(field, dict(field)))
    assert "セクション「applicant」の項目「name」: 同じキーの項目がすでにあります。" in messages
    data = definition()
    data["sections"].append(copy.deepcopy(data["sections"][0]))
    assert any("同じキーのセクション" in message for message in messages_for(data))


def test_every_mistake_is_reported_at_once() -> None:
    messages = messages_for(
        definition(
            {"key": "a", "type": "nope", "label": "A"},
            {"key": "b", "type": "choice", "label": "B"},
            fee={"rule": "per_page"},
        )
    )
    assert len(messages) == 3


def test_show_if_value_must_be_an_option_of_its_field() -> None:
    messages = messages_for(
        definition(
            {
                "key": "delivery",
                "type": "choice",
                "label": "受け取り",
                "options": [{"value": "mail", "label": "郵送"}],
            },
            {
                "key": "address",
                "type": "address",
                "label": "住所",
                "show_if": {"field": "delivery", "equals": "fax"},
            },
        )
    )
    assert any("show_ifの値「fax」は「delivery」の選択肢にありません" in m for m in messages)


def test_show_if_may_name_a_field_of_an_earlier_section_only() -> None:
    later = copy.deepcopy(FULL)
    later["sections"][0]["fields"].append(
        {
            "key": "x",
            "type": "text",
            "label": "X",
            "show_if": {"field": "contact.phone", "equals": "1"},
        }
    )
    assert any("contact.phone" in m for m in messages_for(later))


@pytest.mark.parametrize(
    ("fee", "expected"),
    [
        ({"rule": "monthly"}, "ruleは fixed か per_item"),
        ({"rule": "fixed", "yen": -1}, "定額の手数料"),
        ({"rule": "per_item", "field": "missing", "unit_yen": 300}, "「missing」"),
        ({"rule": "per_item", "field": "name", "unit_yen": 300}, "数を表す項目"),
    ],
)
def test_a_bad_fee_rule_is_reported(fee: dict[str, Any], expected: str) -> None:
    messages = messages_for(definition(fee=fee))
    assert any(m.startswith("手数料（fee）") and expected in m for m in messages), messages


def test_the_format_must_be_named() -> None:
    data = definition()
    del data["format"]
    assert any("format" in message for message in messages_for(data))


def test_a_group_field_may_prefill_from_the_child_only_in_a_children_group() -> None:
    group = {
        "key": "kids",
        "type": "group",
        "label": "子",
        "fields": [{"key": "who", "type": "text", "label": "氏名", "prefill": "child.name"}],
    }
    assert any("child.name" in m for m in messages_for(definition(group)))
    parse(definition({**group, "prefill": "household.children"}))
