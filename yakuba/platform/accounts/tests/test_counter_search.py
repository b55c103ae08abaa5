"""Finding the resident at a counter (窓口), shared by the modules whose clerks act for residents:
who can be found (active residents with a profile; staff and closed accounts never), by what
(every word in the name, kana, e-mail or phone number, hyphens or not), how many are listed, and
the audit entry for each name shown."""

from __future__ import annotations

import pytest

from yakuba.platform.accounts import queries, services
from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.accounts.tests.factories import ResidentProfileFactory, StaffFactory
from yakuba.platform.audit.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident() -> ResidentProfile:
    return ResidentProfileFactory.create(
        family_name="亘理", given_name="花子", given_name_kana="はなこ", phone="0223-34-1111"
    )


def found(text: str, *, limit: int = 10) -> list[ResidentProfile]:
    return queries.counter_residents(text, limit=limit)


@pytest.mark.parametrize(
    "text",
    ["亘理", "わたり はなこ", "花子 亘理", "HANAKO", "0223341111", "0223-34-1111", "34-1111"],
)
def test_a_resident_is_found_by_every_word_of_name_kana_email_or_phone(
    resident: ResidentProfile, text: str
) -> None:
    User.objects.filter(pk=resident.user_id).update(email="hanako@example.jp")
    assert found(text) == [resident]


def test_every_word_must_match(resident: ResidentProfile) -> None:
    assert found("亘理 鈴木") == []
    assert found("わたり 0229999999") == []


def test_no_words_find_no_one(resident: ResidentProfile) -> None:
    assert found("") == []
    assert found("   ") == []


def test_staff_and_closed_accounts_are_never_found(resident: ResidentProfile) -> None:
    ResidentProfileFactory.create(user=StaffFactory.create())
    closed = ResidentProfileFactory.create()
    User.objects.filter(pk=closed.user_id).update(is_active=False)
    assert found("わたり") == [resident]


def test_the_search_lists_at_most_the_limit_and_audits_each_name_listed() -> None:
    ResidentProfileFactory.create_batch(services.COUNTER_RESULTS + 1)
    clerk = StaffFactory.create()
    search = services.find_residents_at_counter("わたり", by=clerk, reason="counter")
    assert len(search.residents) == services.COUNTER_RESULTS and search.has_more
    reads = AuditEntry.objects.filter(action=AuditAction.READ, actor_id=clerk.pk, reason="counter")
    assert set(reads.values_list("subject_user_id", flat=True)) == {
        profile.user_id for profile in search.residents
    }
    assert reads.count() == services.COUNTER_RESULTS


def test_a_search_that_finds_all_says_there_are_no_more(resident: ResidentProfile) -> None:
    search = services.find_residents_at_counter("はなこ", by=StaffFactory.create(), reason="x")
    assert search.residents == [resident] and not search.has_more


def test_the_resident_acted_for_must_be_an_active_resident_account(
    resident: ResidentProfile,
) -> None:
    assert queries.counter_resident(resident.user_id) == resident.user
    staff = StaffFactory.create()
    ResidentProfileFactory.create(user=staff)
    without_profile = ResidentProfileFactory.create().user
    without_profile.resident_profile.delete()
    closed = ResidentProfileFactory.create().user
    User.objects.filter(pk=closed.pk).update(is_active=False)
    for user_id in (staff.pk, without_profile.pk, closed.pk, 0):
        with pytest.raises(User.DoesNotExist):
            queries.counter_resident(user_id)
