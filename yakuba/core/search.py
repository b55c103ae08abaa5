"""Searching short lists by words, as residents type them in Japanese.

For catalogues of tens or hundreds of rows (procedures, facilities) the words are matched in
Python, where kana folding is exact; large tables keep a folded column and match in SQL."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

import jaconv

Row = TypeVar("Row")


def fold(text: str) -> str:
    """Text as a search compares it: NFKC (全角/半角), katakana as hiragana, lower case, no
    spaces — so 「コウミンカン」「こうみんかん」「ｺｳﾐﾝｶﾝ」 are the same word."""
    folded = jaconv.kata2hira(unicodedata.normalize("NFKC", text)).lower()
    return "".join(folded.split())


def matching(q: str, rows: Iterable[Row], text_of: Callable[[Row], str]) -> list[Row]:
    """The rows whose text (`text_of`) holds every word of `q`, folded; all rows when `q` has
    no words."""
    words = [word for word in (fold(part) for part in q.split()) if word]
    return [row for row in rows if all(word in fold(text_of(row)) for word in words)]
