"""How the newest matches of some words are best found, decided from PostgreSQL's own
statistics on the search column (see `words_walk_index`)."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchQuery,
)
from django.db import connection
from django.db.models.sql import Query as SQLQuery

from standards import search  # search.RESULT_LIMIT, read at each call (tests lower it)
from standards.models import Standard


@dataclass
class WordStatistics:
    """PostgreSQL's statistics on the search column: its estimate of the table's rows and
    the share of rows holding each of the (up to 1,000) commonest lexemes; any other
    lexeme is in fewer than `floor` of the rows."""

    rows: float
    shares: dict[str, float]
    floor: float


# The printed tsquery, and (when the statistics kept in memory are older than
# STATISTICS_TTL) the table's estimated rows and pg_stats' commonest lexemes with their
# shares, whose array ends with the lowest and highest share and the share of nulls.
PRINTED_TSQUERY_SQL = "SELECT ({tsquery})::text"
WORD_STATISTICS_SQL = """
SELECT ({tsquery})::text, c.reltuples, st.most_common_elems::text::text[],
       st.most_common_elem_freqs
FROM pg_class c
LEFT JOIN pg_stats st ON st.schemaname = c.relnamespace::regnamespace::text
 AND st.tablename = c.relname AND st.attname = 'search_vector'
WHERE c.oid = %s::regclass
"""
STATISTICS_TTL = 60  # seconds; ANALYZE (autovacuum) refreshes them far less often
_statistics: tuple[float, WordStatistics | None] = (-math.inf, None)  # (read at, figures)


def forget_statistics() -> None:
    """Read the statistics afresh at the next search (after an ANALYZE, in tests)."""
    global _statistics
    _statistics = (-math.inf, None)


def printed_and_statistics(tsquery: SearchQuery) -> tuple[str, WordStatistics | None]:
    """The tsquery as PostgreSQL prints it, and the statistics (None without any: a table
    never analysed); one query either way, so a search page's query count stays fixed."""
    global _statistics
    sql_query = SQLQuery(Standard)
    sql, params = sql_query.get_compiler(connection=connection).compile(
        tsquery.resolve_expression(sql_query)
    )
    read_at, stats = _statistics
    fresh = time.monotonic() - read_at < STATISTICS_TTL
    with connection.cursor() as cursor:
        if fresh:
            cursor.execute(PRINTED_TSQUERY_SQL.format(tsquery=sql), params)
            return cursor.fetchone()[0] or "", stats
        cursor.execute(WORD_STATISTICS_SQL.format(tsquery=sql), [*params, Standard._meta.db_table])
        printed, rows, lexemes, shares = cursor.fetchone()
    stats = None
    if lexemes and rows and rows > 0:
        stats = WordStatistics(
            float(rows), dict(zip(lexemes, shares, strict=False)), float(shares[len(lexemes)])
        )
    _statistics = (time.monotonic(), stats)
    return printed or "", stats


TSQUERY_TOKEN = re.compile(r"\s*('(?:[^']|'')*'(?::[*A-D]+)?|<->|<\d+>|[!&|()])")


def share_at_most(tsquery_text: str, stats: WordStatistics) -> float:
    """An upper bound on the share of rows a tsquery (as PostgreSQL prints it) matches:
    a lexeme's share from the statistics, the least of the parts it requires (& and
    phrases), the sum of the alternatives (|); 1 when it cannot tell (prefixes, NOT)."""
    tokens = TSQUERY_TOKEN.findall(tsquery_text)
    if "".join(tokens).replace(" ", "") != tsquery_text.replace(" ", ""):
        return 1.0
    position = 0

    def peek() -> str:
        return tokens[position] if position < len(tokens) else ""

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def alternatives() -> float:
        share = required()
        while peek() == "|":
            take()
            share = min(1.0, share + required())
        return share

    def required() -> float:
        share = phrase()
        while peek() == "&":
            take()
            share = min(share, phrase())
        return share

    def phrase() -> float:
        share = single()
        while peek() == "<->" or peek().startswith("<"):
            take()
            share = min(share, single())
        return share

    def single() -> float:
        token = take() if peek() else ""
        if token == "!":
            single()
            return 1.0
        if token == "(":
            share = alternatives()
            if take() != ")":
                raise ValueError(tsquery_text)
            return share
        if not token.startswith("'"):
            raise ValueError(tsquery_text)
        word, _quote, flags = token[1:].rpartition("'")
        if "*" in flags:
            return 1.0
        return stats.shares.get(word.replace("''", "'"), stats.floor)

    if not tokens:
        return 0.0  # only stop words: matches nothing
    try:
        share = alternatives()
    except (ValueError, IndexError):
        return 1.0
    return share if position == len(tokens) else 1.0


def words_walk_index(tsquery: SearchQuery) -> bool:
    """Whether the newest RESULT_LIMIT + 1 matches of the words are best found by walking
    the newest-first index and checking each row, or by reading every match from the
    full-text index and sorting them (the same rows either way).

    The walk reads about rows × RESULT_LIMIT / matches rows, the sort reads the matches:
    the walk wins above √(RESULT_LIMIT × rows) matches ("safety", "安全"), the sort below
    ("电器" on 200,000 standards: 47 → 15 ms). PostgreSQL itself walks the index for both,
    as it underrates the cost of checking a row. The matches are bounded from its
    statistics (`share_at_most`); without statistics the index is walked.
    """
    printed, stats = printed_and_statistics(tsquery)
    if stats is None:
        return True
    matches = share_at_most(printed, stats) * stats.rows
    return matches >= math.sqrt((search.RESULT_LIMIT + 1) * stats.rows)
