"""Segment rules: each leaf, the combinators and validation (対象者の絞り込み)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from yakuba.platform.accounts.models import Relationship, ResidentProfile
from yakuba.platform.notify.rules import MAX_DEPTH, born_on_or_before, parse_rule
from yakuba.platform.notify.services import count_residents, residents_in
from yakuba.platform.notify.tests.factories import (
    DistrictFactory,
    HouseholdMemberFactory,
    ResidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def matches(profile: ResidentProfile, rule: dict[str, Any], on: date) -> bool:
    return residents_in(rule, on=on).filter(pk=profile.user_id).exists()


@pytest.mark.parametrize(
    ("birth_date", "on", "rule", "expected"),
    [
        # Turns 65 on the birthday itself, not the day before.
        (date(1961, 6, 10), date(2026, 6, 10), {"min": 65}, True),
        (date(1961, 6, 10), date(2026, 6, 9), {"min": 65}, False),
        # Still 64 up to and including the day before the 65th birthday.
        (date(1961, 6, 10), date(2026, 6, 9), {"max": 64}, True),
        (date(1961, 6, 10), date(2026, 6, 10), {"max": 64}, False),
        # A band is inclusive at both ends.
        (date(2006, 1, 1), date(2026, 1, 1), {"min": 18, "max": 20}, True),
        (date(2005, 1, 2), date(2026, 1, 1), {"min": 18, "max": 20}, True),
        (date(2005, 1, 1), date(2026, 1, 1), {"min": 18, "max": 20}, False),
        # Born on 29 February: in a common year the birthday counts as 1 March.
        (date(1960, 2, 29), date(2025, 2, 28), {"min": 65}, False),
        (date(1960, 2, 29), date(2025, 3, 1), {"min": 65}, True),
        # ... and in a leap year it is 29 February itself.
        (date(1964, 2, 29), date(2024, 2, 28), {"min": 60}, False),
        (date(1964, 2, 29), date(2024, 2, 29), {"min": 60}, True),
        # Sending on 29 February: someone born on 28 February of a common year has had the birthday.
        (date(1963, 2, 28), date(2028, 2, 29), {"min": 65}, True),
        (date(1963, 3, 1), date(2028, 2, 29), {"min": 65}, False),
        # Not yet born on the send date: no age, so no band matches.
        (date(2026, 7, 1), date(2026, 6, 1), {"max": 5}, False),
    ],
)
def test_age_is_counted_on_the_send_date(
    birth_date: date, on: date, rule: dict[str, Any], expected: bool
) -> None:
    profile = ResidentFactory.create(birth_date=birth_date)
    assert matches(profile, {"age": rule}, on) is expected


def test_a_resident_without_a_birth_date_matches_no_age_band() -> None:
    profile = ResidentFactory.create(birth_date=None)
    assert not matches(profile, {"age": {"min": 0}}, date(2026, 1, 1))
    assert matches(profile, {"not": {"age": {"min": 0}}}, date(2026, 1, 1))


def test_born_on_or_before_falls_back_to_28_february_in_a_common_year() -> None:
    assert born_on_or_before(date(2028, 2, 29), 1) == date(2027, 2, 28)
    assert born_on_or_before(date(2028, 2, 29), 4) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("relationship", "child_birth", "on", "band", "expected"),
    [
        (Relationship.CHILD, date(2021, 4, 1), date(2026, 4, 1), {"min": 0, "max": 5}, True),
        (Relationship.CHILD, date(2020, 4, 2), date(2026, 4, 1), {"min": 0, "max": 5}, True),
        # Turned 6 on the send date: out of a 0-5 band.
        (Relationship.CHILD, date(2020, 4, 1), date(2026, 4, 1), {"min": 0, "max": 5}, False),
        # Born on the send date: age 0.
        (Relationship.CHILD, date(2026, 4, 1), date(2026, 4, 1), {"min": 0, "max": 5}, True),
        # Not yet born.
        (Relationship.CHILD, date(2026, 4, 2), date(2026, 4, 1), {"min": 0, "max": 5}, False),
        (Relationship.GRANDCHILD, date(2023, 1, 1), date(2026, 4, 1), {"min": 0, "max": 5}, True),
        # A young sibling is not the household's child.
        (Relationship.SIBLING, date(2023, 1, 1), date(2026, 4, 1), {"min": 0, "max": 5}, False),
        (Relationship.CHILD, date(2019, 4, 2), date(2026, 4, 1), {"min": 6, "max": 12}, True),
        (Relationship.CHILD, date(2019, 4, 2), date(2026, 4, 1), {"min": 7}, False),
    ],
)
def test_household_child_age_looks_at_children_and_grandchildren(
    relationship: str, child_birth: date, on: date, band: dict[str, int], expected: bool
) -> None:
    member = HouseholdMemberFactory.create(relationship=relationship, birth_date=child_birth)
    assert matches(member.profile, {"household_child_age": band}, on) is expected


def test_an_elderly_resident_with_no_household_members_lives_alone() -> None:
    alone = ResidentFactory.create(birth_date=date(1950, 1, 1))
    assert matches(alone, {"elderly_living_alone": {"min_age": 65}}, date(2026, 1, 1))


def test_an_elderly_resident_living_with_a_spouse_is_not_alone() -> None:
    member = HouseholdMemberFactory.create(
        profile__birth_date=date(1950, 1, 1),
        relationship=Relationship.SPOUSE,
        birth_date=date(1952, 3, 3),
    )
    assert not matches(member.profile, {"elderly_living_alone": {"min_age": 65}}, date(2026, 1, 1))


def test_a_younger_resident_living_alone_is_not_elderly() -> None:
    young = ResidentFactory.create(birth_date=date(1962, 1, 2))
    assert not matches(young, {"elderly_living_alone": {"min_age": 65}}, date(2027, 1, 1))
    assert matches(young, {"elderly_living_alone": {"min_age": 65}}, date(2027, 1, 2))


def test_elderly_living_alone_defaults_to_65() -> None:
    alone = ResidentFactory.create(birth_date=date(1961, 1, 1))
    assert matches(alone, {"elderly_living_alone": {}}, date(2026, 1, 1))
    assert not matches(alone, {"elderly_living_alone": {}}, date(2025, 12, 31))


@pytest.mark.parametrize(
    ("topics", "wanted", "expected"),
    [
        (["disaster"], ["disaster"], True),
        (["events", "childcare"], ["childcare", "health_welfare"], True),
        (["events"], ["childcare", "disaster"], False),
        ([], ["disaster"], False),
    ],
)
def test_topic_matches_any_declared_topic(
    topics: list[str], wanted: list[str], expected: bool
) -> None:
    profile = ResidentFactory.create(topics=topics)
    assert matches(profile, {"topic": wanted}, date(2026, 1, 1)) is expected


@pytest.mark.parametrize(
    ("language", "wanted", "expected"),
    [("en", ["en", "vi"], True), ("ja", ["en", "vi"], False), ("ja-easy", ["ja-easy"], True)],
)
def test_language_matches_the_preferred_language(
    language: str, wanted: list[str], expected: bool
) -> None:
    profile = ResidentFactory.create(preferred_language=language)
    assert matches(profile, {"language": wanted}, date(2026, 1, 1)) is expected


def test_district_matches_residents_of_the_listed_districts_only() -> None:
    north, south, east = (
        DistrictFactory.create(code="north"),
        DistrictFactory.create(),
        DistrictFactory.create(),
    )
    in_north, in_south = (
        ResidentFactory.create(district=north),
        ResidentFactory.create(district=south),
    )
    nowhere = ResidentFactory.create(district=None)
    chosen = set(residents_in({"district": ["north", south.code]}, on=date(2026, 1, 1)))
    assert chosen == {in_north.user, in_south.user}
    assert nowhere.user not in set(residents_in({"district": [east.code]}, on=date(2026, 1, 1)))


def test_needs_evacuation_assistance_matches_the_staff_flag() -> None:
    flagged = ResidentFactory.create(needs_evacuation_assistance=True)
    other = ResidentFactory.create()
    on = date(2026, 1, 1)
    assert matches(flagged, {"needs_evacuation_assistance": True}, on)
    assert not matches(other, {"needs_evacuation_assistance": True}, on)
    assert matches(other, {"needs_evacuation_assistance": False}, on)


def test_all_any_and_not_combine_leaves() -> None:
    on = date(2026, 1, 1)
    old_english = ResidentFactory.create(birth_date=date(1940, 1, 1), preferred_language="en")
    old_japanese = ResidentFactory.create(birth_date=date(1940, 1, 1), preferred_language="ja")
    young_english = ResidentFactory.create(birth_date=date(2000, 1, 1), preferred_language="en")
    old = {"age": {"min": 65}}
    english = {"language": ["en"]}

    def chosen(rule: dict[str, Any]) -> set[ResidentProfile]:
        users = set(residents_in(rule, on=on))
        return {p for p in (old_english, old_japanese, young_english) if p.user in users}

    assert chosen({"all": [old, english]}) == {old_english}
    assert chosen({"any": [old, english]}) == {old_english, old_japanese, young_english}
    assert chosen({"all": [old, {"not": english}]}) == {old_japanese}
    assert chosen({"not": {"any": [old, english]}}) == set()
    assert chosen({"any": [{"all": [old, english]}, {"not": old}]}) == {old_english, young_english}


def test_inactive_users_and_users_without_a_profile_are_never_chosen() -> None:
    active = ResidentFactory.create()
    ResidentFactory.create(user__is_active=False)
    UserFactory.create()  # staff-only account, no resident profile
    assert list(residents_in({"age": {"min": 0}}, on=date(2026, 1, 1))) == [active.user]
    assert count_residents({"not": {"age": {"min": 100}}}, on=date(2026, 1, 1)) == 1


def nested(depth: int) -> dict[str, Any]:
    rule: dict[str, Any] = {"age": {"min": 1}}
    for _ in range(depth - 1):
        rule = {"not": rule}
    return rule


@pytest.mark.parametrize(
    ("rule", "code", "fragment"),
    [
        ({"colour": ["red"]}, "unknown_key", "不明な条件"),
        ({"age": {"min": 1}, "language": ["en"]}, "not_a_rule", "一つだけ"),
        ([], "not_a_rule", "一つだけ"),
        ({"all": []}, "empty_group", "一つ以上"),
        ({"any": "age"}, "empty_group", "一つ以上"),
        ({"age": {"min": 70, "max": 65}}, "min_above_max", "大きく"),
        ({"age": {"min": -1}}, "age_out_of_range", "0から"),
        ({"household_child_age": {"max": 151}}, "age_out_of_range", "0から"),
        ({"age": {"min": "65"}}, "bad_age", "整数"),
        ({"age": {"min": True}}, "bad_age", "整数"),
        ({"age": {}}, "empty_band", "少なくとも"),
        ({"age": {"from": 3}}, "bad_band", "min"),
        ({"elderly_living_alone": {"min_age": -5}}, "age_out_of_range", "0から"),
        ({"language": ["fr"]}, "unknown_code", "fr"),
        ({"topic": ["fishing"]}, "unknown_code", "fishing"),
        ({"topic": []}, "bad_codes", "一つ以上"),
        ({"district": "north"}, "bad_codes", "一つ以上"),
        ({"district": ["nowhere"]}, "unknown_district", "nowhere"),
        ({"needs_evacuation_assistance": "yes"}, "not_boolean", "true"),
        (nested(MAX_DEPTH + 1), "too_deep", "深すぎ"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(rule: Any, code: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_rule(rule)
    assert caught.value.code == code
    assert fragment in caught.value.messages[0]


def test_nesting_up_to_the_limit_is_accepted() -> None:
    parse_rule(nested(MAX_DEPTH))


def test_too_many_conditions_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_rule({"any": [{"age": {"min": n % 100}} for n in range(300)]})
    assert caught.value.code == "too_many"


def test_everyone_chooses_every_active_resident() -> None:
    from yakuba.platform.notify.services import count_residents

    ResidentFactory.create(birth_date=None)
    ResidentFactory.create()
    assert count_residents({"everyone": True}, on=date(2026, 4, 1)) == 2
    assert count_residents({"not": {"everyone": True}}, on=date(2026, 4, 1)) == 0


@pytest.mark.parametrize("value", [False, 1, "yes", None])
def test_everyone_takes_only_true(value: object) -> None:
    with pytest.raises(ValidationError):
        parse_rule({"everyone": value})
