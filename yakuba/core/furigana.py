"""Furigana (ふりがな) on kanji in Japanese pages, read with SudachiPy.

`add_to_html` takes a whole rendered page and puts `<ruby>漢字<rt>かんじ</rt></ruby>` around the
kanji of the text a reader sees, leaving everything else exactly as it was: the page is only parsed
to find where its text nodes are, and the output is the original string with those text nodes
spliced in. Tags, attributes, comments, the doctype and character references are never re-emitted,
so they cannot change. Anything that goes wrong gives back the page unchanged: furigana is a reading
aid, never a reason for a page to fail.

The readings come from the SudachiPy core dictionary in split mode A (the shortest units). Mode A
and mode C give the same readings — an A unit is a split of the C entry and carries the compound's
own reading (株式会社 → 株式/かぶしき + 会社/がいしゃ) — but A keeps each ruby over one short word,
as school books and NHK やさしい日本語 do, and lets okurigana split it. Mode C makes an address
one morpheme (宮城県亘理郡亘理町悠里 → one reading over ten kanji, with no kana to align on).
"""

from __future__ import annotations

import html as html_escaping
import logging
import re
import threading
from functools import lru_cache
from html.parser import HTMLParser

import jaconv
from sudachipy import Dictionary, Morpheme, SplitMode, Tokenizer

logger = logging.getLogger(__name__)

# Elements whose text is not read as running Japanese text, or where a <ruby> would be invalid or
# shown literally: raw-text and escapable raw-text elements (script, style, textarea, title, xmp…),
# <option> (text only), code a reader may need to copy exactly, text that already has its reading
# (ruby/rt/rp) and foreign content (svg, math), where HTML's <ruby> means nothing.
EXCLUDED_ELEMENTS = frozenset(
    {
        "script",
        "style",
        "textarea",
        "title",
        "option",
        "optgroup",
        "select",
        "datalist",
        "code",
        "pre",
        "kbd",
        "samp",
        "ruby",
        "rt",
        "rp",
        "svg",
        "math",
        "iframe",
        "noembed",
        "noframes",
        "xmp",
        "plaintext",
        "template",
    }
)
NO_FURIGANA_CLASS = "no-furigana"

# HTML elements that have no end tag (HTML Living Standard §13.1.2).
VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "keygen",
    }
)

# Inside these Python's parser still reports tags, browsers do not (escapable raw text).
_ESCAPABLE_RAW_TEXT_ELEMENTS = frozenset({"textarea", "title"})

# Kanji, the iteration mark 々, 〆 and the kanji zero 〇. ヶ (as in 霞ヶ関, 3ヶ月) is a katakana
# letter used as a kanji abbreviation: it belongs to the ruby base, but alone it does not need one.
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\u3005\u3006\u3007"
_KANJI_CHARACTER = re.compile(f"[{_KANJI}]")
_SURFACE_RUN = re.compile(f"([{_KANJI}\u30f6]+)|([^{_KANJI}\u30f6]+)")
# What a reading may be made of once in hiragana; anything else (・, ヷ) gets no ruby.
_READING = re.compile("[ぁ-ゖゝゞー]+")

# 連濁: the voiced form of a reading's first kana (し → じ), for `readings`.
_VOICED = str.maketrans(
    "かきくけこさしすせそたちつてとはひふへほ", "がぎぐげござじずぜぞだぢづでどばびぶべぼ"
)

# Sudachi refuses input longer than 49,149 bytes of UTF-8; 12,000 characters of at most four bytes
# each stays below it.
_MAX_CHUNK_CHARACTERS = 12_000
_SENTENCE_ENDS = ("\n", "。", "！", "？")

_dictionary: Dictionary | None = None
_dictionary_lock = threading.Lock()
_per_thread = threading.local()


def add_to_html(html: str) -> str:
    """Return `html` with furigana on the kanji of the text inside <body>, or unchanged on error."""
    try:
        return _add_to_html(html)
    except Exception:
        logger.warning("Furigana could not be added to a page; serving it without.", exc_info=True)
        return html


def _add_to_html(html: str) -> str:
    finder = _TextNodeFinder(html)
    finder.feed(html)
    # No close(): at the end of input the parser would call a tag or comment left open ("<div
    # title='役場", "<!-- 役場") text, where a browser drops it; left unparsed, it stays untouched.
    pieces: list[str] = []
    copied_up_to = 0
    for start, end in finder.text_nodes_to_annotate():
        pieces.append(html[copied_up_to:start])
        pieces.append(annotate_text(html[start:end]))
        copied_up_to = end
    pieces.append(html[copied_up_to:])
    return "".join(pieces)


@lru_cache(maxsize=4096)
def annotate_text(text: str) -> str:
    """Return one text node's raw markup with <ruby> around each kanji word.

    Cached: a page repeats its header, menu and footer, and so does every page after it.
    """
    if not _KANJI_CHARACTER.search(text):
        return text
    tokenizer = _tokenizer()
    pieces: list[str] = []
    for chunk in _chunks(text):
        for morpheme in tokenizer.tokenize(chunk):
            surface = chunk[morpheme.begin() : morpheme.end()]
            reading = _reading_of(surface, morpheme)
            pieces.append(surface if reading is None else _ruby(surface, reading))
    return "".join(pieces)


@lru_cache(maxsize=1024)
def readings(text: str) -> tuple[str, ...]:
    """How `text` may be typed in kana (読み), for search: each word in hiragana, words without a
    reliable reading (unknown words, symbols) as written. 公衆トイレ一覧 → こうしゅうといれいちらん.

    Sudachi reads a suffix as it reads alone (避難所 → ひなん + しょ), while joined to a word it is
    often voiced (連濁: ひなんじょ, 保健所 ほけんじょ). When `text` has a suffix that could be, the
    reading with the suffixes voiced follows the dictionary one, so both spellings find it.
    """
    plain: list[str] = []
    voiced: list[str] = []
    for chunk in _chunks(text):
        for morpheme in _tokenizer().tokenize(chunk):
            surface = chunk[morpheme.begin() : morpheme.end()]
            reading = str(jaconv.kata2hira(morpheme.reading_form()))
            if (
                morpheme.is_oov()
                or morpheme.part_of_speech()[0] in ("補助記号", "空白")
                or not _READING.fullmatch(reading)
            ):
                reading = surface
            plain.append(reading)
            is_suffix = morpheme.part_of_speech()[0] == "接尾辞"
            voiced.append(reading[:1].translate(_VOICED) + reading[1:] if is_suffix else reading)
    variants = ["".join(plain), "".join(voiced)]
    return tuple(dict.fromkeys(variants))


def _reading_of(surface: str, morpheme: Morpheme) -> str | None:
    """The hiragana reading to show over `surface`, or None when it should stay as it is."""
    if not _KANJI_CHARACTER.search(surface):
        return None
    # Unknown words (OOV) get either the surface itself as reading (𠮷, 髙) or a guess from the
    # numeral plugin that is often wrong (三千 → サンセン, 六本 → ロク・ポン); no reading beats a
    # wrong one. Symbols such as a lone 々 get the reading キゴウ ("symbol").
    if morpheme.is_oov() or morpheme.part_of_speech()[0] == "補助記号":
        return None
    reading = jaconv.kata2hira(morpheme.reading_form())
    if not _READING.fullmatch(reading):
        return None
    return str(reading)


def _ruby(surface: str, reading: str) -> str:
    """Ruby over the kanji runs of `surface`, with the okurigana kept outside.

    The kana runs of the surface are matched against the reading to find where each kanji run's
    reading starts and ends (申し込み + もうしこみ → 申/もう し 込/こ み). When that is impossible
    (a jukujikun with kana inside, a reading that does not spell the kana) one ruby goes over the
    whole surface.
    """
    runs = [(match.group(), match.group(1) is not None) for match in _SURFACE_RUN.finditer(surface)]
    pattern = "".join("(.+?)" if is_kanji else re.escape(_hiragana(run)) for run, is_kanji in runs)
    alignment = re.fullmatch(pattern, reading)
    if alignment is None:
        return _ruby_element(surface, reading)
    readings = iter(alignment.groups())
    return "".join(
        _ruby_element(run, next(readings)) if is_kanji else run for run, is_kanji in runs
    )


def _ruby_element(base: str, reading: str) -> str:
    # The base is a slice of the page's own raw text, already valid markup; only the reading is new.
    return f"<ruby>{base}<rt>{html_escaping.escape(reading)}</rt></ruby>"


def _hiragana(text: str) -> str:
    return str(jaconv.kata2hira(jaconv.h2z(text)))


def _chunks(text: str) -> list[str]:
    """Cut `text` into pieces Sudachi accepts, at line or sentence ends where possible."""
    chunks: list[str] = []
    while len(text) > _MAX_CHUNK_CHARACTERS:
        window = text[:_MAX_CHUNK_CHARACTERS]
        cut = max(window.rfind(end) for end in _SENTENCE_ENDS) + 1
        if cut <= 0:
            cut = _MAX_CHUNK_CHARACTERS
        chunks.append(text[:cut])
        text = text[cut:]
    chunks.append(text)
    return chunks


def _tokenizer() -> Tokenizer:
    """This thread's tokenizer: one dictionary is shared, but a Sudachi tokenizer refuses to be
    used by two threads at once (SudachiError), so each thread that serves pages gets its own."""
    tokenizer: Tokenizer | None = getattr(_per_thread, "tokenizer", None)
    if tokenizer is None:
        tokenizer = _shared_dictionary().tokenizer(mode=SplitMode.A, fields={"pos", "reading_form"})
        _per_thread.tokenizer = tokenizer
    return tokenizer


def _shared_dictionary() -> Dictionary:
    global _dictionary
    with _dictionary_lock:
        if _dictionary is None:
            _dictionary = Dictionary(dict="core")
        return _dictionary


class _TextNodeFinder(HTMLParser):
    """Find where in the document the text nodes that may get furigana are.

    Python's parser is lenient; it is only asked for positions. Character references are reported
    apart from text (convert_charrefs=False) so they stay untouched, as written.
    """

    def __init__(self, document: str) -> None:
        super().__init__(convert_charrefs=False)
        self._document = document
        self._line_starts = [0]
        newline = document.find("\n")
        while newline != -1:
            self._line_starts.append(newline + 1)
            newline = document.find("\n", newline + 1)
        # Open elements: (tag, whether text inside it is excluded).
        self._open: list[tuple[str, bool]] = []
        self._escapable_raw_text: str | None = None
        self._is_in_body = False
        self._has_document_structure = False
        # Text nodes as (start, end, is_in_body); neighbours are merged so a word is read whole.
        self._text_nodes: list[tuple[int, int, bool]] = []

    def text_nodes_to_annotate(self) -> list[tuple[int, int]]:
        """Text inside <body>; a fragment without <html>/<head>/<body> (an htmx swap) is all body."""
        return [
            (start, end)
            for start, end, is_in_body in self._text_nodes
            if is_in_body or not self._has_document_structure
        ]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._escapable_raw_text is not None:
            return
        if tag in ("html", "head", "body"):
            self._has_document_structure = True
            self._is_in_body = tag == "body"
        if tag in VOID_ELEMENTS:
            return
        self._open.append((tag, self._is_excluded() or _excludes_its_text(tag, attrs)))
        if tag in _ESCAPABLE_RAW_TEXT_ELEMENTS:
            self._escapable_raw_text = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # In HTML the "/" of <span/> means nothing: the element stays open, as a browser sees it.
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._escapable_raw_text is not None:
            if tag != self._escapable_raw_text:
                return
            self._escapable_raw_text = None
        if tag in ("body", "html"):
            self._is_in_body = False
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return
        # An end tag without a start tag is ignored, as a browser does.

    def handle_data(self, data: str) -> None:
        if self._escapable_raw_text is not None or self._is_excluded():
            return
        # A "<" that starts no tag ("a < b") is text to a browser too, but it never needs a reading
        # and skipping it keeps any markup the parser misread out of reach.
        if "<" in data:
            return
        line, column = self.getpos()
        start = self._line_starts[line - 1] + column
        end = start + len(data)
        if self._document[start:end] != data:
            raise _PositionLost(f"text at line {line}, column {column} is not where reported")
        if self._text_nodes:
            previous_start, previous_end, was_in_body = self._text_nodes[-1]
            if previous_end == start and was_in_body == self._is_in_body:
                self._text_nodes[-1] = (previous_start, end, was_in_body)
                return
        self._text_nodes.append((start, end, self._is_in_body))

    def _is_excluded(self) -> bool:
        return bool(self._open) and self._open[-1][1]


def _excludes_its_text(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """Whether an element keeps its text (and its children's) free of furigana."""
    if tag in EXCLUDED_ELEMENTS:
        return True
    attributes = {name: value or "" for name, value in attrs}
    if attributes.get("translate", "").strip().lower() == "no":
        return True
    if NO_FURIGANA_CLASS in attributes.get("class", "").split():
        return True
    # Text marked as another language (lang="en", lang="zh") is not read with Japanese readings.
    language = attributes.get("lang")
    return language is not None and language != "" and not language.lower().startswith("ja")


class _PositionLost(Exception):
    """The parser's reported position does not match the document; better not to touch it."""
