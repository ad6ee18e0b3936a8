"""What a member typed in the search box, made safe to search with, and the matches marked in what is shown.

The words are the only thing taken from the user's text: runs of letters and digits, lowercased, each at least
two characters long. Everything else (quotes, ``&|!():*<>``, NUL, punctuation) separates words, so the
``to_tsquery`` text built from them holds nothing but the words, each quoted, and our own ``&`` and ``:*``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY_CHARS = 200  # of the text typed: the rest is not read
MAX_WORDS = 8
MAX_WORD_CHARS = 40
MIN_WORD_CHARS = 2

# A word: letters and digits of any script (\w without the underscore).
WORD = re.compile(r"[^\W_]+")
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Terms:
    """The words to look for, in the order typed (duplicates dropped)."""

    words: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.words)

    @property
    def text(self) -> str:
        """The words as one line: what names are compared with (trigrams) and must start with."""
        return " ".join(self.words)

    @property
    def tsquery(self) -> str:
        """Every word as the prefix of a word (``'renew':* & 'globex':*``), for ``to_tsquery('simple', ...)``."""
        return " & ".join(f"'{word}':*" for word in self.words)


def terms_of(typed: str | None) -> Terms:
    """The words of what was typed (its first MAX_QUERY_CHARS characters)."""
    words: list[str] = []
    for match in WORD.finditer((typed or "")[:MAX_QUERY_CHARS]):
        word = match.group().lower()[:MAX_WORD_CHARS]
        if len(word) >= MIN_WORD_CHARS and word not in words:
            words.append(word)
        if len(words) == MAX_WORDS:
            break
    return Terms(tuple(words))


def _pattern(words: Sequence[str], *, prefix: bool) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    if prefix:
        # A word starting with one of the words, marked whole (as full-text search matched it).
        return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)
    return re.compile(rf"(?:{alternatives})", re.IGNORECASE)


def highlight(text: str, terms: Terms, *, prefix: bool = True, limit: int | None = None) -> SafeString:
    """``text`` as HTML with the matches in ``<mark>``: every other character escaped.

    ``prefix`` marks the words that start with a search word (full-text matches); otherwise every occurrence of
    a search word (names, matched as substrings). ``limit`` shortens long text to about that many characters
    around the first match, on one line, with an ellipsis where it was cut.
    """
    if limit is not None:
        text = SPACES.sub(" ", text).strip()
    if not terms:
        return escape(_cut(text, 0, limit))
    pattern = _pattern(terms.words, prefix=prefix)
    if limit is not None and len(text) > limit:
        first = pattern.search(text)
        text = _cut(text, first.start() if first else 0, limit)
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308  (every piece of the text is escaped above)


def _cut(text: str, around: int, limit: int | None) -> str:
    """About ``limit`` characters of ``text`` showing position ``around`` (a third of the way in), cut at
    spaces, with "…" where text was left out."""
    if limit is None or len(text) <= limit:
        return text
    begin = max(0, around - limit // 3)
    if begin:
        space = text.find(" ", begin, around)
        begin = space + 1 if space != -1 else begin
    end = min(len(text), begin + limit)
    if end < len(text):
        space = text.rfind(" ", max(around + 1, begin + limit // 2), end)
        end = space if space != -1 else end
    return ("… " if begin else "") + text[begin:end] + (" …" if end < len(text) else "")
