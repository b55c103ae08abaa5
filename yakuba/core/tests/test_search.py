"""Word search over short lists: width, kana and case do not matter; every word must match."""

import pytest

from yakuba.core.search import fold, matching


@pytest.mark.parametrize("typed", ["コウミンカン", "こうみんかん", "ｺｳﾐﾝｶﾝ", "コウ ミンカン"])
def test_the_ways_of_typing_a_word_fold_the_same(typed: str) -> None:
    assert fold(typed) == "こうみんかん"


def test_full_width_latin_and_case_fold_too() -> None:
    assert fold("ＧＹＭ Hall") == "gymhall"


def test_every_word_must_match_and_no_words_keep_all() -> None:
    rows = ["中央公民館 会議室1 ちゅうおうこうみんかん", "町民体育館 ちょうみんたいいくかん"]
    assert matching("コウミンカン 会議室", rows, str) == rows[:1]
    assert matching("こうみんかん 体育館", rows, str) == []
    assert matching("  ", rows, str) == rows
