"""The documents to attach in English (required_documents_en): on the procedure's page for
English readers (Japanese when not translated), in the API, in the catalogue's files and in
files shared by other towns."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from yakuba.modules.procedures import builder
from yakuba.modules.procedures.catalogue import CATALOGUE_DIR, load_catalogue
from yakuba.modules.procedures.models import Procedure
from yakuba.modules.procedures.tests.resident_helpers import make_procedure
from yakuba.platform.accounts.models import StaffMember, User
from yakuba.platform.accounts.tests.factories import DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db

JAPANESE = "本人確認書類\n委任状（代理人の場合）"
ENGLISH = (
    "Proof of identity (My Number card, driving licence or similar)\n"
    "Letter of authorisation (for an agent)"
)
FILES = sorted(CATALOGUE_DIR.glob("*.json"))
JAPANESE_TEXT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def documents_on_page(client: Client, language: str) -> str:
    response = client.get(
        reverse("procedures:procedure", args=["juminhyo"]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    return response.content.decode()


def test_english_readers_see_the_documents_in_english(client: Client) -> None:
    make_procedure(required_documents=JAPANESE, required_documents_en=ENGLISH)
    page = documents_on_page(client, "en")
    assert "<li>Proof of identity (My Number card, driving licence or similar)</li>" in page
    assert "<li>Letter of authorisation (for an agent)</li>" in page
    assert "委任状" not in page


def test_japanese_readers_see_the_documents_in_japanese(client: Client) -> None:
    make_procedure(required_documents=JAPANESE, required_documents_en=ENGLISH)
    page = documents_on_page(client, "ja")
    assert "<li>本人確認書類</li>" in page and "<li>委任状（代理人の場合）</li>" in page
    assert "Letter of authorisation" not in page


def test_english_readers_see_the_japanese_list_when_it_is_not_translated(client: Client) -> None:
    make_procedure(required_documents=JAPANESE)
    page = documents_on_page(client, "en")
    assert "<li>本人確認書類</li>" in page and "<li>委任状（代理人の場合）</li>" in page


def test_the_api_gives_the_documents_in_both_languages(client: Client) -> None:
    make_procedure(required_documents=JAPANESE, required_documents_en=ENGLISH)
    body = client.get("/api/procedures/juminhyo").json()
    assert body["required_documents"] == JAPANESE
    assert body["required_documents_en"] == ENGLISH
    openapi = client.get("/api/openapi.json").json()
    schema = openapi["components"]["schemas"]["ProcedureDetailOut"]
    assert "required_documents_en" in schema["required"]


# --- the catalogue and shared files --------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_every_catalogue_file_lists_its_documents_in_english_line_for_line(path: Path) -> None:
    settings = json.loads(path.read_text(encoding="utf-8"))["procedure"]
    japanese = settings["required_documents"].splitlines()
    english = settings["required_documents_en"].splitlines()
    assert len(english) == len(japanese)
    for line in english:
        # English, with at most the document's Japanese name in brackets (to ask for it by).
        assert not JAPANESE_TEXT.search(re.sub(r"\([^)]*\)", "", line)), line


def test_the_catalogue_loads_the_english_documents(tmp_path: Path) -> None:
    shutil.copy(CATALOGUE_DIR / "juminhyo.json", tmp_path)
    DepartmentFactory.create(code="chomin")
    load_catalogue(directory=tmp_path)
    procedure = Procedure.objects.get(code="juminhyo")
    assert procedure.required_documents_en.startswith("If an agent makes the request")


def shared_file(**settings: Any) -> bytes:
    data = json.loads((CATALOGUE_DIR / "juminhyo.json").read_text(encoding="utf-8"))
    data["procedure"].update(code="juminhyo-shared", department={"code": "x", "name": "x"})
    data["procedure"].update(settings)
    data["procedure"] = {k: v for k, v in data["procedure"].items() if v is not None}
    data.update(format=builder.SHARE_FORMAT, exported_from={}, exported_at="")
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.fixture
def clerk() -> User:
    user: User = StaffFactory.create(permissions=["procedures.change_procedure"])
    StaffMember.objects.filter(user=user).update(department=DepartmentFactory.create(code="soumu"))
    return User.objects.get(pk=user.pk)


def test_a_shared_file_brings_its_english_documents(clerk: User) -> None:
    imported = builder.import_definition(shared_file(required_documents_en=ENGLISH), by=clerk)
    assert imported.required_documents_en == ENGLISH


def test_a_file_shared_before_the_english_documents_existed_still_imports(clerk: User) -> None:
    imported = builder.import_definition(shared_file(required_documents_en=None), by=clerk)
    assert imported.required_documents == "代理人が請求する場合：委任状"
    assert imported.required_documents_en == ""
