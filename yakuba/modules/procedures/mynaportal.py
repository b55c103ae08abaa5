"""Applications filed on マイナポータル「ぴったりサービス」, taken into the town's back office
(申請データの取込), so that filings from both sources land in one queue as `Submission`s.

What the public documents say
-----------------------------
- 総務省「自治体の行政手続のオンライン化に係る申請管理システム等の構築に関する標準仕様書」
  (令和3年9月30日): applications filed on ぴったりサービス reach the town as 申請データ that the
  town downloads from マイナポータル (over LGWAN, through a 連携サーバ); the town's 申請管理システム
  takes them in (③-2 申請データの取り込み), stores them (③-3), finds the applicant by the signing
  certificate's シリアル番号 (③-4), and manages their status (③-5); §2.2 (連携する申請データの形式)
  describes the data. We could read the document's outline, not the text of §2.2.
- e-Gov's 手続情報データ仕様 (https://developer.e-gov.go.jp/contents/specification/shinsei-api/
  dataspec.html), the form XML (申請書XML) that government online filing uses: the root
  ``DataRoot`` holds ``様式ID`` (up to 18 half-width characters), ``様式バージョン`` (``0001``) and
  the form's items as elements, one tag structure per form; a date is written as the elements
  ``年号``/``年``/``月``/``日`` under the item.

Our reading (what this module accepts — check it against the real data before production)
------------------------------------------------------------------------------------------
- A package is a ZIP file, or one XML file for a single application without attachments. In a
  ZIP, every ``*.xml`` whose root is ``申請データ`` is one application; other XML files (signatures,
  stylesheets, lists) are read (a broken one is refused) and otherwise ignored; attached files sit
  in the same folder as their application's XML. File names that are not flagged UTF-8 are read
  as Shift_JIS (cp932), as Windows writes them. XML in Shift_JIS is accepted.
- An application's XML::

      <申請データ>
        <申請情報>
          <申請番号>…</申請番号>          (or <到達番号>: the number we keep and deduplicate on)
          <手続ID>…</手続ID>              (ぴったりサービス's procedure ID)
          <申請日時>2026-04-01T10:15:00+09:00</申請日時>   (optional; Asia/Tokyo when no offset)
          <申請者氏名>…</申請者氏名>      (optional)
        </申請情報>
        <DataRoot>                       (the 申請書, as e-Gov's; items addressed by path)
          <様式ID>…</様式ID><様式バージョン>0001</様式バージョン>
          <申請者><氏名>亘理 花子</氏名><生年月日><年号>昭和</年号><年>59</年><月>4</月><日>12</日></生年月日></申請者>
          <対象児童><氏名>…</氏名></対象児童><対象児童>…</対象児童>   (a repeated item)
        </DataRoot>
        <添付書類>
          <添付ファイル><項目名>本人確認書類</項目名><ファイル名>card.pdf</ファイル名></添付ファイル>
        </添付書類>
      </申請データ>

The mapping (対応表) is kept in the procedure's form definition, under ``"mynaportal"``, because the
items it maps are that version's fields (a new form version brings its own mapping)::

    "mynaportal": {
      "procedure_ids": ["<ぴったりサービスの手続ID>", …],
      "applicant_name": "申請者/氏名",        (optional: else 申請情報/申請者氏名)
      "subject_name": "対象者/氏名",          (optional: else the applicant's name)
      "items": {"申請者/氏名": "applicant.name",
                "申請者/郵便番号": "applicant.address.postal_code",   (a part of an address)
                "対象児童": {"to": "children.children", "items": {"氏名": "name"}}},   (a group)
      "attachments": {"本人確認書類": "request.proof"},
      "values": {"request.agree": true}       (answers ぴったりサービス's own flow already gave)
    }

An item path is the elements' names under ``DataRoot`` joined by ``/``. A choice accepts the
option's value or its Japanese label; a multi_choice takes repeated elements or a list separated
by 「、」. The answers are checked by the form engine exactly as a resident's online answers are;
an application that does not pass is refused with the engine's messages, so the mapping (or the
town's ぴったりサービス form) can be put right and the package imported again.

A package is taken in whole or not at all: any problem — broken XML, an unknown 手続ID, an
attachment that is missing or of the wrong kind, answers the form refuses — raises
`PackageError` naming the file and the application, and nothing is saved. An application whose
number was imported before is skipped (unique on source and external reference), so importing a
package twice creates nothing new. The applicant has no account here (`Submission.applicant` is
empty); finding them by シリアル番号 (③-4) needs the 住基 link and is not done.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeXML
from defusedxml import DefusedXmlException
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.modules.procedures import engine, fees, formdef, services
from yakuba.modules.procedures.models import (
    ApplicantKind,
    Attachment,
    Event,
    FormVersion,
    Procedure,
    Status,
    Submission,
)
from yakuba.platform.accounts.models import User

MAPPING_KEY = "mynaportal"
APPLICATION_ROOT = "申請データ"
INFO = "申請情報"
FORM_ROOT = "DataRoot"
ATTACHMENTS = "添付書類"
NUMBER_TAGS = ("申請番号", "到達番号")

# A package holds a day's or a week's filings with their scans; these bound what one upload may
# make the server unpack (a ZIP bomb is refused before anything is read).
MAX_PACKAGE_BYTES = 200 * 1024 * 1024
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_ENTRIES = 5000
MAX_NUMBER_LENGTH = 100

_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9_.-]+)["']""")
# What Windows writes as "Shift_JIS" is cp932 (with ①, － and the NEC/IBM extensions).
SHIFT_JIS_NAMES = ("shift-jis", "sjis", "x-sjis", "shift-jis-2004", "windows-31j", "cp932", "ms932")
_LIST_SEPARATOR = re.compile(r"[、,，]")
_TRUE_WORDS = {"1", "true", "はい", "有", "あり", "する", "同意する", "同意します", "○", "〇"}
_UTF8_NAMES = 0x800  # ZIP general-purpose flag 11: names are UTF-8


class PackageError(Exception):
    """A package that cannot be taken in; the message says where and why, in the staff's
    language. Nothing of the package was saved. `problems`: each problem found, one sentence
    each (every application that cannot be taken in is named, not only the first)."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class AttachedFile:
    """A file attached to an application (添付ファイル), with the form item it was given for."""

    item: str
    name: str
    content: bytes


@dataclass(frozen=True)
class Application:
    """One application read from a package (まだ取り込む前)."""

    file_name: str
    number: str
    procedure_id: str
    filed_at: datetime | None
    applicant_name: str
    form: Element
    files: tuple[AttachedFile, ...]


@dataclass
class ImportResult:
    """What an import did: the submissions it created, and the application numbers it skipped
    because they were imported before."""

    created: list[Submission] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Mapping:
    procedure: Procedure
    version: FormVersion
    definition: formdef.FormDefinition
    settings: dict[str, Any]


@dataclass
class _Prepared:
    application: Application
    mapping: _Mapping
    answers: dict[str, Any]
    files: list[tuple[str, AttachedFile, str]]  # (answer path, file, content type)
    applicant_name: str
    subject_name: str


# --- the use case ---------------------------------------------------------------------------------


def import_package(package: IO[bytes] | bytes, *, by: User | None) -> ImportResult:
    """Take in a package of applications from マイナポータル (申請データの取込): each becomes a
    Submission with source マイナポータル, its 申請番号 as external reference, its answers mapped to
    the procedure's form and frozen with their digest, its attachments, a receipt number and the
    受付 step in its history. Whole or nothing: `PackageError` and nothing saved (see the module
    docstring for what is refused); applications imported before are skipped."""
    content = package if isinstance(package, bytes) else _read_limited(package)
    applications = read_package(content)
    mappings = _mappings()
    result = ImportResult()
    seen: set[str] = set()
    prepared: list[_Prepared] = []
    imported = set(
        Submission.objects.filter(
            source=Submission.Source.MYNAPORTAL,
            external_reference__in=[a.number for a in applications],
        ).values_list("external_reference", flat=True)
    )
    problems: list[str] = []
    for application in applications:
        if application.number in imported or application.number in seen:
            result.already_imported.append(application.number)
            continue
        seen.add(application.number)
        try:
            prepared.append(_prepare(application, mappings))
        except PackageError as error:
            problems.extend(error.problems)
    if problems:
        raise PackageError(*problems)
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            for item in prepared:
                result.created.append(_file(item, by=by, stored=stored))
    except IntegrityError as error:
        _forget_files(stored)
        raise PackageError(
            _("同じ申請がいま別に取り込まれました。もう一度取り込んでください。")
        ) from error
    except BaseException:
        _forget_files(stored)
        raise
    return result


def _read_limited(package: IO[bytes]) -> bytes:
    content = package.read(MAX_PACKAGE_BYTES + 1)
    if len(content) > MAX_PACKAGE_BYTES:
        raise PackageError(
            _("ファイルが大きすぎます（%(mb)dMBまで）。") % {"mb": MAX_PACKAGE_BYTES // 2**20}
        )
    return content


def _forget_files(stored: list[Attachment]) -> None:
    """The rows rolled back; their files, written to storage meanwhile, go too."""
    for attachment in stored:
        attachment.file.delete(save=False)


# --- reading a package ----------------------------------------------------------------------------


def read_package(content: bytes) -> list[Application]:
    """The applications in a package (a ZIP, or one application's XML), in file-name order."""
    if content[:4] == b"PK\x03\x04":
        return _read_zip(content)
    root = _parse_xml(_("アップロードしたファイル"), content)
    if root.tag != APPLICATION_ROOT:
        raise PackageError(
            _(
                "申請データ（ルート要素が「%(root)s」のXML）か、それを入れたZIPファイルを選んでください。"
            )
            % {"root": APPLICATION_ROOT}
        )
    return [_application(_("アップロードしたファイル"), root, _no_files)]


def _no_files(name: str) -> bytes | None:
    return None


def _read_zip(content: bytes) -> list[Application]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as error:
        raise PackageError(_("ZIPファイルとして読めません。")) from error
    if len(entries) > MAX_ENTRIES:
        raise PackageError(_("ZIPファイルの中のファイルが多すぎます。"))
    if sum(info.file_size for info in entries) > MAX_UNPACKED_BYTES:
        raise PackageError(_("ZIPファイルの中身が大きすぎます。"))
    by_name = {_entry_name(info): info for info in entries}

    def read(name: str) -> bytes:
        try:
            return archive.read(by_name[name])
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise PackageError(
                _("ZIPファイルの中の「%(name)s」が壊れています。") % {"name": name}
            ) from error

    applications = []
    for name in sorted(by_name):
        if not name.lower().endswith(".xml") or name.startswith("__MACOSX/"):
            continue
        root = _parse_xml(name, read(name))
        if root.tag != APPLICATION_ROOT:
            continue
        folder = posixpath.dirname(name)

        def attached(file_name: str, folder: str = folder) -> bytes | None:
            path = posixpath.join(folder, file_name)
            return read(path) if path in by_name else None

        applications.append(_application(name, root, attached))
    if not applications:
        raise PackageError(
            _("ZIPファイルの中に申請データ（ルート要素が「%(root)s」のXML）がありません。")
            % {"root": APPLICATION_ROOT}
        )
    return applications


def _entry_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & _UTF8_NAMES:
        # Python read the name as cp437; Windows wrote it in Shift_JIS, some tools in UTF-8
        # without saying so.
        raw = name.encode("cp437", errors="replace")
        for encoding in ("utf-8", "cp932"):
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return name.replace("\\", "/")


def _parse_xml(name: str, content: bytes) -> Element:
    """Parse XML safely (no entities, no external resources), its namespaces dropped."""
    declared = _ENCODING.match(content)
    if declared and declared.group(1).decode().lower().replace("_", "-") not in (
        "utf-8",
        "utf8",
        "us-ascii",
    ):
        # Expat reads only UTF-8/16 and Latin-1; ぴったりサービス's neighbours write Shift_JIS.
        name_declared = declared.group(1).decode()
        codec = "cp932" if name_declared.lower().replace("_", "-") in SHIFT_JIS_NAMES else None
        try:
            text = content.decode(codec or name_declared)
        except (LookupError, UnicodeDecodeError) as error:
            raise PackageError(
                _("「%(name)s」の文字コードが読めません。") % {"name": name}
            ) from error
        content = text.replace(name_declared, "UTF-8", 1).encode("utf-8")
    try:
        root: Element = SafeXML.fromstring(content)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise PackageError(
            _("「%(name)s」はXMLとして読めません（%(error)s）。") % {"name": name, "error": error}
        ) from error
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = element.tag.rsplit("}", 1)[-1]
    return root


def _text(parent: Element, tag: str) -> str:
    found = parent.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _application(name: str, root: Element, attached: Callable[[str], bytes | None]) -> Application:
    info = root.find(INFO)
    form = root.find(FORM_ROOT)
    where = {"name": name}
    if info is None or form is None:
        raise PackageError(
            _("「%(name)s」に「申請情報」か「DataRoot」（申請書）がありません。") % where
        )
    number = next((text for tag in NUMBER_TAGS if (text := _text(info, tag))), "")
    if not number or len(number) > MAX_NUMBER_LENGTH:
        raise PackageError(_("「%(name)s」の申請番号（到達番号）がないか、長すぎます。") % where)
    procedure_id = _text(info, "手続ID")
    if not procedure_id:
        raise PackageError(_("「%(name)s」に手続IDがありません。") % where)
    files = []
    for item in root.findall(f"{ATTACHMENTS}/添付ファイル"):
        file_name = _text(item, "ファイル名")
        content = attached(file_name) if file_name else None
        if content is None:
            raise PackageError(
                _("「%(name)s」の添付ファイル「%(file)s」がパッケージにありません。")
                % {"name": name, "file": file_name}
            )
        files.append(AttachedFile(_text(item, "項目名"), posixpath.basename(file_name), content))
    return Application(
        file_name=name,
        number=number,
        procedure_id=procedure_id,
        filed_at=_filed_at(name, _text(info, "申請日時")),
        applicant_name=_text(info, "申請者氏名"),
        form=form,
        files=tuple(files),
    )


def _filed_at(name: str, text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError as error:
        raise PackageError(
            _("「%(name)s」の申請日時「%(text)s」が読めません。") % {"name": name, "text": text}
        ) from error
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


# --- the mapping (対応表) --------------------------------------------------------------------------


def _mappings() -> dict[str, _Mapping]:
    """Each ぴったりサービス 手続ID with the procedure and form version whose mapping names it: the
    latest published version of every procedure (a procedure not offered on our own site still
    receives what residents filed on マイナポータル)."""
    latest: dict[int, FormVersion] = {}
    versions = (
        FormVersion.objects.filter(published_at__isnull=False)
        .select_related("procedure__department")
        .order_by("procedure_id", "-number")
    )
    for version in versions:
        latest.setdefault(version.procedure_id, version)
    found: dict[str, _Mapping] = {}
    for version in latest.values():
        settings = version.definition.get(MAPPING_KEY)
        if not isinstance(settings, dict):
            continue
        definition = formdef.parse(version.definition)
        mapping = _Mapping(version.procedure, version, definition, settings)
        for procedure_id in settings.get("procedure_ids") or []:
            other = found.get(str(procedure_id))
            if other is not None:
                raise PackageError(
                    _("手続ID「%(id)s」が「%(a)s」と「%(b)s」の二つの手続きに対応しています。")
                    % {"id": procedure_id, "a": other.procedure, "b": version.procedure}
                )
            found[str(procedure_id)] = mapping
    return found


def _prepare(application: Application, mappings: dict[str, _Mapping]) -> _Prepared:
    """Map an application to its procedure's form and check its answers (no writes)."""
    where = {"name": application.file_name, "number": application.number}
    mapping = mappings.get(application.procedure_id)
    if mapping is None:
        raise PackageError(
            _(
                "「%(name)s」（申請番号 %(number)s）: 手続ID「%(id)s」に対応する手続きがありません。"
                "手続きの様式の「mynaportal」に手続IDを書いてください。"
            )
            % {**where, "id": application.procedure_id}
        )
    definition = mapping.definition
    answers: dict[str, Any] = {}
    try:
        for path, target in (mapping.settings.get("items") or {}).items():
            _map_item(definition, application.form, path, target, answers)
        for path, value in (mapping.settings.get("values") or {}).items():
            _put(answers, path, value)
        files = _map_files(definition, mapping.settings.get("attachments") or {}, application)
        for path, attached, _type in files:
            _put(answers, path, _file_value(attached))
        cleaned = services.validated_answers(definition, answers)
    except (ValidationError, _MappingProblem) as error:
        problems = error.messages if isinstance(error, ValidationError) else [str(error)]
        raise PackageError(
            _("「%(name)s」（申請番号 %(number)s）を取り込めません: %(problems)s")
            % {**where, "problems": " / ".join(problems)}
        ) from error
    applicant_name = (
        _item_text(application.form, mapping.settings.get("applicant_name"))
        or application.applicant_name
    )
    if not applicant_name:
        raise PackageError(
            _("「%(name)s」（申請番号 %(number)s）: 申請者の氏名がありません。") % where
        )
    subject_name = (
        _item_text(application.form, mapping.settings.get("subject_name")) or applicant_name
    )
    return _Prepared(application, mapping, cleaned, files, applicant_name, subject_name)


class _MappingProblem(Exception):
    """An item or attachment that the mapping or the form cannot take."""


def _field_at(definition: formdef.FormDefinition, path: str) -> formdef.Field:
    section_key, _dot, rest = path.partition(".")
    key = rest.split(".", 1)[0]
    try:
        return definition.section(section_key).field(key)
    except StopIteration:
        raise _MappingProblem(
            _("対応表の「%(path)s」は様式にない項目です。") % {"path": path}
        ) from None


def _map_item(
    definition: formdef.FormDefinition,
    form: Element,
    path: str,
    target: Any,
    answers: dict[str, Any],
) -> None:
    if isinstance(target, dict):
        group = _field_at(definition, str(target.get("to", "")))
        if group.type != "group":
            raise _MappingProblem(
                _("対応表の「%(path)s」の行き先は繰り返し項目にしてください。") % {"path": path}
            )
        rows = []
        for element in form.findall(path):
            row: dict[str, Any] = {}
            for child_path, child_key in (target.get("items") or {}).items():
                child = next((f for f in group.fields if f.key == child_key), None)
                if child is None:
                    raise _MappingProblem(
                        _("対応表の「%(path)s」は様式にない項目です。")
                        % {"path": f"{target['to']}.{child_key}"}
                    )
                value = _converted(child, element.findall(child_path), part=False)
                if value is not None:
                    row[child.key] = value
            if row:
                rows.append(row)
        if rows:
            _put(answers, str(target["to"]), rows)
        return
    item = _field_at(definition, str(target))
    value = _converted(item, form.findall(path), part=str(target).count(".") > 1)
    if value is not None:
        _put(answers, str(target), value)


def _converted(item: formdef.Field, elements: list[Element], *, part: bool) -> Any:
    """An item's value in the shape the form engine takes for the field (None: no answer)."""
    texts = [text for element in elements if (text := _element_text(element))]
    if not texts:
        return None
    text = texts[0]
    if part:
        return text
    if item.type == "choice":
        return _option_value(item, text)
    if item.type == "multi_choice":
        words = [w.strip() for t in texts for w in _LIST_SEPARATOR.split(t) if w.strip()]
        return [_option_value(item, word) for word in words]
    if item.type == "consent":
        return True if text.lower() in _TRUE_WORDS else None
    if item.type == "address":
        return {"address": text}
    if item.type == "date":
        day = engine.parse_date(text, era=True)
        return day.isoformat() if day else text
    return text


def _option_value(item: formdef.Field, text: str) -> str:
    for option in item.options:
        if text in (option.value, option.label.ja):
            return option.value
    return text


def _element_text(element: Element) -> str:
    """An item's text; an e-Gov date (年号・年・月・日 elements) as 「令和6年4月1日」/「2024年4月1日」."""
    day = _text(element, "日")
    if day:
        return f"{_text(element, '年号')}{_text(element, '年')}年{_text(element, '月')}月{day}日"
    return (element.text or "").strip()


def _item_text(form: Element, path: Any) -> str:
    if not isinstance(path, str) or not path:
        return ""
    found = form.find(path)
    return _element_text(found)[:100] if found is not None else ""


def _map_files(
    definition: formdef.FormDefinition, targets: dict[str, str], application: Application
) -> list[tuple[str, AttachedFile, str]]:
    files = []
    used: set[str] = set()
    for attached in application.files:
        path = targets.get(attached.item)
        item = services.file_field(definition, path) if path else None
        where = {"item": attached.item, "file": attached.name}
        if path is None or item is None:
            raise _MappingProblem(
                _("添付書類「%(item)s」（%(file)s）を入れる様式の項目が対応表にありません。")
                % where
            )
        if path in used:
            raise _MappingProblem(
                _("添付書類「%(item)s」のファイルが二つ以上あります（%(file)s）。") % where
            )
        used.add(path)
        kind = services.sniff_file_kind(attached.content[:16])
        accepted = [k for k in item.accepted_kinds if k in services.FILE_SIGNATURES]
        if kind is None or kind not in accepted:
            raise _MappingProblem(
                _("添付書類「%(item)s」（%(file)s）は %(kinds)s のファイルではありません。")
                % {**where, "kinds": "・".join(k.upper() for k in accepted)}
            )
        if len(attached.content) > item.max_bytes:
            raise _MappingProblem(
                _("添付書類「%(item)s」（%(file)s）が%(mb)dMBを超えています。")
                % {**where, "mb": item.max_bytes // 2**20}
            )
        files.append((path, attached, services.FILE_SIGNATURES[kind][1]))
    return files


def _file_value(attached: AttachedFile) -> dict[str, Any]:
    """A file field's answer before its attachment is stored (the engine's pending upload)."""
    return {
        "attachment_id": None,
        "name": attached.name,
        "size": len(attached.content),
        "sha256": hashlib.sha256(attached.content).hexdigest(),
    }


def _put(answers: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = answers
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


# --- filing ---------------------------------------------------------------------------------------


def _file(item: _Prepared, *, by: User | None, stored: list[Attachment]) -> Submission:
    """Save one checked application as a submission, as `services.submit` does for the web."""
    application, mapping = item.application, item.mapping
    now = timezone.now()
    filed_at = application.filed_at or now
    answers = item.answers
    attachments = []
    for path, attached, content_type in item.files:
        attachment = Attachment(
            uploaded_by=by,
            field_key=path,
            original_name=attached.name[-255:],
            content_type=content_type,
            size=len(attached.content),
            sha256=hashlib.sha256(attached.content).hexdigest(),
        )
        attachment.file.save(attachment.sha256, ContentFile(attached.content), save=False)
        stored.append(attachment)
        attachment.save()
        engine.set_attachment(answers, path, attachment.pk)
        attachments.append(attachment)
    fee = fees.fee_for(mapping.definition, answers) or 0
    submission = Submission.objects.create(
        receipt_number=services.next_receipt_number(timezone.localtime(now).year),
        procedure=mapping.procedure,
        form_version=mapping.version,
        applicant=None,
        applicant_kind=ApplicantKind.SELF,
        applicant_name=item.applicant_name[:100],
        subject_name=item.subject_name[:100],
        answers=answers,
        digest=engine.digest(answers),
        department=mapping.procedure.department,
        fee_amount=fee or None,
        source=Submission.Source.MYNAPORTAL,
        external_reference=application.number,
        submitted_at=filed_at,
        updated_at=now,
    )
    if fee > 0:
        services.request_fee(submission)
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).update(submission=submission)
    Event.objects.create(
        submission=submission,
        kind=Event.Kind.STATUS,
        status=Status.RECEIVED,
        text=_("マイナポータル（ぴったりサービス）から取り込みました（申請番号 %(number)s）。")
        % {"number": application.number},
        author=by,
        created_at=now,
    )
    from yakuba.modules.procedures.tasks import make_submission_pdf

    submission_id = submission.pk
    transaction.on_commit(lambda: make_submission_pdf.enqueue(submission_id))
    return submission


__all__ = ["Application", "ImportResult", "PackageError", "import_package", "read_package"]
