"""Chinese word segmentation for search (rjieba, jieba's search mode).

PostgreSQL's text-search configurations treat a run of Chinese characters as one word,
so "玩具" would not find "电动玩具". Titles are segmented here into space-separated
words ("电动 玩具 电动玩具"), stored in a column that the `simple` configuration indexes;
queries are segmented the same way.
"""

import re

import rjieba

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def segment(text: str | None) -> str:
    """The Chinese words of `text`, space separated; non-Chinese words are left out
    (English is indexed by the `english` configuration)."""
    if not text or not HAN.search(text):
        return ""
    words = dict.fromkeys(w for w in rjieba.cut_for_search(text) if HAN.search(w))
    return " ".join(words)


def chinese_words(text: str) -> list[list[str]]:
    """The query's Chinese words, each with the shorter words search mode finds in it:
    "医疗器械质量" → [["医疗器械", "医疗", "器械"], ["质量"]]. A document matches a word
    when it holds the word itself (its own segmentation yields the same pieces)."""
    words = []
    for word in rjieba.cut(text):
        if HAN.fullmatch(word[:1]) and all(HAN.fullmatch(ch) for ch in word):
            pieces = [p for p in dict.fromkeys(rjieba.cut_for_search(word)) if p != word]
            words.append([word, *pieces])
    return words
