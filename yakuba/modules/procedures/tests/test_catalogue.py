"""The shipped catalogue of procedures: every file loads, the national list is complete, loading is
idempotent and a changed form becomes a new version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from yakuba.modules.procedures import formdef
from yakuba.modules.procedures.catalogue import CATALOGUE_DIR, CatalogueError, load_catalogue
from yakuba.modules.procedures.models import FormVersion, Procedure
from yakuba.platform.accounts.tests.factories import DepartmentFactory

# 自治体DX推進計画: the 26 procedures for online filing through マイナポータル.
CHILDCARE_15 = {
    "jido-teate-nintei": "児童手当の認定請求",
    "jido-teate-gaku-kaitei": "児童手当の額の改定の請求及び届出",
    "jido-teate-henko": "児童手当の氏名変更・住所変更等の届出",
    "jido-teate-shometsu": "児童手当の受給事由消滅の届出",
    "jido-teate-mishiharai": "未支払の児童手当の請求",
    "jido-teate-kifu": "児童手当に係る寄附の申出",
    "jido-teate-kifu-henko": "児童手当に係る寄附変更等の申出",
    "jido-teate-kyushokuhi": "受給資格者の申出による学校給食費等の徴収等の申出",
    "jido-teate-kyushokuhi-henko": "受給資格者の申出による学校給食費等の徴収等の変更等の申出",
    "jido-teate-genkyo": "児童手当の現況届",
    "hoiku-shikyu-nintei": "支給認定の申請（保育・教育の利用）",
    "hoiku-riyo-moshikomi": "保育施設等の利用申込",
    "hoiku-genkyo": "保育施設等の現況届",
    "jido-fuyo-teate-genkyo": "児童扶養手当の現況届の事前送信",
    "ninshin-todoke": "妊娠の届出",
}
CARE_11 = {
    "kaigo-nintei": "要介護・要支援認定の申請",
    "kaigo-koshin-nintei": "要介護・要支援更新認定の申請",
    "kaigo-kubun-henko": "要介護・要支援状態区分変更認定の申請",
    "kaigo-careplan-irai": "居宅（介護予防）サービス計画作成（変更）依頼の届出",
    "kaigo-futan-wariai-saikofu": "介護保険負担割合証の再交付申請",
    "kaigo-hihokenshasho-saikofu": "介護保険被保険者証の再交付申請",
    "kaigo-kogaku-service-hi": "高額介護（予防）サービス費の支給申請",
    "kaigo-futan-gendogaku": "介護保険負担限度額認定申請",
    "kaigo-fukushi-yogu": "居宅介護（介護予防）福祉用具購入費の支給申請",
    "kaigo-jutaku-kaishu": "居宅介護（介護予防）住宅改修費の支給申請",
    "kaigo-tennyu-nintei": "住所移転後の要介護・要支援認定申請",
}
OTHERS = {
    "risai-shomei": "り災証明書の交付申請",
    "juminhyo": "住民票の写し等の交付請求",
    "inkan-shomei": "印鑑登録証明書の交付申請",
    "shotoku-shomei": "所得（課税）証明書の交付申請",
}
CERTIFICATES = ("juminhyo", "inkan-shomei", "shotoku-shomei")

FILES = sorted(CATALOGUE_DIR.glob("*.json"))


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def departments() -> None:
    for path in FILES:
        DepartmentFactory.create(code=read(path)["procedure"]["department"])


@pytest.fixture
def catalogue_copy(tmp_path: Path, departments: None) -> Path:
    """A copy of the catalogue a test may change."""
    for path in FILES:
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_the_catalogue_has_the_26_national_procedures_rissai_and_the_certificates() -> None:
    titles = {path.stem: read(path)["procedure"]["title"] for path in FILES}
    assert len(CHILDCARE_15) == 15 and len(CARE_11) == 11
    assert titles == CHILDCARE_15 | CARE_11 | OTHERS


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_every_form_definition_parses_and_is_written_as_the_engine_writes_it(path: Path) -> None:
    form = read(path)["form"]
    definition = formdef.parse(form)
    # A form saved back unchanged from the form builder must not count as a new version.
    assert formdef.to_json(definition) == form
    assert definition.source is not None
    assert definition.source.basis in ("official", "best_reading")
    assert definition.source.references


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_every_label_has_japanese_and_english(path: Path) -> None:
    definition = formdef.parse(read(path)["form"])
    for section in definition.sections:
        assert section.title.ja and section.title.en, section.key
        for field in section.fields + tuple(c for f in section.fields for c in f.fields):
            assert field.label.ja and field.label.en, (section.key, field.key)
            assert all(o.label.ja and o.label.en for o in field.options), (section.key, field.key)


@pytest.mark.parametrize("code", CERTIFICATES)
def test_certificates_cost_300_yen_a_copy_and_ask_for_an_address_only_when_mailed(
    code: str,
) -> None:
    data = read(CATALOGUE_DIR / f"{code}.json")
    assert data["procedure"]["fee_kind"] == "computed"
    assert data["form"]["fee"] == {"rule": "per_item", "field": "copies", "unit_yen": 300}
    mail_address = formdef.parse(data["form"]).section("receive").field("mail_address")
    assert mail_address.show_if is not None and mail_address.show_if.values == ("mail",)


@pytest.mark.django_db
def test_all_files_load_with_a_published_first_version(departments: None) -> None:
    procedures = load_catalogue()
    assert {p.code for p in procedures} == {path.stem for path in FILES}
    assert Procedure.objects.filter(is_published=True).count() == len(FILES)
    for procedure in procedures:
        version = procedure.current_version()
        assert version is not None and version.number == 1
        assert version.definition == read(CATALOGUE_DIR / f"{procedure.code}.json")["form"]


@pytest.mark.django_db
def test_the_child_allowance_claim_is_prefilled_and_pays_into_a_bank_account(
    departments: None,
) -> None:
    load_catalogue()
    procedure = Procedure.objects.get(code="jido-teate-nintei")
    version = procedure.current_version()
    assert version is not None
    definition = formdef.parse(version.definition)
    assert definition.section("applicant").field("name").prefill == "profile.full_name"
    assert definition.section("children").field("children").prefill == "household.children"
    assert definition.section("payment").field("account").type == "bank_account"
    assert procedure.department.code == "kodomo"


@pytest.mark.django_db
def test_loading_twice_changes_nothing(departments: None) -> None:
    load_catalogue()
    before = list(Procedure.objects.values_list("code", "updated_at").order_by("code"))
    load_catalogue()
    assert list(Procedure.objects.values_list("code", "updated_at").order_by("code")) == before
    assert FormVersion.objects.count() == len(FILES)


@pytest.mark.django_db
def test_a_changed_form_publishes_version_2_and_keeps_version_1(catalogue_copy: Path) -> None:
    load_catalogue(directory=catalogue_copy)
    path = catalogue_copy / "juminhyo.json"
    data = read(path)
    original = data["form"]
    changed = json.loads(json.dumps(original))
    changed["sections"][0]["title"]["ja"] = "請求する人（本人）"
    data["form"] = changed
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    load_catalogue(directory=catalogue_copy)

    procedure = Procedure.objects.get(code="juminhyo")
    versions = {v.number: v for v in procedure.versions.all()}
    assert set(versions) == {1, 2}
    assert versions[1].definition == original
    assert versions[2].definition == changed
    assert procedure.current_version() == versions[2]
    assert FormVersion.objects.count() == len(FILES) + 1


@pytest.mark.django_db
def test_changed_settings_are_taken_without_a_new_version(catalogue_copy: Path) -> None:
    load_catalogue(directory=catalogue_copy)
    path = catalogue_copy / "juminhyo.json"
    data = read(path)
    data["procedure"]["target_days"] = 5
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    load_catalogue(directory=catalogue_copy)

    assert Procedure.objects.get(code="juminhyo").target_days == 5
    assert FormVersion.objects.count() == len(FILES)


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda d: d["form"]["sections"][0].update(key="Bad Key"), id="form"),
        pytest.param(lambda d: d["procedure"].update(category="space"), id="category"),
        pytest.param(lambda d: d["procedure"].update(statuses=["completed"]), id="statuses"),
        pytest.param(lambda d: d["procedure"].pop("title"), id="missing-key"),
        pytest.param(lambda d: d["procedure"].update(title="あ" * 201), id="too-long"),
    ],
)
@pytest.mark.django_db
def test_a_broken_file_names_itself_and_nothing_is_saved(
    catalogue_copy: Path, breakage: Any
) -> None:
    path = catalogue_copy / "risai-shomei.json"
    data = read(path)
    breakage(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(CatalogueError, match=r"^risai-shomei\.json: "):
        load_catalogue(directory=catalogue_copy)

    assert not Procedure.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_json_names_itself(catalogue_copy: Path) -> None:
    (catalogue_copy / "juminhyo.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"^juminhyo\.json: "):
        load_catalogue(directory=catalogue_copy)


@pytest.mark.django_db
def test_a_missing_department_is_named(tmp_path: Path) -> None:
    shutil.copy(CATALOGUE_DIR / "juminhyo.json", tmp_path)
    with pytest.raises(CatalogueError, match=r"^juminhyo\.json: .*chomin"):
        load_catalogue(directory=tmp_path)


@pytest.mark.django_db
def test_the_management_command_loads_the_catalogue(departments: None) -> None:
    call_command("procedures_load_catalogue", verbosity=0)
    call_command("procedures_load_catalogue", verbosity=0)
    assert Procedure.objects.count() == len(FILES)
    assert FormVersion.objects.count() == len(FILES)
