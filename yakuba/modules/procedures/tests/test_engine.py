"""The form engine: every field type's checks and messages, conditions, groups, prefill, the
frozen answers (canonical JSON, digest), fees, the templates, and properties over random forms."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yakuba.modules.procedures import engine
from yakuba.modules.procedures.engine import build_form, canonical_json, digest, form_data
from yakuba.modules.procedures.fees import fee_for
from yakuba.modules.procedures.formdef import FORMAT
from yakuba.platform.accounts.models import Relationship
from yakuba.platform.accounts.tests.factories import (
    HouseholdMemberFactory,
    ResidentProfileFactory,
)

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def one_field(field: dict[str, Any], *more: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "sections": [
            {"key": "s", "title": {"ja": "申請者", "en": "Applicant"}, "fields": [field, *more]}
        ],
        **extra,
    }


def submit(
    definition: dict[str, Any], data: dict[str, Any], files: dict[str, Any] | None = None, **kw: Any
) -> engine.FilledForm:
    return build_form(definition, data=data, files=files, **kw)


def messages(filled: engine.FilledForm) -> list[str]:
    return [error.message for error in filled.errors()]


# --- one field of each type -----------------------------------------------------------------

CASES: list[tuple[dict[str, Any], dict[str, Any], Any]] = [
    ({"type": "text", "max_length": 5}, {"": " 山田 "}, "山田"),
    ({"type": "textarea"}, {"": "一行目\r\n二行目\n"}, "一行目\n二行目"),
    ({"type": "kana"}, {"": "やまだ　　たろう"}, "ヤマダ タロウ"),
    ({"type": "kana"}, {"": "ﾔﾏﾀﾞ ﾀﾛｳ"}, "ヤマダ タロウ"),
    ({"type": "number", "min": 1, "max": 10}, {"": "１０"}, 10),
    ({"type": "date"}, {"": "2024-04-01"}, "2024-04-01"),
    ({"type": "date"}, {"": "２０２４年４月１日"}, "2024-04-01"),
    ({"type": "date", "era": True}, {"": "令和6年4月1日"}, "2024-04-01"),
    ({"type": "date", "era": True}, {"": "R6.4.1"}, "2024-04-01"),
    ({"type": "date", "era": True}, {"": "令和元年5月1日"}, "2019-05-01"),
    ({"type": "date", "era": True}, {"": "昭和59年4月12日"}, "1984-04-12"),
    ({"type": "date", "era": True}, {"": "h31/4/30"}, "2019-04-30"),
    ({"type": "phone"}, {"": "０２２３－３４－１１１１"}, "0223-34-1111"),
    ({"type": "phone"}, {"": "09012345678"}, "09012345678"),
    ({"type": "email"}, {"": "ｔａｒｏ＠example.jp"}, "taro@example.jp"),
    (
        {"type": "address"},
        {"postal_code": "〒９８９２３９３", "address": "宮城県亘理郡亘理町字悠里1"},
        {"postal_code": "989-2393", "address": "宮城県亘理郡亘理町字悠里1"},
    ),
    (
        {"type": "bank_account"},
        {
            "bank_code": "０１２５",
            "branch_code": "123",
            "account_type": "futsu",
            "account_number": "1234567",
            "holder_kana": "わたり はなこ",
        },
        {
            "bank_code": "0125",
            "branch_code": "123",
            "account_type": "futsu",
            "account_number": "1234567",
            "holder_kana": "ワタリ ハナコ",
        },
    ),
]


def post_for(field: dict[str, Any], parts: dict[str, Any]) -> dict[str, Any]:
    return {f"s-{engine._input_name(field['key'], name)}": value for name, value in parts.items()}


@pytest.mark.parametrize(("extra", "parts", "expected"), CASES)
def test_a_valid_answer_becomes_its_canonical_value(
    extra: dict[str, Any], parts: dict[str, Any], expected: Any
) -> None:
    field = {"key": "answer", "label": "回答", "required": True, **extra}
    filled = submit(one_field(field), post_for(field, parts))
    assert filled.is_valid(), filled.errors()
    assert filled.answers == {"s": {"answer": expected}}


INVALID: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"type": "text"}, {"": "  "}, "「回答」を入力してください。"),
    ({"type": "text", "max_length": 3}, {"": "山田太郎"}, "「回答」は3文字以内で入力してください"),
    ({"type": "kana"}, {"": "Yamada"}, "「回答」はカタカナで入力してください。"),
    ({"type": "kana"}, {"": "山田"}, "「回答」はカタカナで入力してください。"),
    ({"type": "number", "min": 1, "max": 10}, {"": "0"}, "「回答」は1以上にしてください。"),
    ({"type": "number", "min": 1, "max": 10}, {"": "11"}, "「回答」は10以下にしてください。"),
    ({"type": "number"}, {"": "三"}, "「回答」は半角または全角の数字で"),
    ({"type": "date"}, {"": "2024-02-30"}, "「回答」は 2024-04-01 のように"),
    ({"type": "date"}, {"": "令和6年4月1日"}, "「回答」は 2024-04-01 のように"),
    (
        {"type": "date", "era": True},
        {"": "平成31年5月1日"},
        "「回答」は 2024-04-01 や 令和6年4月1日",
    ),
    (
        {"type": "date", "era": True},
        {"": "令和0年5月1日"},
        "「回答」は 2024-04-01 や 令和6年4月1日",
    ),
    ({"type": "phone"}, {"": "123-4567"}, "「回答」は 0223-34-1111 のように"),
    ({"type": "phone"}, {"": "0223-34-11111-1"}, "「回答」は 0223-34-1111 のように"),
    ({"type": "phone"}, {"": "0223 34 abcd"}, "「回答」は 0223-34-1111 のように"),
    ({"type": "email"}, {"": "taro@"}, "「回答」は name@example.jp のような形で"),
    (
        {"type": "choice", "options": [{"value": "a", "label": "A"}]},
        {"": "z"},
        "「回答」は選択肢から選んでください。",
    ),
    (
        {"type": "choice", "options": [{"value": "a", "label": "A"}]},
        {},
        "「回答」を選んでください。",
    ),
    (
        {"type": "multi_choice", "options": [{"value": "a", "label": "A"}]},
        {"": ["a", "z"]},
        "「回答」は選択肢から選んでください。",
    ),
    ({"type": "consent"}, {}, "「回答」にチェックを入れてください。"),
    (
        {"type": "address"},
        {"postal_code": "98923", "address": "亘理町"},
        "「回答」の郵便番号は 989-2393 のように7桁",
    ),
    ({"type": "address"}, {"postal_code": "989-2393"}, "「回答」の住所を入力してください。"),
    (
        {"type": "bank_account"},
        {
            "bank_code": "125",
            "branch_code": "123",
            "account_type": "futsu",
            "account_number": "1234567",
            "holder_kana": "ワタリ",
        },
        "「回答」の金融機関コード（4桁）は4桁の数字で",
    ),
    (
        {"type": "bank_account"},
        {
            "bank_code": "0125",
            "branch_code": "12",
            "account_type": "futsu",
            "account_number": "123456",
            "holder_kana": "Watari",
        },
        "「回答」の口座番号（7桁）は7桁の数字で",
    ),
    (
        {"type": "bank_account"},
        {
            "bank_code": "0125",
            "branch_code": "123",
            "account_type": "futsu",
            "account_number": "1234567",
            "holder_kana": "Watari",
        },
        "「回答」の口座名義はカタカナで入力してください。",
    ),
    ({"type": "file"}, {}, "「回答」のファイルを選んでください。"),
]


@pytest.mark.parametrize(("extra", "parts", "expected"), INVALID)
def test_an_invalid_answer_is_refused_with_a_message_naming_the_field(
    extra: dict[str, Any], parts: dict[str, Any], expected: str
) -> None:
    field = {"key": "answer", "label": "回答", "required": True, **extra}
    filled = submit(one_field(field), post_for(field, parts))
    assert not filled.is_valid()
    assert any(expected in message for message in messages(filled)), messages(filled)
    assert all(
        error.path.startswith("s.answer") and error.label == "回答" for error in filled.errors()
    )
    with pytest.raises(ValueError):
        filled.answers  # noqa: B018 - an invalid form has no answers


def test_messages_name_the_field_in_english_on_english_pages() -> None:
    field = {
        "key": "answer",
        "label": {"ja": "回答", "en": "Answer"},
        "type": "text",
        "required": True,
    }
    with translation.override("en"):
        filled = submit(one_field(field), {})
        assert not filled.is_valid()
        assert "Answer" in messages(filled)[0]


def test_an_optional_field_left_empty_is_absent_from_the_answers() -> None:
    definition = one_field(
        {"key": "note", "type": "text", "label": "備考"},
        {
            "key": "pick",
            "type": "multi_choice",
            "label": "選択",
            "options": [{"value": "a", "label": "A"}],
        },
        {"key": "agree", "type": "consent", "label": "同意"},
        {"key": "home", "type": "address", "label": "住所"},
    )
    filled = submit(definition, {"s-note": "  "})
    assert filled.is_valid()
    assert filled.answers == {"s": {}}


def test_multi_choice_keeps_the_options_order() -> None:
    options = [{"value": v, "label": v} for v in ("a", "b", "c")]
    definition = one_field(
        {"key": "pick", "type": "multi_choice", "label": "選択", "options": options}
    )
    filled = submit(definition, {"s-pick": ["c", "a"]})
    assert filled.is_valid()
    assert filled.answers == {"s": {"pick": ["a", "c"]}}


def test_typed_answers_keep_what_did_not_pass_for_a_draft_and_show_it_again() -> None:
    definition = one_field(
        {"key": "name", "type": "text", "label": "氏名", "required": True},
        {"key": "birth", "type": "date", "label": "生年月日", "era": True},
        {"key": "home", "type": "address", "label": "住所"},
        *CHILDREN["sections"][0]["fields"],
    )
    post = {
        "s-name": "亘理 花子",
        "s-birth": "令和6年13月1日",
        "s-home__postal_code": "98923",
        **rows(("一郎", "あした"), ("", ""), total=2),
    }
    filled = submit(definition, post)
    assert not filled.is_valid()
    typed = filled.typed_answers
    assert typed == {
        "s": {
            "name": "亘理 花子",
            "birth": "令和6年13月1日",
            "home": {"postal_code": "98923", "address": ""},
            "children": [{"name": "一郎", "birth_date": "あした"}],
        }
    }
    again = build_form(definition, answers=typed)
    html = render_to_string(
        "procedures/form/section.html", {"section": again.sections[0], "filled": again}
    )
    assert 'value="令和6年13月1日"' in html
    assert 'value="98923"' in html
    assert 'value="あした"' in html


# --- files -------------------------------------------------------------------------------


def file_form(**extra: Any) -> dict[str, Any]:
    return one_field(
        {"key": "proof", "type": "file", "label": "本人確認書類", "required": True, **extra}
    )


def test_an_uploaded_file_is_checked_and_left_for_the_service_to_store() -> None:
    upload = SimpleUploadedFile("免許証.pdf", PDF, content_type="application/pdf")
    filled = submit(file_form(), {}, {"s-proof": upload})
    assert filled.is_valid(), filled.errors()
    value = filled.answers["s"]["proof"]
    assert value["attachment_id"] is None
    assert value["name"] == "免許証.pdf"
    assert value["size"] == len(PDF)
    assert len(value["sha256"]) == 64
    assert filled.uploads == {"s.proof": upload}
    answers = filled.answers
    engine.set_attachment(answers, "s.proof", 42)
    assert answers["s"]["proof"]["attachment_id"] == 42


def test_a_file_already_attached_to_the_draft_satisfies_a_required_file_field() -> None:
    existing = {"attachment_id": 7, "name": "a.pdf", "size": 10, "sha256": "0" * 64}
    filled = submit(file_form(), {}, answers={"s": {"proof": existing}})
    assert filled.is_valid()
    assert filled.answers == {"s": {"proof": existing}}
    assert filled.uploads == {}


@pytest.mark.parametrize(
    ("name", "content", "extra", "expected"),
    [
        ("a.exe", PDF, {}, "「本人確認書類」には PDF・JPEG・PNG のファイルを選んでください。"),
        (
            "a.pdf",
            b"MZ\x90\x00 not a pdf",
            {},
            "「本人確認書類」のファイルの中身が PDF・JPEG・PNG ではありません。",
        ),
        (
            "a.pdf",
            PDF + b"0" * (1024 * 1024),
            {"max_mb": 1},
            "「本人確認書類」のファイルは1MB以下にしてください。",
        ),
    ],
)
def test_a_wrong_file_is_refused(
    name: str, content: bytes, extra: dict[str, Any], expected: str
) -> None:
    filled = submit(file_form(**extra), {}, {"s-proof": SimpleUploadedFile(name, content)})
    assert not filled.is_valid()
    assert messages(filled) == [expected]


# --- conditions ------------------------------------------------------------------------------

DELIVERY = one_field(
    {
        "key": "delivery",
        "type": "choice",
        "label": "受け取り方法",
        "required": True,
        "options": [{"value": "pickup", "label": "窓口"}, {"value": "mail", "label": "郵送"}],
    },
    {
        "key": "mail_address",
        "type": "address",
        "label": "送付先",
        "required": True,
        "show_if": {"field": "delivery", "equals": "mail"},
    },
    {"key": "memo", "type": "text", "label": "メモ"},
)


def test_a_hidden_field_is_not_required_and_its_value_is_dropped() -> None:
    filled = submit(
        DELIVERY,
        {
            "s-delivery": "pickup",
            "s-mail_address__postal_code": "12",
            "s-mail_address__address": "x",
        },
    )
    assert filled.is_valid(), filled.errors()
    assert filled.answers == {"s": {"delivery": "pickup"}}


def test_a_shown_field_is_required() -> None:
    filled = submit(DELIVERY, {"s-delivery": "mail"})
    assert not filled.is_valid()
    assert [e.path for e in filled.errors()] == [
        "s.mail_address.postal_code",
        "s.mail_address.address",
    ]
    assert "「送付先」の郵便番号を入力してください。" in messages(filled)


def test_a_condition_on_another_section_uses_the_earlier_answers_in_a_step_by_step_flow() -> None:
    definition = {
        "format": FORMAT,
        "sections": [
            DELIVERY["sections"][0],
            {
                "key": "extra",
                "title": "追加",
                "fields": [
                    {
                        "key": "stamp",
                        "type": "consent",
                        "label": "切手を同封します",
                        "required": True,
                        "show_if": {"field": "s.delivery", "equals": "mail"},
                    }
                ],
            },
        ],
    }
    by_pickup = submit(definition, {}, section="extra", answers={"s": {"delivery": "pickup"}})
    assert by_pickup.is_valid()
    assert by_pickup.answers == {"extra": {}}
    assert not by_pickup.sections[0].fields[0].is_rendered
    by_mail = submit(definition, {}, section="extra", answers={"s": {"delivery": "mail"}})
    assert messages(by_mail) == ["「切手を同封します」にチェックを入れてください。"]


def test_a_condition_on_a_consent_and_a_chain_of_conditions() -> None:
    definition = one_field(
        {"key": "has_agent", "type": "consent", "label": "代理人が申請する"},
        {
            "key": "agent_name",
            "type": "text",
            "label": "代理人の氏名",
            "required": True,
            "show_if": {"field": "has_agent", "equals": True},
        },
        {
            "key": "no_agent_reason",
            "type": "text",
            "label": "理由",
            "required": True,
            "show_if": {"field": "has_agent", "equals": False},
        },
    )
    assert submit(definition, {"s-no_agent_reason": "本人"}).answers == {
        "s": {"no_agent_reason": "本人"}
    }
    filled = submit(definition, {"s-has_agent": "on"})
    assert messages(filled) == ["「代理人の氏名」を入力してください。"]


def test_the_section_template_marks_conditions_for_the_script_and_explains_them() -> None:
    html = render_to_string(
        "procedures/form/section.html",
        {"section": build_form(DELIVERY).sections[0], "filled": build_form(DELIVERY)},
    )
    assert 'data-show-if-field="s-delivery"' in html
    assert 'data-show-if-values="[&quot;mail&quot;]"' in html
    assert "「受け取り方法」で「郵送」を選んだ場合に答えてください。" in html
    assert "<script" not in html


# --- groups ------------------------------------------------------------------------------

CHILDREN = one_field(
    {
        "key": "children",
        "type": "group",
        "label": "対象となる子ども",
        "min": 1,
        "max": 2,
        "prefill": "household.children",
        "fields": [
            {"key": "name", "type": "text", "label": "氏名", "required": True},
            {
                "key": "birth_date",
                "type": "date",
                "label": "生年月日",
                "required": True,
                "era": True,
            },
        ],
    }
)


def rows(*children: tuple[str, str], total: int | None = None) -> dict[str, Any]:
    data = {
        "s-children-TOTAL_FORMS": str(total if total is not None else len(children)),
        "s-children-INITIAL_FORMS": "0",
    }
    for index, (name, birth) in enumerate(children):
        data[f"s-children-{index}-name"] = name
        data[f"s-children-{index}-birth_date"] = birth
    return data


def test_a_group_gives_a_list_of_rows_and_drops_empty_ones() -> None:
    filled = submit(CHILDREN, rows(("亘理 一郎", "令和2年1月2日"), ("", ""), total=3))
    assert filled.is_valid(), filled.errors()
    assert filled.answers == {
        "s": {"children": [{"name": "亘理 一郎", "birth_date": "2020-01-02"}]}
    }


def test_a_group_below_its_min_or_above_its_max_is_refused() -> None:
    assert messages(submit(CHILDREN, rows(("", ""), total=1))) == [
        "「対象となる子ども」を1件以上入力してください。"
    ]
    too_many = rows(("a", "2020-01-01"), ("b", "2020-01-01"), ("c", "2020-01-01"))
    assert messages(submit(CHILDREN, too_many))[0] == "「対象となる子ども」は2件までです。"


def test_an_error_in_a_row_names_the_row() -> None:
    filled = submit(CHILDREN, rows(("a", "2020-01-01"), ("b", "")))
    [error] = filled.errors()
    assert error.path == "s.children.1.birth_date"
    assert error.label == "対象となる子ども（2件目）の生年月日"
    assert error.message == "「生年月日」を入力してください。"


def test_add_one_more_shows_the_form_again_with_an_empty_row_and_no_errors() -> None:
    filled = submit(CHILDREN, {**rows(("a", "")), "s-children__add": "1"})
    assert filled.row_action
    assert not filled.is_valid()
    assert filled.errors() == []
    group = filled.sections[0].fields[0]
    assert len(group.rows) == 2
    assert 'value="a"' in group.rows[0].fields[0].parts[0].html
    html = render_to_string(
        "procedures/form/section.html", {"section": filled.sections[0], "filled": filled}
    )
    assert 'name="s-children-TOTAL_FORMS" value="2"' in html
    assert "field__error" not in html
    assert "対象となる子どもの2件目を削除" in html


def test_remove_drops_the_row_and_moves_the_next_ones_up() -> None:
    data = {**rows(("a", "2020-01-01"), ("b", "2021-01-01")), "s-children__remove": "0"}
    filled = submit(CHILDREN, data)
    assert filled.row_action
    group = filled.sections[0].fields[0]
    assert len(group.rows) == 1
    assert 'value="b"' in group.rows[0].fields[0].parts[0].html


def test_add_stops_at_the_groups_max() -> None:
    filled = submit(
        CHILDREN, {**rows(("a", "2020-01-01"), ("b", "2021-01-01")), "s-children__add": "1"}
    )
    group = filled.sections[0].fields[0]
    assert len(group.rows) == 2
    assert not group.can_add


# --- prefill ------------------------------------------------------------------------------

PERSON = one_field(
    {"key": "name", "type": "text", "label": "氏名", "prefill": "subject.full_name"},
    {"key": "kana", "type": "kana", "label": "フリガナ", "prefill": "subject.full_name_kana"},
    {"key": "family", "type": "text", "label": "氏", "prefill": "subject.family_name"},
    {"key": "birth", "type": "date", "label": "生年月日", "prefill": "subject.birth_date"},
    {
        "key": "sex",
        "type": "choice",
        "label": "性別",
        "options": [{"value": "male", "label": "男"}, {"value": "female", "label": "女"}],
        "prefill": "subject.sex",
    },
    {"key": "applicant", "type": "text", "label": "申請者", "prefill": "profile.full_name"},
    {"key": "home", "type": "address", "label": "住所", "prefill": "profile.address"},
    {"key": "email", "type": "email", "label": "メール", "prefill": "profile.email"},
)


@pytest.mark.django_db
def test_prefill_for_the_resident_themself() -> None:
    profile = ResidentProfileFactory.create(given_name="花子", sex="female")
    answers = engine.prefill(PERSON, profile=profile, email="hanako@example.jp")
    assert answers == {
        "s": {
            "name": "亘理 花子",
            "kana": "ワタリ ハナコ",
            "family": "亘理",
            "birth": "1980-04-01",
            "sex": "female",
            "applicant": "亘理 花子",
            "home": {"postal_code": "989-2351", "address": "宮城県亘理郡亘理町字悠里1"},
            "email": "hanako@example.jp",
        }
    }
    filled = build_form(PERSON, answers=answers)
    html = render_to_string(
        "procedures/form/section.html", {"section": filled.sections[0], "filled": filled}
    )
    assert 'value="亘理 花子"' in html
    assert 'autocomplete="postal-code"' in html


@pytest.mark.django_db
def test_prefill_for_a_household_member() -> None:
    profile = ResidentProfileFactory.create(given_name="花子")
    child = HouseholdMemberFactory.create(
        profile=profile,
        name="亘理 一郎",
        name_kana="わたり いちろう",
        relationship=Relationship.CHILD,
        birth_date=date(2020, 1, 2),
        sex="male",
    )
    answers = engine.prefill(PERSON, profile=profile, subject=child, email="hanako@example.jp")
    assert answers["s"] == {
        "name": "亘理 一郎",
        "kana": "ワタリ イチロウ",
        "family": "亘理",
        "birth": "2020-01-02",
        "sex": "male",
        "applicant": "亘理 花子",
        "home": {"postal_code": "989-2351", "address": "宮城県亘理郡亘理町字悠里1"},
        "email": "hanako@example.jp",
    }


@pytest.mark.django_db
def test_prefill_fills_a_group_with_the_households_children() -> None:
    profile = ResidentProfileFactory.create()
    HouseholdMemberFactory.create(profile=profile)  # a spouse: not a child
    for name, born in (("亘理 次郎", date(2022, 5, 5)), ("亘理 一郎", date(2020, 1, 2))):
        HouseholdMemberFactory.create(
            profile=profile, name=name, relationship=Relationship.CHILD, birth_date=born
        )
    answers = engine.prefill(CHILDREN, profile=profile)
    assert answers == {
        "s": {
            "children": [
                {"name": "亘理 一郎", "birth_date": "2020-01-02"},
                {"name": "亘理 次郎", "birth_date": "2022-05-05"},
            ]
        }
    }
    filled = build_form(CHILDREN, answers=answers)
    group = filled.sections[0].fields[0]
    assert len(group.rows) == 2
    # An era date field shows a stored date in 和暦.
    assert 'value="令和2年1月2日"' in group.rows[0].fields[1].parts[0].html
    resubmitted = submit(CHILDREN, form_data(CHILDREN, answers))
    assert resubmitted.answers == answers


# --- freezing the answers -----------------------------------------------------------------------


def test_canonical_json_is_sorted_compact_utf8() -> None:
    answers = {"b": {"z": 1, "a": ["ア", "b"]}, "a": {}}
    assert canonical_json(answers) == '{"a":{},"b":{"a":["ア","b"],"z":1}}'.encode()


def test_canonical_json_and_digest_do_not_depend_on_key_order() -> None:
    first = {"s": {"name": "亘理", "copies": 2}}
    second = {"s": {"copies": 2, "name": "亘理"}}
    assert canonical_json(first) == canonical_json(second)
    assert digest(first) == digest(second)
    assert digest(first) == "{:s}".format(
        __import__("hashlib").sha256(canonical_json(first)).hexdigest()
    )
    assert digest({"s": {"name": "亘理", "copies": 3}}) != digest(first)


# --- fees ------------------------------------------------------------------------------------

COPIES = {"key": "copies", "type": "number", "label": "部数", "min": 1, "max": 10}


@pytest.mark.parametrize(
    ("fee", "answers", "expected"),
    [
        (None, {"s": {"copies": 3}}, None),
        ({"rule": "fixed", "yen": 300}, {"s": {}}, 300),
        ({"rule": "per_item", "field": "copies", "unit_yen": 300}, {"s": {"copies": 3}}, 900),
        ({"rule": "per_item", "field": "s.copies", "unit_yen": 450}, {"s": {"copies": 2}}, 900),
        ({"rule": "per_item", "field": "copies", "unit_yen": 300}, {"s": {}}, 0),
    ],
)
def test_fee_for(fee: dict[str, Any] | None, answers: dict[str, Any], expected: int | None) -> None:
    definition = one_field(COPIES, **({"fee": fee} if fee else {}))
    assert fee_for(definition, answers) == expected


def test_a_per_item_fee_counts_a_groups_rows() -> None:
    definition = {**CHILDREN, "fee": {"rule": "per_item", "field": "children", "unit_yen": 200}}
    assert fee_for(definition, {"s": {"children": [{}, {}]}}) == 400


# --- templates -------------------------------------------------------------------------------


def test_the_section_template_is_accessible() -> None:
    definition = one_field(
        {
            "key": "name",
            "type": "text",
            "label": "氏名",
            "required": True,
            "help": "戸籍のとおり",
            "prefill": "profile.full_name",
        },
        {"key": "phone", "type": "phone", "label": "電話番号"},
        DELIVERY["sections"][0]["fields"][0],
        {"key": "account", "type": "bank_account", "label": "振込先"},
    )
    filled = submit(definition, {"s-phone": "12"})
    html = render_to_string(
        "procedures/form/section.html", {"section": filled.sections[0], "filled": filled}
    )
    assert '<label class="field__label" for="id_s-name">氏名' in html
    assert 'aria-describedby="field-s-name-help field-s-name-error"' in html
    assert 'id="field-s-name-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'autocomplete="name"' in html
    assert 'autocomplete="tel"' in html
    assert '<legend class="field__label">受け取り方法' in html
    assert '<legend class="field__label">預金の種類</legend>' in html
    summary = render_to_string("procedures/form/error_summary.html", {"filled": filled})
    assert 'href="#id_s-name"' in summary
    assert 'href="#id_s-phone"' in summary


def test_the_answers_template_shows_dates_in_the_era_and_labels_of_choices() -> None:
    definition = one_field(
        {"key": "birth", "type": "date", "label": "生年月日"},
        DELIVERY["sections"][0]["fields"][0],
        DELIVERY["sections"][0]["fields"][1],
        {"key": "note", "type": "text", "label": "備考"},
        {"key": "proof", "type": "file", "label": "書類"},
    )
    answers = {
        "s": {
            "birth": "1984-04-12",
            "delivery": "pickup",
            "proof": {"attachment_id": 5, "name": "a.pdf", "size": 2048, "sha256": "0" * 64},
        }
    }
    with translation.override("ja"):
        sections = engine.answer_sections(
            definition, answers, attachment_url=lambda pk: f"/files/{pk}/"
        )
        html = render_to_string("procedures/form/answers.html", {"answer_sections": sections})
    assert "昭和59年（1984年）4月12日" in html
    assert "窓口" in html
    assert "送付先" not in html  # hidden by its condition
    assert "未回答" in html  # the optional note
    assert '<a href="/files/5/">a.pdf（2 KB）</a>' in html


# --- properties over random forms ---------------------------------------------------------------

KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
WORDS = (
    st.text(alphabet="亘理町山田太郎花子abcXYZ019 ー・", min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)
KANA = st.lists(
    st.text(alphabet="アイウエオカキクケコサシャッンヴー", min_size=1, max_size=6),
    min_size=1,
    max_size=3,
).map(" ".join)
SIMPLE_TYPES = ["text", "textarea", "kana", "number", "date", "choice", "multi_choice", "address",
                "bank_account", "consent", "phone", "email"]  # fmt: skip


@st.composite
def field_definitions(draw: st.DrawFn, key: str, *, in_group: bool = False) -> dict[str, Any]:
    kind = draw(st.sampled_from(SIMPLE_TYPES + ([] if in_group else ["group"])))
    field: dict[str, Any] = {
        "key": key,
        "type": kind,
        "label": draw(WORDS),
        "required": draw(st.booleans()),
    }
    if kind == "number":
        low = draw(st.integers(-100, 100))
        field.update(min=low, max=low + draw(st.integers(0, 1000)))
    if kind == "date":
        field["era"] = draw(st.booleans())
    if kind in ("choice", "multi_choice"):
        values = draw(st.lists(KEYS, min_size=1, max_size=4, unique=True))
        field["options"] = [{"value": value, "label": value} for value in values]
    if kind == "group":
        keys = draw(st.lists(KEYS, min_size=1, max_size=3, unique=True))
        field["fields"] = [draw(field_definitions(child, in_group=True)) for child in keys]
        field["min"] = draw(st.integers(0, 2))
        field["max"] = field["min"] + draw(st.integers(1, 3))
        field["required"] = False
    return field


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    section_keys = draw(st.lists(KEYS, min_size=1, max_size=2, unique=True))
    sections = []
    for section_key in section_keys:
        keys = draw(st.lists(KEYS, min_size=1, max_size=4, unique=True))
        sections.append(
            {
                "key": section_key,
                "title": draw(WORDS),
                "fields": [draw(field_definitions(k)) for k in keys],
            }
        )
    return {"format": FORMAT, "sections": sections}


def values_for(draw: Callable[[Any], Any], field: dict[str, Any]) -> Any:
    kind = field["type"]
    digits = lambda n: st.text(alphabet=string.digits, min_size=n, max_size=n)  # noqa: E731
    if kind == "text":
        return draw(WORDS)
    if kind == "textarea":
        return draw(st.lists(WORDS, min_size=1, max_size=3).map("\n".join))
    if kind == "kana":
        return draw(KANA)
    if kind == "number":
        return draw(st.integers(field["min"], field["max"]))
    if kind == "date":
        return draw(st.dates(date(1900, 1, 1), date(2099, 12, 31))).isoformat()
    if kind == "choice":
        return draw(st.sampled_from([o["value"] for o in field["options"]]))
    if kind == "multi_choice":
        values = [o["value"] for o in field["options"]]
        chosen = draw(st.sets(st.sampled_from(values), min_size=1))
        return [value for value in values if value in chosen]
    if kind == "address":
        code = draw(digits(7))
        return {"postal_code": f"{code[:3]}-{code[3:]}", "address": draw(WORDS)}
    if kind == "bank_account":
        return {
            "bank_code": draw(digits(4)),
            "branch_code": draw(digits(3)),
            "account_type": draw(st.sampled_from(["futsu", "toza"])),
            "account_number": draw(digits(7)),
            "holder_kana": draw(KANA),
        }
    if kind == "consent":
        return True
    if kind == "phone":
        return "0" + draw(digits(draw(st.sampled_from([9, 10]))))
    if kind == "email":
        return draw(st.from_regex(r"[a-z][a-z0-9]{0,7}@[a-z]{1,8}\.jp", fullmatch=True))
    raise AssertionError(kind)


def answers_for(draw: Callable[[Any], Any], definition: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for section in definition["sections"]:
        values: dict[str, Any] = {}
        for field in section["fields"]:
            if field["type"] == "group":
                count = draw(st.integers(field["min"], field["max"]))
                rows = []
                for _ in range(count):
                    row = {
                        child["key"]: values_for(draw, child)
                        for child in field["fields"]
                        if child["required"] or draw(st.booleans())
                    }
                    if not row:
                        first = field["fields"][0]
                        row[first["key"]] = values_for(draw, first)
                    rows.append(row)
                if rows:
                    values[field["key"]] = rows
            elif field["required"] or draw(st.booleans()):
                values[field["key"]] = values_for(draw, field)
        answers[section["key"]] = values
    return answers


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_valid_answers_round_trip_through_the_form(data: st.DataObject) -> None:
    definition = data.draw(definitions())
    answers = answers_for(data.draw, definition)
    filled = build_form(definition, data=form_data(definition, answers))
    assert filled.is_valid(), filled.errors()
    assert filled.answers == answers
    assert json.loads(canonical_json(filled.answers)) == answers


BAD_INPUT = {
    "kana": "abc",
    "number": "数",
    "date": "2024-13-45",
    "phone": "12",
    "email": "nope@",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_an_invalid_input_gives_an_error_naming_the_field_and_no_answers(
    data: st.DataObject,
) -> None:
    definition = data.draw(definitions())
    kind = data.draw(st.sampled_from(list(BAD_INPUT)))
    label = data.draw(WORDS)
    answers = answers_for(data.draw, definition)
    definition["sections"][0]["fields"].append(
        {"key": "zz_bad_input", "type": kind, "label": label, "required": False}
    )
    post = form_data(definition, answers)
    post[f"{definition['sections'][0]['key']}-zz_bad_input"] = BAD_INPUT[kind]
    filled = build_form(definition, data=post)
    assert not filled.is_valid()
    [error] = filled.errors()
    assert error.path == f"{definition['sections'][0]['key']}.zz_bad_input"
    assert f"「{label}」" in error.message
    with pytest.raises(ValueError):
        filled.answers  # noqa: B018
