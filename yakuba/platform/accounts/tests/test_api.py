"""The accounts API: the resident's own record, and the audited staff lookup."""

import pytest
from django.test import Client

from yakuba.platform.accounts.tests.conftest import signed_in
from yakuba.platform.accounts.tests.factories import (
    HouseholdMemberFactory,
    ResidentProfileFactory,
    StaffFactory,
)
from yakuba.platform.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_me_needs_a_sign_in(client: Client) -> None:
    assert client.get("/api/accounts/me").status_code == 401


def test_me_returns_the_residents_own_profile_and_household(
    resident_client: Client, resident
) -> None:
    HouseholdMemberFactory.create(profile=resident, name="亘理 結衣", relationship="child")

    response = resident_client.get("/api/accounts/me")

    assert response.status_code == 200
    data = response.json()
    assert data["email"] == resident.user.email
    assert data["given_name"] == resident.given_name
    assert data["household"] == [
        {
            "id": resident.household_members.get().pk,
            "name": "亘理 結衣",
            "name_kana": "わたり たろう",
            "relationship": "child",
            "birth_date": "1978-09-03",
        }
    ]


def test_resident_cannot_read_another_resident_through_the_staff_endpoint(
    resident_client: Client,
) -> None:
    other = ResidentProfileFactory.create()

    response = resident_client.get(f"/api/accounts/residents/{other.pk}")

    assert response.status_code == 403
    assert other.given_name not in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_staff_without_the_permission_gets_403_from_the_api() -> None:
    other = ResidentProfileFactory.create()
    client = signed_in(StaffFactory.create())

    assert client.get(f"/api/accounts/residents/{other.pk}").status_code == 403
    assert not AuditEntry.objects.exists()


def test_staff_with_the_permission_reads_a_resident_and_the_read_is_audited() -> None:
    staff = StaffFactory.create(permissions=["accounts.view_residentprofile"])
    other = ResidentProfileFactory.create()
    HouseholdMemberFactory.create(profile=other)

    response = signed_in(staff).get(f"/api/accounts/residents/{other.pk}")

    assert response.status_code == 200
    assert response.json()["family_name_kana"] == "わたり"
    assert len(response.json()["household"]) == 1
    entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.subject_user_id) == (staff.pk, other.user_id)


def test_staff_endpoint_returns_404_for_an_unknown_resident() -> None:
    client = signed_in(StaffFactory.create(permissions=["accounts.view_residentprofile"]))

    assert client.get("/api/accounts/residents/999999").status_code == 404


def test_staff_endpoint_needs_a_second_factor_when_the_town_requires_it(settings) -> None:
    settings.STAFF_REQUIRE_MFA = True
    other = ResidentProfileFactory.create()
    client = signed_in(StaffFactory.create(permissions=["accounts.view_residentprofile"]))

    assert client.get(f"/api/accounts/residents/{other.pk}").status_code == 403


def test_openapi_schema_describes_both_endpoints_with_their_responses(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()

    me = schema["paths"]["/api/accounts/me"]["get"]
    resident = schema["paths"]["/api/accounts/residents/{profile_id}"]["get"]
    assert me["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ProfileOut"
    )
    assert {"200", "401"} <= set(me["responses"])
    assert {"200", "401", "403", "404"} <= set(resident["responses"])
    assert "household" in schema["components"]["schemas"]["ProfileOut"]["properties"]
