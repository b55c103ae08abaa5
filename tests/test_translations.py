"""Japanese is the source language; the English translation must be complete."""

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "yakuba"
PO_FILES = sorted(PACKAGE.rglob("locale/en/LC_MESSAGES/django.po"))
ENTRY = re.compile(
    r'^msgid "(?P<first>.*)"\n(?P<rest>(?:".*"\n)*)'
    r'msgstr "(?P<str>.*)"\n(?P<strrest>(?:".*"\n)*)',
    re.M,
)
EMPTY_PLURAL = re.compile(
    r'^msgid_plural "(.*)"\n(?:msgstr\[\d\] ".*"\n)*msgstr\[\d\] ""\n(?!")', re.M
)


def untranslated(po_text: str) -> list[str]:
    missing = []
    for match in ENTRY.finditer(po_text):
        msgid = match["first"] + "".join(line[1:-1] for line in match["rest"].splitlines())
        msgstr = match["str"] + "".join(line[1:-1] for line in match["strrest"].splitlines())
        if msgid and not msgstr:
            missing.append(msgid)
    # Plural entries: an empty msgstr[n] with no continuation lines.
    missing += EMPTY_PLURAL.findall(po_text)
    return missing


def test_every_app_with_strings_has_an_english_catalogue() -> None:
    assert PO_FILES, "no English catalogues found"


@pytest.mark.parametrize("po_file", PO_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_english_catalogue_is_complete(po_file: Path) -> None:
    text = po_file.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text.split("\n\n", 1)[1], "fuzzy entries are not used by gettext"
    assert untranslated(text) == []
