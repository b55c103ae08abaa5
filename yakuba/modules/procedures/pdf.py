"""The PDF copy of a filed application (申請の控え), laid out like the town's paper form.

Rendered with WeasyPrint from `procedures/pdf/submission.html` and `procedures/pdf.css`. The text
is real text in an embedded Japanese font (IPAexGothic, or Noto Sans CJK JP), so the copy can be
searched, copied and read aloud; the PDF is tagged for screen readers. Rendering never touches the
network: the only resources it may load are this module's static files and data: URIs.
"""

from __future__ import annotations

import datetime
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import weasyprint
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import ImageFile
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from yakuba.core.eras import format_date
from yakuba.core.models import Municipality
from yakuba.modules.procedures.models import Submission

# Importing WeasyPrint tells Pillow, for the whole process, to accept truncated images. Our copies
# hold no images from outside; the rest of the platform (residents' photos) must keep refusing
# broken files, so Pillow's default is put back.
ImageFile.LOAD_TRUNCATED_IMAGES = False

STATIC_ROOT = Path(__file__).resolve().parent / "static"


class StaticOnlyFetcher(URLFetcher):
    """Loads this module's static files and data: URIs; refuses everything else, so that a
    template can never make the server fetch from the network (or read other local files)."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme == "file" and not parts.netloc:
            path = Path(unquote(parts.path)).resolve()
            if path.is_relative_to(STATIC_ROOT) and path.is_file():
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    url, body=path.read_bytes(), headers={"Content-Type": content_type}
                )
        raise FatalURLFetchingError(
            f"PDF rendering may only load the procedures module's static files: refused {url}"
        )


@dataclass(frozen=True)
class AnswerRow:
    """One line of the form: a label and the answer as printed, or a group's entries."""

    label: str
    text: str = ""
    entries: list[list[AnswerRow]] = field(default_factory=list)


@dataclass(frozen=True)
class SectionRows:
    title: str
    rows: list[AnswerRow]


def render_pdf(submission: Submission, *, language: str = "ja") -> bytes:
    """The copy of `submission` as filed, as PDF bytes (A4), in `language` (Japanese, the
    official copy, unless asked otherwise)."""
    with translation.override(language):
        html = render_to_string(
            "procedures/pdf/submission.html",
            {
                "submission": submission,
                "procedure": submission.procedure,
                "procedure_title": _localized(submission.procedure, "title", language),
                "form_number": submission.form_version.number,
                "department_name": _localized(submission.department, "name", language),
                "municipality_name": _municipality_name(language),
                "submitted_on": format_date(submission.submitted_at, language=language),
                "sections": _sections(
                    submission.form_version.definition, submission.answers, language
                ),
            },
        )
    document = weasyprint.HTML(
        string=html, base_url=STATIC_ROOT.as_uri() + "/", url_fetcher=StaticOnlyFetcher()
    )
    pdf: bytes = document.write_pdf(pdf_tags=True)
    return pdf


def _municipality_name(language: str) -> str:
    municipality = Municipality.current()
    if municipality is None:
        return ""
    if language == "en":
        return municipality.localized_name(language)
    return str(municipality)


def _localized(instance: Any, attribute: str, language: str) -> str:
    """`name_en` for English readers when there is one, else `name`."""
    translated = getattr(instance, f"{attribute}_{language}", "") if language != "ja" else ""
    return str(translated or getattr(instance, attribute))


def _text(labels: Any, language: str) -> str:
    """A definition's {"ja": …, "en": …} text in `language`, Japanese when not translated."""
    if isinstance(labels, dict):
        return str(labels.get(language) or labels.get("ja") or "")
    return str(labels or "")


def _sections(
    definition: dict[str, Any], answers: dict[str, Any], language: str
) -> list[SectionRows]:
    sections = []
    for section in definition.get("sections", []):
        section_answers = answers.get(section["key"]) or {}
        rows = _rows(section.get("fields", []), section_answers, language)
        if rows:
            sections.append(SectionRows(title=_text(section.get("title"), language), rows=rows))
    return sections


def _rows(fields: list[dict[str, Any]], answers: dict[str, Any], language: str) -> list[AnswerRow]:
    """The printed rows of the answered fields; a field hidden by show_if has no answer and no
    row."""
    rows = []
    for spec in fields:
        if spec["key"] not in answers:
            continue
        label = _text(spec.get("label"), language)
        value = answers[spec["key"]]
        if spec.get("type") == "group":
            entries = [_rows(spec.get("fields", []), item, language) for item in value or []]
            rows.append(AnswerRow(label=label, entries=entries))
        else:
            rows.append(AnswerRow(label=label, text=answer_text(spec, value, language)))
    return rows


def answer_text(spec: dict[str, Any], value: Any, language: str) -> str:
    """An answer as the paper form would show it (和暦 dates, option labels, …)."""
    if value is None or value == "" or value == []:
        return ""
    kind = spec.get("type")
    separator = "、" if language == "ja" else ", "
    if kind in ("choice", "multi_choice"):
        options = {o["value"]: _text(o.get("label"), language) for o in spec.get("options", [])}
        values = value if isinstance(value, list) else [value]
        return separator.join(options.get(v, str(v)) for v in values)
    if kind == "date":
        try:
            return format_date(datetime.date.fromisoformat(str(value)), language=language)
        except ValueError:
            return str(value)
    if kind == "consent":
        return _("同意する") if value else _("同意しない")
    if kind == "address" and isinstance(value, dict):
        postal_code = value.get("postal_code", "")
        address = str(value.get("address", ""))
        return f"〒{postal_code} {address}" if postal_code else address
    if kind == "bank_account" and isinstance(value, dict):
        account_types = {"futsu": _("普通"), "toza": _("当座")}
        return _(
            "金融機関コード %(bank)s　支店コード %(branch)s　%(type)s　口座番号 %(number)s　"
            "口座名義 %(holder)s"
        ) % {
            "bank": value.get("bank_code", ""),
            "branch": value.get("branch_code", ""),
            "type": account_types.get(value.get("account_type", ""), ""),
            "number": value.get("account_number", ""),
            "holder": value.get("holder_kana", ""),
        }
    if kind == "file":
        files = value if isinstance(value, list) else [value]
        return separator.join(
            str(f.get("name") or f.get("original_name") or "") if isinstance(f, dict) else str(f)
            for f in files
        )
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    return str(value)
