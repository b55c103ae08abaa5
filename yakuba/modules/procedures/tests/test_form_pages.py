"""What the resident's form and the counter's share (form_pages): a file refused while a row is
added is reported on the page shown again, online and at the counter alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from yakuba.modules.procedures import backoffice, services
from yakuba.modules.procedures.models import Procedure
from yakuba.modules.procedures.tests.resident_helpers import make_procedure, make_resident
from yakuba.platform.accounts.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_settings")]

CHILDREN_AND_PROOF: dict[str, Any] = {
    "format": "yakuba.procedures.form/1",
    "sections": [
        {
            "key": "family",
            "title": {"ja": "家族"},
            "fields": [
                {
                    "key": "children",
                    "type": "group",
                    "label": {"ja": "子ども"},
                    "min": 1,
                    "max": 3,
                    "fields": [{"key": "name", "type": "text", "label": {"ja": "氏名"}}],
                },
                {
                    "key": "proof",
                    "type": "file",
                    "label": {"ja": "本人確認書類"},
                    "accept": ["pdf"],
                    "max_mb": 1,
                },
            ],
        }
    ],
}

# 「もう1件追加」 under the first child's name.
ADD_ROW = {
    "family-children-TOTAL_FORMS": "1",
    "family-children-INITIAL_FORMS": "0",
    "family-children-0-name": "亘理 太郎",
    "family-children__add": "1",
}


@pytest.fixture
def procedure() -> Procedure:
    return make_procedure(definition=CHILDREN_AND_PROOF)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_a_row_with_a_bad_file(client: Client, url: str) -> str:
    """Post 「もう1件追加」 with a file that is not the PDF it claims to be; the page shown."""
    bad_file = ContentFile(b"not really a pdf", name="proof.pdf")
    response = client.post(url, {**ADD_ROW, "family-proof": bad_file})
    assert response.status_code == 400
    return response.content.decode()


def test_a_file_refused_while_adding_a_row_is_reported_online(procedure: Procedure) -> None:
    resident = make_resident()
    draft = services.start_draft(resident, procedure)
    url = reverse("procedures:form_section", args=[procedure.code, "family"])
    page = add_a_row_with_a_bad_file(signed_in(resident), url)
    assert "添付できなかったファイルがあります" in page
    assert 'name="family-children-TOTAL_FORMS" value="2"' in page
    assert not draft.attachments.exists()


def test_a_file_refused_while_adding_a_row_is_reported_at_the_counter(
    procedure: Procedure, clerk: User
) -> None:
    resident = make_resident()
    draft = backoffice.start_counter_draft(procedure, resident, by=clerk)
    url = reverse("procedures:staff_counter_section", args=[procedure.code, resident.pk, "family"])
    page = add_a_row_with_a_bad_file(signed_in(clerk), url)
    assert "添付できなかったファイルがあります" in page
    assert not draft.attachments.exists()
