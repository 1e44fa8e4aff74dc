"""What any search engine is given of a typed query: bounded and simplified first.

People and fuzzers type runs of operators ("----", "<-><->", "!!!"), quotes that never
close, control characters and pages of text. PostgreSQL's query parser nests one NOT
per "-" and fails past 32 of them ("tsquery stack too small"), and every page repeats
the query in its links. So, before any engine sees it, a query is

- bounded (`bound_query`): full-width forms to ASCII, control characters to spaces,
  runs of whitespace to one space, at most MAX_QUERY_TERMS terms and
  MAX_QUERY_LENGTH characters, saying when something was cut;
- simplified (`simple_terms`): its free words as plain words and quoted phrases, each
  at most once negated by a leading minus; every other operator and punctuation mark
  is dropped.

Engine-neutral (no database code): PostgreSQL's websearch syntax is written from these
terms in `query`, and another engine can write its own from them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

MAX_QUERY_LENGTH = 200  # characters
MAX_QUERY_TERMS = 20  # space-separated terms, and likewise Chinese words

QUOTES = re.compile(r"[\"“”「」『』]")
NOT_WORD = re.compile(r"[^\w\s\"'\-]")  # operators and punctuation: spaces
JOINERS = re.compile(r"[-']{2,}")  # "toy--car", "toy'-car": one hyphen
MINUS_BEFORE_QUOTE = re.compile(r"(?:^|\s)-+$")


class Bounded(NamedTuple):
    text: str
    shortened: bool


class Term(NamedTuple):
    """A word, or the words of a quoted phrase; `negated`: the results must lack it."""

    words: tuple[str, ...]
    negated: bool = False


def bound_query(text: str | None) -> Bounded:
    """`text` normalised and cut to MAX_QUERY_TERMS terms and MAX_QUERY_LENGTH
    characters, and whether anything was cut."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    terms = text.split()
    shortened = len(terms) > MAX_QUERY_TERMS
    text = " ".join(terms[:MAX_QUERY_TERMS])
    if len(text) > MAX_QUERY_LENGTH:
        text, shortened = text[:MAX_QUERY_LENGTH].rstrip(), True
    return Bounded(text, shortened)


def simple_terms(text: str) -> list[Term]:
    """The words and "quoted phrases" of `text`, each negated by a leading minus or not;
    nothing else survives (a phrase whose quotes do not pair up is read as words)."""
    text = NOT_WORD.sub(" ", QUOTES.sub('"', text))
    if text.count('"') % 2:
        text = text.replace('"', " ")
    terms: list[Term] = []
    pieces = text.split('"')  # outside quotes, inside, outside, ...
    for index, piece in enumerate(pieces):
        if index % 2:
            words = tuple(word for word in map(_word, piece.split()) if word)
            if words:
                negated = bool(MINUS_BEFORE_QUOTE.search(pieces[index - 1]))
                terms.append(Term(words, negated))
            continue
        for token in piece.split():
            word = _word(token)
            if word:
                terms.append(Term((word,), token.startswith("-")))
    return terms


def _word(token: str) -> str:
    """The token without the hyphens and apostrophes around it (one between two parts);
    "" when it holds no letter or digit."""
    word = JOINERS.sub("-", token).strip("-'_")
    return word if any(ch.isalnum() for ch in word) else ""
