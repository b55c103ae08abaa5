"""性別 (sex): asked kindly and optionally, shown to the resident, in their data download."""

from __future__ import annotations

import json

import pytest
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from yakuba.platform.accounts.models import ResidentProfile, Sex
from yakuba.platform.accounts.tests.factories import HouseholdMemberFactory
from yakuba.platform.accounts.tests.test_views import profile_data

pytestmark = pytest.mark.django_db


def test_the_profile_form_asks_sex_optionally_with_not_answering_as_a_choice(
    resident_client: Client,
) -> None:
    html = resident_client.get(reverse("accounts:profile_edit")).content.decode()

    assert "<legend>性別</legend>" in html
    assert "町の統計（地域・年齢別人口）にだけ使います" in html
    for value, label in (("male", "男性"), ("female", "女性"), ("", "回答しない")):
        assert f'value="{value}"' in html and label in html
    # Not answering is what a new profile starts with.
    assert '<input type="radio" name="sex" value="" id="id_sex_2" checked>' in html


@pytest.mark.parametrize("sex", [Sex.FEMALE, ""])
def test_the_profile_saves_sex_or_no_answer(
    resident_client: Client, resident: ResidentProfile, sex: str
) -> None:
    resident.sex = Sex.MALE
    resident.save()

    response = resident_client.post(reverse("accounts:profile_edit"), profile_data(sex=sex))

    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.sex == sex


def test_a_sex_that_is_not_a_choice_is_refused_and_nothing_saved(
    resident_client: Client, resident: ResidentProfile
) -> None:
    response = resident_client.post(
        reverse("accounts:profile_edit"), profile_data(sex="other", given_name="一郎")
    )

    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()
    resident.refresh_from_db()
    assert resident.given_name != "一郎"


def test_a_household_member_can_be_added_with_a_sex_and_changed_to_no_answer(
    resident_client: Client, resident: ResidentProfile
) -> None:
    page = resident_client.get(reverse("accounts:household_add")).content.decode()
    assert "<legend>性別</legend>" in page
    member = {"name": "亘理 結衣", "relationship": "child", "birth_date": "2020-01-15"}

    resident_client.post(reverse("accounts:household_add"), {**member, "sex": "female"})
    added = resident.household_members.get()
    assert added.sex == Sex.FEMALE

    resident_client.post(reverse("accounts:household_edit", args=[added.pk]), {**member, "sex": ""})
    added.refresh_from_db()
    assert added.sex == ""


def test_my_page_shows_sex_and_no_answer(
    resident_client: Client, resident: ResidentProfile
) -> None:
    resident.sex = Sex.FEMALE
    resident.save()
    HouseholdMemberFactory.create(profile=resident, sex="")

    html = resident_client.get(reverse("accounts:my_page")).content.decode()

    assert "<dt>性別</dt><dd>女性</dd>" in html
    assert "<td>回答しない</td>" in html


def test_the_data_download_includes_sex(resident_client: Client, resident: ResidentProfile) -> None:
    resident.sex = Sex.MALE
    resident.save()
    HouseholdMemberFactory.create(profile=resident, sex=Sex.FEMALE)

    data = json.loads(resident_client.post(reverse("accounts:data_download")).content)

    assert data["profile"]["sex"] == "male"
    assert data["household"][0]["sex"] == "female"


def test_the_staff_record_does_not_show_sex() -> None:
    """Sex is asked for the town's statistics only, so the counter's record leaves it out."""
    source = get_template("accounts/staff/resident_detail.html").template.source  # type: ignore[attr-defined]
    assert "sex" not in source
