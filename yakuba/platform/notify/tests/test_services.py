"""Segment services: saving segments and counting residents in one query."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.notify.models import Segment
from yakuba.platform.notify.rules import parse_rule
from yakuba.platform.notify.services import (
    count_residents,
    create_segment,
    residents_in,
    update_segment,
)
from yakuba.platform.notify.tests.factories import (
    DistrictFactory,
    HouseholdMemberFactory,
    ResidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ON = date(2026, 9, 1)
BIG_RULE = {
    "all": [
        {"district": ["north", "south"]},
        {"any": [{"elderly_living_alone": {"min_age": 65}}, {"household_child_age": {"max": 5}}]},
        {"not": {"language": ["en"]}},
        {"topic": ["disaster", "childcare"]},
        {"needs_evacuation_assistance": False},
    ]
}


@pytest.fixture
def town() -> None:
    north, south = DistrictFactory.create(code="north"), DistrictFactory.create(code="south")
    ResidentFactory.create(district=north, birth_date=date(1950, 1, 1), topics=["disaster"])
    HouseholdMemberFactory.create(
        profile__district=south, profile__topics=["childcare"], birth_date=date(2023, 1, 1)
    )
    ResidentFactory.create(district=north, birth_date=date(1950, 1, 1), preferred_language="en")


def test_create_segment_saves_the_rule_and_records_who_made_it(town: None) -> None:
    staff = UserFactory.create()
    segment = create_segment(by=staff, name="防災・子育て", rule=BIG_RULE, description="例")
    assert Segment.objects.get().rule == BIG_RULE
    assert segment.created_by == staff
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, actor_id=staff.pk).exists()
    assert count_residents(segment, on=ON) == 2


def test_create_segment_refuses_a_bad_rule_and_saves_nothing() -> None:
    with pytest.raises(ValidationError) as caught:
        create_segment(by=UserFactory.create(), name="誤り", rule={"age": {"min": 9, "max": 1}})
    assert "rule" in caught.value.message_dict
    assert not Segment.objects.exists()


def test_create_segment_requires_a_name() -> None:
    with pytest.raises(ValidationError) as caught:
        create_segment(by=UserFactory.create(), name="", rule={"age": {"min": 65}})
    assert "name" in caught.value.message_dict


def test_update_segment_changes_the_rule(town: None) -> None:
    staff = UserFactory.create()
    segment = create_segment(by=staff, name="高齢者", rule={"age": {"min": 65}})
    update_segment(segment, by=staff, rule={"all": [{"age": {"min": 65}}, {"language": ["en"]}]})
    segment.refresh_from_db()
    assert segment.name == "高齢者"
    assert count_residents(segment, on=ON) == 1


def test_update_segment_with_a_bad_rule_keeps_the_old_one() -> None:
    staff = UserFactory.create()
    segment = create_segment(by=staff, name="高齢者", rule={"age": {"min": 65}})
    with pytest.raises(ValidationError):
        update_segment(segment, by=staff, name="新しい名前", rule={"district": ["nowhere"]})
    segment.refresh_from_db()
    assert segment.rule == {"age": {"min": 65}}
    assert segment.name == "高齢者"


def test_saving_a_segment_directly_still_checks_the_rule() -> None:
    with pytest.raises(ValidationError):
        Segment(name="直接", rule={"unknown": 1}).save()


def test_counting_a_saved_segment_is_a_single_query(town: None) -> None:
    segment = create_segment(by=None, name="複合", rule=BIG_RULE)
    segment = Segment.objects.get(pk=segment.pk)
    with CaptureQueriesContext(connection) as queries:
        count = count_residents(segment, on=ON)
    assert count == 2
    assert len(queries) == 1


def test_counting_a_parsed_rule_is_a_single_query(town: None) -> None:
    rule = parse_rule(BIG_RULE)
    with CaptureQueriesContext(connection) as queries:
        assert count_residents(rule, on=ON) == 2
        assert len(list(residents_in(rule, on=ON))) == 2
    assert len(queries) == 2
