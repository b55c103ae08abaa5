"""Property: for any rule tree, the database query chooses exactly the residents that a plain
Python reading of the grammar (the reference below, which lives only here) chooses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yakuba.platform.accounts.models import HouseholdMember, Relationship, ResidentProfile, User
from yakuba.platform.notify.services import residents_in
from yakuba.platform.places.models import District

DISTRICTS = ["d1", "d2", "d3"]
LANGUAGES = ["ja", "en", "vi"]
TOPICS = ["disaster", "childcare", "events"]
# Send dates around the awkward days: 28/29 February and 1 March, in leap and common years.
SEND_DATES = [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2025, 2, 28)]
SEND_DATES += [date(2025, 3, 1), date(2026, 6, 15)]


def reference_age(born: date | None, on: date) -> int | None:
    """Age on `on`, birthday counted on the day, 29 February as 1 March in a common year."""
    if born is None or born > on:
        return None
    month, day = born.month, born.day
    if (month, day) == (2, 29) and not _is_leap(on.year):
        month, day = 3, 1
    return on.year - born.year - (0 if (on.month, on.day) >= (month, day) else 1)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def in_band(age: int | None, band: dict[str, Any]) -> bool:
    if age is None:
        return False
    low, high = band.get("min"), band.get("max")
    return (low is None or age >= low) and (high is None or age <= high)


@dataclass
class Person:
    birth_date: date | None
    district: str | None
    language: str
    topics: list[str]
    flagged: bool
    household: list[tuple[str, date]] = field(default_factory=list)


def reference(rule: dict[str, Any], person: Person, on: date) -> bool:
    ((key, value),) = rule.items()
    if key == "all":
        return all(reference(r, person, on) for r in value)
    if key == "any":
        return any(reference(r, person, on) for r in value)
    if key == "not":
        return not reference(value, person, on)
    if key == "district":
        return person.district in value
    if key == "age":
        return in_band(reference_age(person.birth_date, on), value)
    if key == "household_child_age":
        return any(
            relationship in ("child", "grandchild") and in_band(reference_age(born, on), value)
            for relationship, born in person.household
        )
    if key == "elderly_living_alone":
        age = reference_age(person.birth_date, on)
        return age is not None and age >= value.get("min_age", 65) and not person.household
    if key == "language":
        return person.language in value
    if key == "topic":
        return bool(set(person.topics) & set(value))
    if key == "needs_evacuation_assistance":
        return person.flagged is value
    raise AssertionError(key)


def near(on_dates: list[date], max_years: int) -> st.SearchStrategy[date]:
    """Birth dates a whole number of years (give or take a day) before a send date, or 29 Feb."""
    around = st.builds(
        lambda on, years, shift: _years_before(on, years) + timedelta(days=shift),
        st.sampled_from(on_dates),
        st.integers(0, max_years),
        st.integers(-1, 1),
    )
    return st.one_of(around, st.sampled_from([date(1956, 2, 29), date(2020, 2, 29)]))


def _years_before(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return date(on.year - years, 2, 28)


people = st.builds(
    Person,
    birth_date=st.one_of(st.none(), near(SEND_DATES, 90)),
    district=st.sampled_from([None, *DISTRICTS]),
    language=st.sampled_from(LANGUAGES),
    topics=st.lists(st.sampled_from(TOPICS), unique=True, max_size=3),
    flagged=st.booleans(),
    household=st.lists(
        st.tuples(st.sampled_from(Relationship.values), near(SEND_DATES, 12)), max_size=3
    ),
)

ages = st.integers(0, 90)
bands = st.one_of(
    st.fixed_dictionaries({"min": ages}),
    st.fixed_dictionaries({"max": ages}),
    st.tuples(ages, ages).map(lambda pair: {"min": min(pair), "max": max(pair)}),
)
child_bands = st.tuples(st.integers(0, 12), st.integers(0, 12)).map(
    lambda pair: {"min": min(pair), "max": max(pair)}
)
leaves = st.one_of(
    st.lists(st.sampled_from(DISTRICTS), min_size=1, unique=True).map(lambda v: {"district": v}),
    bands.map(lambda v: {"age": v}),
    child_bands.map(lambda v: {"household_child_age": v}),
    st.integers(0, 90).map(lambda v: {"elderly_living_alone": {"min_age": v}}),
    st.lists(st.sampled_from(LANGUAGES), min_size=1, unique=True).map(lambda v: {"language": v}),
    st.lists(st.sampled_from(TOPICS), min_size=1, unique=True).map(lambda v: {"topic": v}),
    st.booleans().map(lambda v: {"needs_evacuation_assistance": v}),
)
rules = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda v: {"all": v}),
        st.lists(children, min_size=1, max_size=3).map(lambda v: {"any": v}),
        children.map(lambda v: {"not": v}),
    ),
    max_leaves=6,
)


class Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    population=st.lists(people, min_size=1, max_size=8), rule=rules, on=st.sampled_from(SEND_DATES)
)
def test_the_query_agrees_with_the_reference_evaluation(
    population: list[Person], rule: dict[str, Any], on: date
) -> None:
    # Each example builds its own population inside a savepoint and rolls it back afterwards.
    try:
        with transaction.atomic():
            districts = {code: District.objects.create(code=code, name=code) for code in DISTRICTS}
            expected: set[int] = set()
            for number, person in enumerate(population):
                user = User.objects.create(email=f"p{number}@example.jp", password="!")
                profile = ResidentProfile.objects.create(
                    user=user,
                    birth_date=person.birth_date,
                    district=districts.get(person.district or ""),
                    preferred_language=person.language,
                    topics=person.topics,
                    needs_evacuation_assistance=person.flagged,
                )
                HouseholdMember.objects.bulk_create(
                    HouseholdMember(profile=profile, name="世帯員", relationship=r, birth_date=b)
                    for r, b in person.household
                )
                if reference(rule, person, on):
                    expected.add(user.pk)
            assert set(residents_in(rule, on=on).values_list("pk", flat=True)) == expected
            raise Rollback
    except Rollback:
        pass
