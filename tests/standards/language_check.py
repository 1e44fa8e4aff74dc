"""What a page says in a language other than its own (tests/standards/test_languages.py).

A page's own text is everything outside <script>, <style> and elements marked with the
other language's `lang`: on an English page no Han character may remain, on a Chinese
page no run of three or more English words. Identifiers and codes are not words: a token
with a digit ("60335-1", "2009/48/EC"), a capitalised abbreviation ("CE", "CCC", "HS",
"GB/T", "EN"), URLs and e-mail addresses.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SKIPPED_TAGS = {"script", "style", "template"}
VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
# Where own text stops: a marked element, or a block of its own.
BREAK = "\n"

URL_OR_MAIL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+")
# A token: letters, digits and the characters identifiers are written with.
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’./:+\-]*")
WORD = re.compile(r"^[A-Za-z][a-z]+(?:['’\-][A-Za-z]+)*[.:]?$|^[a-z]+[.:]?$")
# What may stand between two words of one English run.
JOINER = re.compile(r"^[\s,;()\"“”‘’&–—-]*$")


def page_language(language: str) -> str:
    return "zh" if language.lower().startswith("zh") else "en"


class _OwnText(HTMLParser):
    """Collects the text in the page's own language, with BREAK where it is cut."""

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []  # (tag, own language?)
        self.parts: list[str] = []

    def _own(self) -> bool:
        return all(own for _tag, own in self.stack)

    def handle_starttag(self, tag, attrs):
        if tag in VOID_TAGS:
            self.parts.append(" ")
            return
        lang = dict(attrs).get("lang")
        own = tag not in SKIPPED_TAGS and (lang is None or page_language(lang) == self.language)
        if tag == "html":
            own = True
        self.stack.append((tag, own))
        self.parts.append(BREAK if not own else " ")

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break
        self.parts.append(BREAK if tag in ("p", "li", "td", "th", "dd", "dt", "div") else " ")

    def handle_data(self, data):
        if self._own():
            self.parts.append(data)


def own_text(html: str, language: str) -> str:
    parser = _OwnText(page_language(language))
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def english_runs(text: str, length: int = 3) -> list[str]:
    """Runs of `length` or more English words in `text`, identifiers and codes apart."""
    runs = []
    for line in text.split(BREAK):
        line = URL_OR_MAIL.sub(" 0 ", line)
        run: list[str] = []
        end = 0
        for match in TOKEN.finditer(line):
            token = match.group()
            is_word = bool(WORD.match(token))
            if run and not JOINER.match(line[end : match.start()]):
                if len(run) >= length:
                    runs.append(" ".join(run))
                run = []
            if is_word:
                run.append(token)
            elif not token.isupper() and not re.fullmatch(r"[A-Z][A-Za-z]*/[A-Z]+", token):
                # A code (a digit in it) ends a run; an abbreviation ("CE", "GB/T") does not.
                if len(run) >= length:
                    runs.append(" ".join(run))
                run = []
            end = match.end()
        if len(run) >= length:
            runs.append(" ".join(run))
    return runs


def other_language(html: str, language: str) -> list[str]:
    """What a page in `language` ("en" or "zh-hans") shows in the other language."""
    text = own_text(html, language)
    if page_language(language) == "en":
        found = []
        for line in text.split(BREAK):
            if HAN.search(line):
                found.append(" ".join(line.split())[:160])
        return found
    return english_runs(text)
