"""The words taken from what was typed, the to_tsquery text made of them, and the marks in what is shown."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from search.terms import MAX_QUERY_CHARS, MAX_WORDS, Terms, highlight, terms_of

SAFE_TSQUERY = re.compile(r"^(?:'[^\W_]+':\*)(?: & '[^\W_]+':\*)*$")


def test_words_are_letters_and_digits_lowercased():
    assert terms_of("Renewal <b>Q3</b> glob&|!():*ex 'x' O'Brien").words == (
        "renewal",
        "q3",
        "glob",
        "ex",
        "brien",
    )
    assert terms_of("soy\x00lent").words == ("soy", "lent")
    assert terms_of("Ünïcödé 東京").words == ("ünïcödé", "東京")
    assert terms_of("a ! ' ").words == ()
    assert terms_of(None).words == ()


def test_the_query_and_its_words_are_capped():
    assert terms_of("x " * 100 + "late").words == ()  # "late" starts past the first 200 characters
    assert len(terms_of(" ".join(f"w{n}" for n in range(50))).words) == MAX_WORDS
    assert terms_of("renewal renewal RENEWAL").words == ("renewal",)
    assert len(terms_of("a" * 10_000).words[0]) <= 40


def test_the_tsquery_is_quoted_prefixes_joined_by_and():
    assert terms_of("renew glob").tsquery == "'renew':* & 'glob':*"


@given(st.text(max_size=MAX_QUERY_CHARS + 50))
def test_any_text_makes_a_safe_tsquery(typed):
    terms = terms_of(typed)
    assert not terms or SAFE_TSQUERY.match(terms.tsquery)
    assert "\x00" not in terms.tsquery


@given(st.text(max_size=300), st.text(max_size=40))
def test_highlight_escapes_everything_but_its_marks(text, typed):
    terms = terms_of(typed)
    for prefix in (True, False):
        out = str(highlight(text, terms, prefix=prefix))
        assert html.unescape(out.replace("<mark>", "").replace("</mark>", "")) == text
        assert re.sub(r"</?mark>", "", out).count("<") == 0


def test_highlight_marks_words_or_substrings():
    terms = terms_of("ren")
    assert str(highlight("Renewal for Irene", terms)) == "<mark>Renewal</mark> for Irene"
    assert str(highlight("Renewal for Irene", terms, prefix=False)) == "<mark>Ren</mark>ewal for I<mark>ren</mark>e"
    assert str(highlight("<b>x</b>", Terms(()))) == "&lt;b&gt;x&lt;/b&gt;"


def test_highlight_shortens_around_the_first_match():
    text = "start " + "filler " * 100 + "the renewal is late " + "tail " * 100
    out = str(highlight(text, terms_of("renew"), limit=80))
    assert out.startswith("… ") and out.endswith(" …") and "<mark>renewal</mark>" in out
    assert len(out) < 120
    assert "\n" not in str(highlight("one\n\ntwo", terms_of("two"), limit=80))


@pytest.mark.django_db
def test_postgres_takes_the_tsquery_of_any_word():
    """Every kind of letter and digit Python knows (scripts, marks, numerals, emoji-free) parses as a tsquery."""
    samples = [
        "ünïcödé",
        "東京都",
        "مرحبا",
        "שלום",
        "①②",
        "½",
        "ⅷ",
        "x²",
        "ǅ",
        "ꙮ",
        "\U0001d518\U0001d52b\U0001d526"  # Fraktur letters,
        "İstanbul",
        "ß",
        "ﬁ",
        "a\u0301",
        "\uff11\uff12\uff13"  # full-width digits,
        "v1.2.3",
        "john@acme.com",
        "e-mail",
        "https://example.com/x",
    ]
    letters = "".join(chr(c) for c in range(0x20, 0x3000, 7) if chr(c).isalnum())
    samples += [letters[i : i + 30] for i in range(0, len(letters), 30)]
    with connection.cursor() as cursor:
        for sample in samples:
            terms = terms_of(sample)
            if terms:
                cursor.execute("SELECT to_tsvector('simple', %s) @@ to_tsquery('simple', %s)", [sample, terms.tsquery])
