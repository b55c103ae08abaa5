"""Furigana (ふりがな): readings over kanji, and nothing else on the page changed."""

import html
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from yakuba.core import furigana, reader
from yakuba.core.middleware import ReaderPreferencesMiddleware

RUBY_MARKUP = re.compile(r"<rt>[^<]*</rt>|</?ruby>")
RUBY = re.compile(r"<ruby>([^<]*)<rt>([^<]*)</rt></ruby>")


def in_body(fragment: str) -> str:
    return f'<!DOCTYPE html><html lang="ja"><head></head><body>{fragment}</body></html>'


def without_ruby(document: str) -> str:
    return RUBY_MARKUP.sub("", document)


def rubies(document: str) -> list[tuple[str, str]]:
    return RUBY.findall(document)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("行かない", "<ruby>行<rt>い</rt></ruby>かない"),
        ("申し込み", "<ruby>申<rt>もう</rt></ruby>し<ruby>込<rt>こ</rt></ruby>み"),
        ("取り扱い", "<ruby>取<rt>と</rt></ruby>り<ruby>扱<rt>あつか</rt></ruby>い"),
        ("お問い合わせ", "お<ruby>問<rt>と</rt></ruby>い<ruby>合<rt>あ</rt></ruby>わせ"),
        ("書かない", "<ruby>書<rt>か</rt></ruby>かない"),
    ],
)
def test_okurigana_stays_outside_the_ruby(text: str, expected: str) -> None:
    assert furigana.add_to_html(in_body(f"<p>{text}</p>")) == in_body(f"<p>{expected}</p>")


@pytest.mark.parametrize(
    ("word", "reading"),
    [("役場", "やくば"), ("申請", "しんせい"), ("住民", "じゅうみん"), ("手続", "てつづき")],
)
def test_a_kanji_compound_gets_one_reading_in_hiragana(word: str, reading: str) -> None:
    assert rubies(furigana.add_to_html(in_body(word))) == [(word, reading)]


def test_town_name_gets_a_reading_in_hiragana_over_its_kanji() -> None:
    output = furigana.add_to_html(in_body("亘理町"))

    assert without_ruby(output) == in_body("亘理町")
    assert "".join(base for base, _ in rubies(output)) == "亘理町"
    assert all(re.fullmatch("[ぁ-ゖゝゞー]+", reading) for _, reading in rubies(output))


def test_a_kanji_word_read_with_kana_inside_falls_back_to_one_ruby_over_the_word() -> None:
    # 霞ヶ関 is read かすみがせき: the ヶ does not spell が, so the surface cannot be split.
    assert rubies(furigana.add_to_html(in_body("霞ヶ関"))) == [("霞ヶ関", "かすみがせき")]


@pytest.mark.parametrize(
    "text",
    [
        "ひらがなだけ",
        "カタカナのセンター",
        "Watari Town 043231",
        "2026/11/26 10:00",
        "ｶﾀｶﾅ ＡＢＣ １２３",
        "、。「」・！？",
    ],
)
def test_text_without_kanji_is_untouched(text: str) -> None:
    assert furigana.add_to_html(in_body(f"<p>{text}</p>")) == in_body(f"<p>{text}</p>")


def test_kanji_numerals_are_left_without_a_possibly_wrong_reading() -> None:
    # The numeral reader guesses 三千 → さんせん (it is さんぜん); no reading beats a wrong one.
    assert rubies(furigana.add_to_html(in_body("三千円"))) == [("円", "えん")]


@pytest.mark.parametrize(
    "fragment",
    [
        "<script>const label = '役場';</script>",
        "<style>.役場::after { content: '役場'; }</style>",
        "<textarea name='note'>役場に<b>行く</b></textarea>",
        "<select><option>役場</option><option selected>支所</option></select>",
        "<code>役場</code>",
        "<pre>役場\n  申請</pre>",
        "<kbd>役場</kbd>",
        "<ruby>役場<rt>やくば</rt></ruby>",
        "<ruby>役場<rp>(</rp><rt>やくば</rt><rp>)</rp></ruby>",
        '<span translate="no">亘理町</span>',
        '<p class="lead no-furigana">役場の<em>申請</em></p>',
        '<p lang="zh">中文汉字</p>',
        '<a href="/役場" title="役場" data-label="申請">Go</a>',
        '<img alt="役場の写真" src="/x.png">',
        "<!-- 役場 -->",
        "<svg><text>役場</text></svg>",
    ],
)
def test_text_that_is_not_running_page_text_is_untouched(fragment: str) -> None:
    assert furigana.add_to_html(in_body(fragment)) == in_body(fragment)


def test_text_after_an_excluded_element_gets_furigana_again() -> None:
    output = furigana.add_to_html(in_body("<p><code>役場</code>申請</p>"))

    assert output == in_body("<p><code>役場</code><ruby>申請<rt>しんせい</rt></ruby></p>")


def test_title_and_other_head_text_are_untouched() -> None:
    document = (
        "<!DOCTYPE html><html><head><title>役場</title>"
        '<meta name="description" content="役場"></head><body>役場</body></html>'
    )

    output = furigana.add_to_html(document)

    assert output.startswith(
        '<!DOCTYPE html><html><head><title>役場</title><meta name="description" content="役場">'
    )
    assert output.endswith("<body><ruby>役場<rt>やくば</rt></ruby></body></html>")


def test_a_fragment_without_body_gets_furigana_everywhere() -> None:
    # htmx swaps a fragment into a page that has one.
    assert furigana.add_to_html("<li>役場</li>") == "<li><ruby>役場<rt>やくば</rt></ruby></li>"


def test_character_references_are_kept_as_written() -> None:
    fragment = "<p>役場&amp;支所&nbsp;&#x5f79;&#24441;&copy 申請</p>"

    output = furigana.add_to_html(in_body(fragment))

    assert without_ruby(output) == in_body(fragment)
    assert "&amp;" in output
    assert "&#x5f79;&#24441;" in output
    assert rubies(output)[0] == ("役場", "やくば")


def test_markup_is_kept_byte_for_byte() -> None:
    document = (
        "<!doctype HTML>\r\n<HTML LANG=ja><Head><META charset=utf-8></Head>\r\n"
        "<BODY Class='a'  data-x=\"役場\"><P>役場</P><br/><Input value='申請' DISABLED>"
        "<?xml 役場?><![CDATA[役場]]>申請</BODY></HTML>"
    )

    output = furigana.add_to_html(document)

    assert without_ruby(output) == document
    assert [base for base, _ in rubies(output)] == ["役場", "申請"]


@pytest.mark.parametrize(
    "broken",
    [
        "<p>役場<div title='役場",
        "<p>役場<!-- 役場",
        "</p></div>役場<<>>&&;<p <p>申請",
        "<body><code>役場",
        "\x00\ufffd<body>役場</html></body>申請",
        "<body><textarea>役場</p>役場",
        "<body><p>a < b 役場</p>",
        "",
    ],
)
def test_broken_html_gives_a_page_and_changes_only_text(broken: str) -> None:
    assert without_ruby(furigana.add_to_html(broken)) == broken


def test_an_unclosed_tag_at_the_end_is_left_as_it_is() -> None:
    assert furigana.add_to_html("<p>役場<div title='役場") == (
        "<p><ruby>役場<rt>やくば</rt></ruby><div title='役場"
    )


def test_text_longer_than_sudachi_accepts_in_one_go_still_gets_furigana() -> None:
    text = "役場に行かなくても申請できます。" * 4000  # 64,000 characters, 192 kB of UTF-8

    output = furigana.add_to_html(in_body(text))

    assert without_ruby(output) == in_body(text)
    assert rubies(output) == [("役場", "やくば"), ("行", "い"), ("申請", "しんせい")] * 4000


def test_threads_serving_pages_at_once_each_get_furigana() -> None:
    # Distinct texts, so the cache does not answer and every call reaches a tokenizer.
    texts = [f"<p>役場の申請{number}番</p>" for number in range(400)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outputs = list(pool.map(furigana.add_to_html, texts))

    assert all(("役場", "やくば") in rubies(output) for output in outputs)


JAPANESE_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x3041, max_codepoint=0x3096),  # hiragana
        st.characters(min_codepoint=0x30A1, max_codepoint=0x30FC),  # katakana
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # kanji
        st.sampled_from("役場申請住民票手続亘理町行込書待々〇ヶ、。「」（）！？・ー 　\n"),
        st.sampled_from("abcXYZ0123456789&<>\"'"),
    ),
    max_size=80,
)


@hypothesis_settings(deadline=None, max_examples=200)
@given(text=JAPANESE_TEXT)
def test_removing_the_ruby_markup_gives_back_the_page(text: str) -> None:
    document = in_body(f"<p>{html.escape(text)}</p>")

    output = furigana.add_to_html(document)

    assert without_ruby(output) == document
    assert all(re.fullmatch("[ぁ-ゖゝゞー]+", reading) for _, reading in rubies(output))


# The reader preferences middleware, through the home page (base.html).


@pytest.fixture
def japanese_reader(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    return client


@pytest.mark.django_db
def test_home_page_has_furigana_when_the_reader_turned_it_on(japanese_reader: Client) -> None:
    japanese_reader.cookies[reader.FURIGANA_COOKIE] = "on"

    response = japanese_reader.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<ruby>役場<rt>やくば</rt></ruby>に<ruby>行<rt>い</rt></ruby>かなくても" in page
    assert "<title>ホーム" in page


@pytest.mark.django_db
def test_home_page_has_no_furigana_when_the_reader_turned_it_off(japanese_reader: Client) -> None:
    japanese_reader.cookies[reader.FURIGANA_COOKIE] = "off"

    response = japanese_reader.get("/")

    assert response.status_code == 200
    assert "<ruby>" not in response.content.decode()


@pytest.mark.django_db
def test_home_page_has_no_furigana_by_default(japanese_reader: Client) -> None:
    assert "<ruby>" not in japanese_reader.get("/").content.decode()


@pytest.mark.django_db
def test_english_pages_never_get_furigana(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.cookies[reader.FURIGANA_COOKIE] = "on"

    response = client.get("/")

    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()
    assert "<ruby>" not in response.content.decode()


def run_middleware(response: HttpResponse) -> HttpResponse:
    request = RequestFactory().get("/")
    request.COOKIES[reader.FURIGANA_COOKIE] = "on"

    def view(request: HttpRequest) -> HttpResponse:
        return response

    with translation.override("ja"):
        return ReaderPreferencesMiddleware(view)(request)


def test_middleware_serves_bytes_that_are_not_in_the_declared_charset_unchanged() -> None:
    body = b"\xff\xfe<p>\x8c\xa0</p>"

    response = run_middleware(HttpResponse(body, content_type="text/html; charset=utf-8"))

    assert response.status_code == 200
    assert response.content == body


def test_middleware_serves_html_that_cannot_be_parsed_with_its_text_annotated() -> None:
    body = "<p <<>>役場</p></div></body><!-- 役場"

    response = run_middleware(HttpResponse(body, content_type="text/html; charset=utf-8"))

    assert response.status_code == 200
    assert without_ruby(response.content.decode()) == body


def test_middleware_updates_content_length_after_adding_furigana() -> None:
    original = HttpResponse("<p>役場</p>", content_type="text/html; charset=utf-8")
    original["Content-Length"] = str(len(original.content))

    response = run_middleware(original)

    assert response.content.decode() == "<p><ruby>役場<rt>やくば</rt></ruby></p>"
    assert response["Content-Length"] == str(len(response.content))


def test_middleware_leaves_non_html_responses_alone() -> None:
    body = '{"label": "役場"}'

    response = run_middleware(HttpResponse(body, content_type="application/json"))

    assert response.content.decode() == body
