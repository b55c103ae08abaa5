"""Furigana (ふりがな) on kanji in Japanese pages, read with SudachiPy."""


def add_to_html(html: str) -> str:
    return html
