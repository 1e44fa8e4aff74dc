"""The search engine: an embedded tantivy index of the public standards, beside
PostgreSQL, which stays the single source of truth.

Layout, under settings.SEARCH_INDEX_DIR (var/search/ by default): one directory per
*generation* of the index and a file `CURRENT` naming the one in use. `manage.py
rebuild_search` builds a new generation from the database and switches `CURRENT` to it;
the follower (`follow`, run by the task worker after every write and by `manage.py
follow_search`) applies the search log (standards.search.log) to the current one.

The follower's cursor is a PostgreSQL transaction id, kept in the index itself (the
"meta" document, committed with the documents it accounts for). Each run applies every
log entry committed at or above the cursor, then moves the cursor to the oldest
transaction still running: every transaction below it has finished, so no entry can
commit below the cursor later, while the entries above it are read again by the next
runs until the cursor passes them (a long transaction elsewhere delays nothing). A crash
before the index commit leaves the cursor where it was and the next run reads the same
standards again; a document is always deleted by its primary key before it is added, so
reading one twice changes nothing.

A standard's status depends on the day (standards.status): each document holds its
status on the index's `status_day` and the first later day it may change
(`status_until`). On a new day the follower indexes again the documents whose status
moves that day.

Readers (`reader()`) open the current generation and follow its commits. Search uses
the index only when it is `usable_reader()`: present, of this database and schema, of
today, and with no log
entry older than SEARCH_INDEX_MAX_LAG seconds left to apply; otherwise the search page
falls back to PostgreSQL (standards.search.postgres) and logs why.

Words are indexed as PostgreSQL's own lexemes (the stored search column, English stemmed,
Chinese segmented, with their positions), and a query's words are read by PostgreSQL into
a tsquery that `translate` turns into the same query here: the engine and the fallback
match the same rows for the same words.
"""

from __future__ import annotations

import dataclasses
import datetime
import fcntl
import functools
import json
import logging
import math
import os
import re
import secrets
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import tantivy
from django.conf import settings
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from cesip import cache as page_cache
from standards import search
from standards.identifiers import key_variants
from standards.models import Citation, LegalForce, SearchLogEntry, Standard, Status
from standards.search.planner import TSQUERY_TOKEN
from standards.search.query import Query
from standards.status import status_on

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # 2: the title's words, for similar_titles; 3: title_start and part
CHUNK = 5000  # standards read from the database at a time
WRITER_HEAP = 40_000_000  # bytes; tantivy commits segments internally beyond it (peak memory)
NO_DATE = 0  # days (proleptic ordinal) of a missing date: sorts last, newest first
NEVER = datetime.date.max.toordinal()
FACET_FIELDS = ["sector", "jurisdiction", "status", "legal_force", "document_type", "body",
                "ics_group", "regulation"]  # fmt: skip
FACET_SIZE = 10_000
META_PK = -1
# Scores: the ways of matching, as in standards.search.postgres (identifier 100 or 50,
# product 6, 3 or 1, in force first among equals), words by BM25 (titles above scopes).
EXACT_SCORE, FAMILY_SCORE = 100.0, 50.0
PRODUCT_SCORES = (6.0, 3.0, 1.0)
STATUS_SCORES = {
    Status.CURRENT: 1.0,
    Status.UNCONFIRMED: 0.9,
    Status.UPCOMING: 0.8,
    Status.TRANSITION: 0.6,
}
SCOPE_BOOST = 0.4
TITLE_START_LENGTH = 60  # characters of each title kept to compare its beginning
LEXEME = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")


class EngineError(Exception):
    """The index cannot answer (missing, damaged, of another schema)."""


# ----------------------------------------------------------------------------------------
# Schema and documents
# ----------------------------------------------------------------------------------------


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("pk", stored=True, indexed=True, fast=True)
    builder.add_text_field("meta", stored=True, tokenizer_name="raw")
    for name in ("key", "family_key"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw")
    for name in ("key_parents", "key_numbers", "hs", "hs_prefix", "ics", "title_start", "part"):
        builder.add_text_field(name, tokenizer_name="raw")
    for name in ("title", "scope"):  # PostgreSQL's lexemes, pre-tokenized, with positions
        builder.add_text_field(name, tokenizer_name="raw")
    builder.add_bytes_field("title_words", stored=True)  # the title's lexemes, JSON
    for name in FACET_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    for name in ("issued", "implemented", "status_until"):  # days, see NO_DATE
        builder.add_integer_field(name, indexed=True, fast=True)
    return builder.build()


SCHEMA = schema()


def _days(value: datetime.date | None) -> int:
    return value.toordinal() if value else NO_DATE


def _lexemes(vector: str) -> tuple[list[tantivy.Token], list[tantivy.Token]]:
    """The title (weight A) and scope (other weights) tokens of a tsvector's text,
    '''safeti'':1A,5B 'toy':3A''', at PostgreSQL's positions."""
    title, scope = [], []
    for match in LEXEME.finditer(vector or ""):
        word = match.group(1).replace("''", "'")
        for position in (match.group(2) or "1").split(","):
            weight = position[-1] if position[-1].isalpha() else "D"
            number = int(position.rstrip("ABCD"))
            token = tantivy.Token(word, number, number, number)
            (title if weight == "A" else scope).append(token)
    return title, scope


def key_parents(key: str) -> list[str]:
    """What `key` starts with, followed by "-" or ".": the documents it is a part of
    (IEC60335-2-23:2026 → IEC60335, IEC60335-2), as `key__startswith=family + "-"`."""
    return sorted({key[:i] for i, ch in enumerate(key) if ch in "-." and i})


def key_numbers(key: str) -> list[str]:
    """The key from each run of digits on (GBT20001.1-2009 → 20001.1-2009, 1-2009, 2009):
    a bare number typed is a prefix of one of them."""
    return sorted({key[m.start() :] for m in re.finditer(r"(?<!\d)\d", key)})


def _next_status_change(row: SimpleNamespace, day: datetime.date) -> datetime.date:
    dates = [row.valid_until, row.withdrawn_date, row.implementation_date or row.issued_date]
    if row.superseded_by_id:
        dates.append(row.superseded_from)
    later = [d for d in dates if d and d > day]
    return min(later) if later else datetime.date.max


STATUS_FIELDS = ["stage", "superseded_by_id", "superseded_from", "valid_until", "withdrawn_date",
                 "implementation_date", "issued_date", "status_confirmed_on"]  # fmt: skip


def documents(condition: dict, day: datetime.date) -> Iterator[tuple[int, tantivy.Document]]:
    """(pk, document) of the public standards matching `condition` (ORM lookups on pk)."""
    rows = list(
        Standard.objects.public()
        .filter(**condition)
        .annotate(vector=Cast("search_vector", TextField()))
        .values(
            "pk",
            "key",
            "family_key",
            "jurisdiction",
            "legal_force",
            "document_type",
            "body__code",
            "title_en",
            "title_zh_hans",
            "vector",
            *STATUS_FIELDS,
        )  # fmt: skip
    )
    if not rows:
        return
    links = {"pk__in": [row["pk"] for row in rows]}
    related = _related(links["pk__in"])
    for row in rows:
        pk = row["pk"]
        document = tantivy.Document()
        document.add_integer("pk", pk)
        document.add_text("key", row["key"])
        document.add_text("family_key", row["family_key"])
        for parent in key_parents(row["key"]):
            document.add_text("key_parents", parent)
        for number in key_numbers(row["key"]):
            document.add_text("key_numbers", number)
        title, scope = _lexemes(row["vector"])
        if title:
            document.add_pre_tokenized_text("title", tantivy.PreTokenizedString("", title))
            words = list(dict.fromkeys(token.text for token in title))
            document.add_bytes("title_words", json.dumps(words, ensure_ascii=False).encode())
        if scope:
            document.add_pre_tokenized_text("scope", tantivy.PreTokenizedString("", scope))
        family = row["family_key"]
        if not re.search(search.HAS_PART, family) or re.search(search.FIRST_PART, family):
            document.add_text("part", "general")
        for title_text in (row["title_en"], row["title_zh_hans"]):
            if title_text:  # what query.title_start is compared with, as the database does
                document.add_text("title_start", title_text[:TITLE_START_LENGTH].lower())
        for name in ("jurisdiction", "legal_force", "document_type"):
            if row[name]:
                document.add_text(name, row[name])
        if row["body__code"]:
            document.add_text("body", row["body__code"])
        state = SimpleNamespace(**{name: row[name] for name in STATUS_FIELDS})
        document.add_text("status", status_on(state, day))
        document.add_integer("status_until", _next_status_change(state, day).toordinal())
        document.add_integer("issued", _days(row["issued_date"]))
        document.add_integer("implemented", _days(row["implementation_date"]))
        for slug in related["sector"].get(pk, ()):
            document.add_text("sector", slug)
        groups = set()
        for code in related["ics"].get(pk, ()):
            parts = code.split(".")
            groups.add(parts[0])
            for i in range(1, len(parts) + 1):
                document.add_text("ics", ".".join(parts[:i]))
        for group in sorted(groups):
            document.add_text("ics_group", group)
        prefixes = set()
        for code in related["hs"].get(pk, ()):
            document.add_text("hs", code)
            prefixes |= {code[:i] for i in range(2, len(code) + 1)}
        for prefix in sorted(prefixes):
            document.add_text("hs_prefix", prefix)
        for slug in sorted(set(related["regulation"].get(pk, ()))):
            document.add_text("regulation", slug)
        yield pk, document


def _related(pks: list[int]) -> dict[str, dict[int, list[str]]]:
    """The sectors, ICS and HS codes and citing published acts of these standards."""
    through = {
        "sector": (Standard.sectors.through, "sector__slug"),
        "ics": (Standard.ics_codes.through, "icscode__code"),
        "hs": (Standard.hs_codes.through, "hscode__code"),
    }
    related: dict[str, dict[int, list[str]]] = {}
    for name, (model, field) in through.items():
        found = defaultdict(list)
        for pk, value in model.objects.filter(standard_id__in=pks).values_list(
            "standard_id", field
        ):
            found[pk].append(value)
        related[name] = found
    cited = defaultdict(list)
    for pk, slug in Citation.objects.filter(
        standard_id__in=pks, regulation__published=True
    ).values_list("standard_id", "regulation__slug"):
        cited[pk].append(slug)
    related["regulation"] = cited
    return related


def _meta_document(meta: dict) -> tantivy.Document:
    document = tantivy.Document()
    document.add_integer("pk", META_PK)
    document.add_text("meta", json.dumps(meta, sort_keys=True))
    return document


# ----------------------------------------------------------------------------------------
# Generations, locks and the database cursor
# ----------------------------------------------------------------------------------------


def root() -> Path:
    return Path(settings.SEARCH_INDEX_DIR)


def current_generation() -> Path | None:
    try:
        name = (root() / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    path = root() / name
    return path if name and path.is_dir() else None


@contextmanager
def writing(*, wait: bool) -> Iterator[bool]:
    """The one writer of this index directory across processes (an flock): yields
    whether it was taken (always, when `wait`)."""
    root().mkdir(parents=True, exist_ok=True)
    with open(root() / ".writer.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def database_identity() -> str:
    """Which database the index was built from (its oid and name): an index of another
    database, or of this one dropped and created again, is rebuilt, not followed (the
    transaction ids of its cursor mean nothing there)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oid::text || ':' || datname FROM pg_database WHERE datname = current_database()"
        )
        return cursor.fetchone()[0]


def oldest_running_transaction() -> int:
    """Every transaction below this id has finished (committed or rolled back)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        return cursor.fetchone()[0]


# ----------------------------------------------------------------------------------------
# Building and following
# ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class BuildReport:
    documents: int
    seconds: float
    size_bytes: int
    path: Path


def build(*, progress=None) -> BuildReport:
    """Build a new generation of the index from the database and make it current."""
    started = time.monotonic()
    with writing(wait=True):
        cursor = oldest_running_transaction()  # what commits from here on is replayed
        day = timezone.localdate()
        name = f"g{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"
        path = root() / name
        path.mkdir(parents=True)
        index = tantivy.Index(SCHEMA, path=str(path))
        writer = index.writer(WRITER_HEAP, 1)
        count = 0
        bounds = Standard.objects.public().values_list("pk", flat=True).order_by("pk")
        last = bounds.last() or 0
        low = 0
        while low <= last:
            for _pk, document in documents({"pk__gte": low, "pk__lt": low + CHUNK}, day):
                writer.add_document(document)
                count += 1
            low += CHUNK
            if progress and count:
                progress(count)
        writer.add_document(_meta_document(_meta(cursor, day)))
        writer.commit()
        writer.wait_merging_threads()
        _switch_to(name)
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    page_cache.catalogue_changed()
    return BuildReport(count, time.monotonic() - started, size, path)


def _meta(cursor: int, day: datetime.date, applied: int = 0) -> dict:
    """The index's own record: `cursor`, the transaction below which every log entry is
    in it; `applied`, the highest log entry applied (entries above the cursor too)."""
    return {
        "schema": SCHEMA_VERSION,
        "database": database_identity(),
        "cursor": cursor,
        "applied": applied,
        "status_day": day.isoformat(),
        "followed_at": time.time(),
    }


def _switch_to(name: str) -> None:
    """Point CURRENT at generation `name` (atomically) and remove the older ones except
    the previous, which readers may still be reading."""
    pointer = root() / "CURRENT"
    previous = current_generation()
    temporary = root() / f".CURRENT.{os.getpid()}"
    temporary.write_text(name + "\n")
    temporary.replace(pointer)
    keep = {name, previous.name if previous else ""}
    for child in root().iterdir():
        if child.is_dir() and child.name.startswith("g") and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


@dataclasses.dataclass
class FollowReport:
    applied: int = 0  # standards read again (indexed or removed)
    removed: int = 0
    status_moved: int = 0
    built: bool = False
    skipped: str = ""  # why nothing was done


def follow() -> FollowReport:
    """Apply the search log (and a new day's status changes) to the current index."""
    with writing(wait=False) as taken:
        if not taken:
            return FollowReport(skipped="another process is writing the index")
        path = current_generation()
        meta = read_meta(path) if path else None
        if meta is not None and not needs_rebuild(meta):
            return _apply(path, meta)
    # Rebuilt, outside this lock (build takes it, and waits for it).
    report = build()
    return FollowReport(applied=report.documents, built=True)


def needs_rebuild(meta: dict) -> bool:
    """An index of another schema or database, or one whose unread log entries may have
    been pruned (older than the retention), cannot be followed."""
    age = time.time() - meta.get("followed_at", 0)
    return (
        meta.get("schema") != SCHEMA_VERSION
        or meta.get("database") != database_identity()
        or age > settings.SEARCH_LOG_RETENTION_DAYS * 86400 * 0.9
    )


def _apply(path: Path, meta: dict) -> FollowReport:
    report = FollowReport()
    index = tantivy.Index.open(str(path))
    upto = oldest_running_transaction()
    # Every entry committed since the cursor, including those of transactions younger
    # than the oldest still running (a long import elsewhere must not hold back an edit):
    # applied now, read again next time, until the cursor passes them.
    entries = list(
        SearchLogEntry.objects.filter(transaction_id__gte=meta["cursor"]).values_list(
            "pk", "standard_id"
        )
    )
    pks = {standard_id for _id, standard_id in entries}
    applied = max([meta.get("applied", 0), *(entry_id for entry_id, _pk in entries)])
    today = timezone.localdate()
    day = datetime.date.fromisoformat(meta["status_day"])
    if today != day:
        index.reload()
        moving = _pks(
            index.searcher(),
            tantivy.Query.range_query(
                SCHEMA, "status_until", tantivy.FieldType.Integer, None, today.toordinal()
            ),
        )
        report.status_moved = len(moving)
        pks |= moving
    if not pks and today == day and upto == meta["cursor"]:
        return report  # nothing new: the index and its cursor stay as they are
    writer = index.writer(WRITER_HEAP, 1)
    try:
        found = set()
        ordered = sorted(pks)
        for start in range(0, len(ordered), CHUNK):
            batch = ordered[start : start + CHUNK]
            for pk in batch:
                writer.delete_documents_by_term("pk", pk)
            for pk, document in documents({"pk__in": batch}, today):
                writer.add_document(document)
                found.add(pk)
        writer.delete_documents_by_term("pk", META_PK)
        writer.add_document(_meta_document(_meta(upto, today, applied)))
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    finally:
        del writer
    report.applied, report.removed = len(pks), len(pks - found)
    if pks:
        page_cache.catalogue_changed()  # pages rendered from the index before are stale
    _prune_log()
    return report


def _prune_log() -> None:
    horizon = timezone.now() - datetime.timedelta(days=settings.SEARCH_LOG_RETENTION_DAYS)
    SearchLogEntry.objects.filter(created_at__lt=horizon).delete()


def _pks(searcher: tantivy.Searcher, query: tantivy.Query) -> set[int]:
    count = searcher.search(query, 1, count=True).count
    if not count:
        return set()
    hits = searcher.search(query, count, count=False, order_by_field="pk").hits
    return {pk for pk in searcher.fast_field_values("pk", [a for _, a in hits]) if pk > 0}


def read_meta(path: Path) -> dict | None:
    try:
        index = tantivy.Index.open(str(path))
    except (ValueError, OSError):
        return None
    return _meta_of(index.searcher())


def _meta_of(searcher: tantivy.Searcher) -> dict | None:
    hits = searcher.search(tantivy.Query.term_query(SCHEMA, "pk", META_PK), 1).hits
    if not hits:
        return None
    try:
        return json.loads(searcher.doc(hits[0][1]).get_first("meta"))
    except (TypeError, ValueError):
        return None


# ----------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Reader:
    path: Path
    index: tantivy.Index
    meta: dict
    meta_mtime: float
    held: dict = dataclasses.field(default_factory=dict)  # jurisdictions → count (held())


_reader: Reader | None = None
_reader_lock = threading.Lock()


def reader() -> Reader | None:
    """The current generation, opened once per process and reloaded when it commits
    (two stat calls a search)."""
    global _reader
    path = current_generation()
    if path is None:
        return None
    try:
        mtime = (path / "meta.json").stat().st_mtime
    except FileNotFoundError:
        return None
    with _reader_lock:
        if _reader and _reader.path == path and _reader.meta_mtime == mtime:
            return _reader
        try:
            index = _reader.index if _reader and _reader.path == path else None
            index = index or tantivy.Index.open(str(path))
            index.reload()
            meta = _meta_of(index.searcher())
        except (ValueError, OSError) as error:
            logger.warning("The search index at %s cannot be read: %s", path.name, error)
            return None
        if meta is None:
            return None
        _reader = Reader(path, index, meta, mtime)
        return _reader


def forget_reader() -> None:
    global _reader, _checked
    with _reader_lock:
        _reader, _checked = None, None


# A log entry left to apply (at or above the cursor, above the last applied), older than
# the lag allowed.
BEHIND_SQL = f"""
    SELECT 1 FROM {SearchLogEntry._meta.db_table}
    WHERE transaction_id >= %s AND id > %s AND created_at < now() - make_interval(secs => %s)
    LIMIT 1
"""
_databases: dict[str, str] = {}  # connection settings → database_identity(), per process


def _this_database() -> str:
    key = repr(sorted((k, str(v)) for k, v in connection.settings_dict.items() if k != "TEST"))
    if key not in _databases:
        _databases[key] = database_identity()
    return _databases[key]


# The last index found usable, and when: checked again after CHECK_EVERY seconds (a lag
# of the log is then noticed at most that much later).
CHECK_EVERY = 1.0
_checked: tuple | None = None
_checked_at = -math.inf
_said: dict[str, float] = {}  # reason → when it was last logged (once a minute each)
SAY_EVERY = 60.0


def usable_reader() -> Reader | None:
    """The index when search may use it; None (and a log line, and a request to the
    follower when it is only behind) when search must fall back to PostgreSQL."""
    if settings.SEARCH_ENGINE != "index":
        return None
    current = reader()
    global _checked, _checked_at
    now = time.monotonic()
    if (
        current is not None
        and _checked == (current.path, current.meta_mtime)
        and (now - _checked_at < CHECK_EVERY)
    ):
        return current  # found usable less than CHECK_EVERY ago, and unchanged since
    reason = unusable_because(current)
    if not reason:
        _checked, _checked_at = (current.path, current.meta_mtime), now
        return current
    if now - _said.get(reason, -math.inf) >= SAY_EVERY:
        _said[reason] = now
        logger.warning("Search falls back to PostgreSQL: %s", reason)
        if current is not None:
            from standards.search.log import request_follow

            request_follow()
    return None


def unusable_because(current: Reader | None) -> str:
    """Why search cannot use the index now ("" when it can); one SQL query."""
    if current is None:
        return "no search index"
    meta = current.meta
    if meta.get("schema") != SCHEMA_VERSION:
        return "the search index has another schema"
    if meta.get("database") != _this_database():
        return "the search index was built from another database"
    if meta.get("status_day") != timezone.localdate().isoformat():
        return "the search index holds another day's statuses"
    with connection.cursor() as cursor:  # on every search: plain SQL, no ORM
        cursor.execute(
            BEHIND_SQL, [meta["cursor"], meta.get("applied", 0), settings.SEARCH_INDEX_MAX_LAG]
        )
        behind = cursor.fetchone() is not None
    return "the search index is behind the search log" if behind else ""


# ----------------------------------------------------------------------------------------
# Queries
# ----------------------------------------------------------------------------------------


def _term(field: str, value) -> tantivy.Query:
    return tantivy.Query.term_query(SCHEMA, field, value)


def _any(queries: list[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _all(queries: list[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])


def _const(query: tantivy.Query, score: float) -> tantivy.Query:
    return tantivy.Query.const_score_query(query, score)


def _lexeme_query(word: str, flags: str) -> tantivy.Query:
    if "*" in flags:  # prefix, 'abc':*
        pattern = re.escape(word) + ".*"
        fields = [tantivy.Query.regex_query(SCHEMA, f, pattern) for f in ("title", "scope")]
    else:
        fields = [_term("title", word), _term("scope", word)]
    if "A" in flags and "B" not in flags:
        return fields[0]
    return _any([fields[0], tantivy.Query.boost_query(fields[1], SCOPE_BOOST)])


class _Untranslatable(ValueError):
    pass


def translate(printed: str) -> tantivy.Query | None:
    """A tsquery as PostgreSQL prints it ("'safeti' & 'toy'", "'hair' <-> 'dryer'",
    "!'x'", "'a':*") as the same query on the index; None when it matches nothing
    (only stop words)."""
    tokens = TSQUERY_TOKEN.findall(printed)
    if "".join(tokens).replace(" ", "") != printed.replace(" ", ""):
        raise _Untranslatable(printed)
    if not tokens:
        return None
    position = 0

    def peek() -> str:
        return tokens[position] if position < len(tokens) else ""

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def alternatives():
        parts = [required()]
        while peek() == "|":
            take()
            parts.append(required())
        return ("or", parts) if len(parts) > 1 else parts[0]

    def required():
        parts = [phrase()]
        while peek() == "&":
            take()
            parts.append(phrase())
        return ("and", parts) if len(parts) > 1 else parts[0]

    def phrase():
        parts, gaps = [single()], []
        while peek() == "<->" or re.fullmatch(r"<\d+>", peek()):
            token = take()
            gaps.append(1 if token == "<->" else int(token[1:-1]))
            parts.append(single())
        return ("phrase", parts, gaps) if gaps else parts[0]

    def single():
        token = take() if peek() else ""
        if token == "!":
            return ("not", single())
        if token == "(":
            inner = alternatives()
            if take() != ")":
                raise _Untranslatable(printed)
            return inner
        if not token.startswith("'"):
            raise _Untranslatable(printed)
        word, _quote, flags = token[1:].rpartition("'")
        return ("word", word.replace("''", "'"), flags.lstrip(":"))

    try:
        tree = alternatives()
    except IndexError as error:
        raise _Untranslatable(printed) from error
    if position != len(tokens):
        raise _Untranslatable(printed)
    return _tree_query(tree)


def _tree_query(node) -> tantivy.Query:
    kind = node[0]
    if kind == "word":
        return _lexeme_query(node[1], node[2])
    if kind == "not":
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, _const(tantivy.Query.all_query(), 0.0)),
             (tantivy.Occur.MustNot, _tree_query(node[1]))]
        )  # fmt: skip
    if kind == "or":
        return _any([_tree_query(part) for part in node[1]])
    if kind == "and":
        clauses = []
        for part in node[1]:
            if part[0] == "not":
                clauses.append((tantivy.Occur.MustNot, _tree_query(part[1])))
            else:
                clauses.append((tantivy.Occur.Must, _tree_query(part)))
        if all(occur == tantivy.Occur.MustNot for occur, _ in clauses):
            clauses.append((tantivy.Occur.Must, _const(tantivy.Query.all_query(), 0.0)))
        return tantivy.Query.boolean_query(clauses)
    # A phrase of plain words: the same words at the same distances, in the title or the
    # scope. Anything else inside a phrase ('a' <-> ('b' | 'c')) requires its parts.
    parts, gaps = node[1], node[2]
    if all(part[0] == "word" and "*" not in part[2] for part in parts):
        offset, words = 0, []
        for i, part in enumerate(parts):
            words.append((offset, part[1]))
            if i < len(gaps):
                offset += gaps[i]
        return _any(
            [tantivy.Query.phrase_query(SCHEMA, "title", words),
             tantivy.Query.boost_query(tantivy.Query.phrase_query(SCHEMA, "scope", words),
                                       SCOPE_BOOST)]
        )  # fmt: skip
    return _all([_tree_query(part) for part in parts])


def identifier_queries(query: Query) -> tuple[list[tantivy.Query], list[tantivy.Query]]:
    """(this document, its family and parts) queries, as expressions.identifier_condition."""
    exact, family = [], []
    for parsed in query.identifiers:
        for key, family_key in key_variants(parsed):
            exact.append(_term("key", key) if parsed.year else _term("family_key", family_key))
            family += [_term("family_key", family_key), _term("key_parents", family_key)]
    for number in query.numbers:
        pattern = re.escape(number.upper()) + ".*"
        family.append(tantivy.Query.regex_query(SCHEMA, "key_numbers", pattern))
    return exact, family


def product_queries(codes: list[str]) -> list[tantivy.Query]:
    """The product's own codes (and codes below), its headings, its chapters."""
    if not codes:
        return []
    own = _any([_term("hs_prefix", code) for code in codes])
    headings = sorted({code[:4] for code in codes if len(code) > 4})
    chapters = sorted({code[:2] for code in codes})
    ways = [own]
    if headings:
        ways.append(_any([_term("hs", code) for code in headings]))
    ways.append(_any([_term("hs", code) for code in chapters]))
    return ways


@dataclasses.dataclass
class Filters:
    """The search's filters, as the FilterSet cleaned them."""

    sector: list[str] = dataclasses.field(default_factory=list)
    jurisdiction: list[str] = dataclasses.field(default_factory=list)
    status: list[str] = dataclasses.field(default_factory=list)
    legal_force: list[str] = dataclasses.field(default_factory=list)
    document_type: list[str] = dataclasses.field(default_factory=list)
    body: list[str] = dataclasses.field(default_factory=list)
    ics: str = ""
    regulation: str = ""
    issued: tuple[datetime.date | None, datetime.date | None] = (None, None)
    implemented: tuple[datetime.date | None, datetime.date | None] = (None, None)

    def queries(self) -> list[tantivy.Query]:
        found = []
        for name in ("sector", "jurisdiction", "status", "legal_force", "document_type", "body"):
            values = getattr(self, name)
            if values:
                found.append(_any([_term(name, value) for value in values]))
        if self.ics:
            found.append(_term("ics", self.ics))
        if self.regulation:
            found.append(_term("regulation", self.regulation))
        for name in ("issued", "implemented"):
            low, high = getattr(self, name)
            if low or high:
                found.append(
                    tantivy.Query.range_query(
                        SCHEMA,
                        name,
                        tantivy.FieldType.Integer,
                        low.toordinal() if low else NO_DATE + 1,
                        high.toordinal() if high else None,
                    )  # fmt: skip
                )
        return found


SORT_FIELDS = {"newest": "issued", "implementation": "implemented"}
# Hits taken in the first pass: broad words tie by the hundred (titles of the same
# length holding the same word), and a second pass costs as much as the first.
FIRST_WINDOW = 256


def search_query(
    query: Query, filters: Filters, *, words: tantivy.Query | None
) -> tuple[tantivy.Query, bool]:
    """The index query for a search, and whether it ranks (matches by words, identifiers
    or products) rather than only filters."""
    exact, family = identifier_queries(query)
    ways: list[tantivy.Query] = []
    identifiers = [_const(_any(exact), EXACT_SCORE)] if exact else []
    if family:
        identifiers.append(_const(_any(family), FAMILY_SCORE))
    if identifiers:
        ways.append(tantivy.Query.disjunction_max_query(identifiers))
    if words is not None:
        ways.append(words)
    products = product_queries(query.product_codes)
    if products:
        ways.append(
            tantivy.Query.disjunction_max_query(
                [_const(q, score) for q, score in zip(products, PRODUCT_SCORES, strict=False)]
            )
        )
    clauses = [(tantivy.Occur.Must, _const(q, 0.0)) for q in filters.queries()]
    clauses.append((tantivy.Occur.MustNot, _term("pk", META_PK)))
    ranked = bool(query or query.products)
    if ranked:
        if not ways:  # words that are only stop words: nothing matches
            return tantivy.Query.empty_query(), True
        clauses.append((tantivy.Occur.Must, _any(ways)))
        for status, score in STATUS_SCORES.items():
            clauses.append((tantivy.Occur.Should, _const(_term("status", status), score)))
        if words is not None:
            clauses += _word_boosts(query)
    elif len(clauses) == 1:
        clauses.append((tantivy.Occur.Must, _const(tantivy.Query.all_query(), 0.0)))
    return tantivy.Query.boolean_query(clauses), ranked


def _word_boosts(query: Query) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    """What ranks up among the matches of words (as standards.search.postgres does): a
    title that begins with them, a mandatory standard, a standard an act cites, a
    document's general part."""
    boosts = [
        _const(_term("legal_force", LegalForce.MANDATORY), search.MANDATORY_SCORE),
        _const(tantivy.Query.exists_query("regulation"), search.CITED_SCORE),
        _const(_term("part", "general"), search.GENERAL_PART_SCORE),
    ]
    start = query.title_start[:TITLE_START_LENGTH]
    if start:
        begins = tantivy.Query.regex_query(SCHEMA, "title_start", re.escape(start) + ".*")
        boosts.append(_const(begins, search.TITLE_START_SCORE))
    return [(tantivy.Occur.Should, boost) for boost in boosts]


_pool: tuple[int, ThreadPoolExecutor] | None = None  # (process id, pool), made after a fork


def in_background(function, *args):
    """Run `function(*args)` on this process's engine thread: tantivy lets go of the GIL
    while it searches, so the facets are counted while the page's hits are ranked."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="search"))
    return _pool[1].submit(function, *args)


def facet_counts(current: Reader, index_query: tantivy.Query) -> dict[str, dict[str, int]]:
    """Every facet value counted over every match."""
    aggregations = {name: {"terms": {"field": name, "size": FACET_SIZE}} for name in FACET_FIELDS}
    counted = current.index.searcher().aggregate(index_query, aggregations)
    return {
        name: {b["key"]: b["doc_count"] for b in counted.get(name, {}).get("buckets", [])}
        for name in FACET_FIELDS
    }


def page_ids(
    current: Reader, index_query: tantivy.Query, *, ranked: bool, sort: str, offset: int, size: int
) -> tuple[int, list[int]]:
    """Every match counted, and the primary keys of rows offset..offset + size in the
    search's order (one pass over the matches, two when ties reach past the first
    window)."""
    searcher = current.index.searcher()
    if ranked and sort == "relevance":
        return _ranked_page(searcher, index_query, offset, size)
    field = SORT_FIELDS.get(sort, "issued")
    return _sorted_page(searcher, index_query, field, offset, size)


def _window(searcher, index_query, want: int, **options) -> tuple[int, list]:
    """Every match counted, and the first hits: enough that the last hit's sort value
    differs from the value at position `want` (so that every hit tying with the page's
    last is among them)."""
    size = max(want * 2, FIRST_WINDOW)
    found = searcher.search(index_query, size, count=True, **options)
    total, hits = found.count, found.hits
    while not (len(hits) < size or len(hits) <= want or hits[want - 1][0] != hits[-1][0]):
        size *= 4
        hits = searcher.search(index_query, size, count=False, **options).hits
    return total, hits


def _page_of(searcher, hits: list, offset: int, size: int, tie_key) -> list[int]:
    """Order ties (hits with equal sort values) that reach into the page by `tie_key`
    of their stored document, and cut the page."""
    end = offset + size
    ordered: list = []
    i = 0
    while i < len(hits) and len(ordered) < end:
        j = i
        while j < len(hits) and hits[j][0] == hits[i][0]:
            j += 1
        group = hits[i:j]
        if len(ordered) + len(group) > offset and len(group) > 1:
            stored = [searcher.doc(address) for _, address in group]
            group = [
                hit for hit, _ in sorted(zip(group, stored, strict=True),
                                         key=lambda pair: tie_key(pair[1], pair[0][1]))
            ]  # fmt: skip
        ordered += group
        i = j
    page = ordered[offset:end]
    return searcher.fast_field_values("pk", [address for _, address in page])


def _ranked_page(searcher, index_query, offset: int, size: int) -> tuple[int, list[int]]:
    """Highest score first; among equals, a document before its parts, then by number,
    newest first (the PostgreSQL order: rank, length and text of the family key, issued
    date, key)."""
    total, hits = _window(searcher, index_query, offset + size)

    def tie_key(document, address):
        family = document.get_first("family_key") or ""
        issued = searcher.fast_field_values("issued", [address])[0] or NO_DATE
        return (len(family), family, -issued, document.get_first("key") or "")

    return total, _page_of(searcher, hits, offset, size, tie_key)


def _sorted_page(
    searcher, index_query, field: str, offset: int, size: int
) -> tuple[int, list[int]]:
    """Newest first by `field` (missing dates last), then by key."""
    total, hits = _window(searcher, index_query, offset + size, order_by_field=field)
    return total, _page_of(
        searcher, hits, offset, size, lambda document, _a: document.get_first("key") or ""
    )


def held(current: Reader, jurisdictions: list[str]) -> int:
    """The public standards the index holds, in these jurisdictions (all when none);
    counted once per commit of the index."""
    key = tuple(sorted(jurisdictions))
    if key in current.held:
        return current.held[key]
    clauses = [(tantivy.Occur.MustNot, _term("pk", META_PK))]
    if jurisdictions:
        clauses.append(
            (tantivy.Occur.Must, _any([_term("jurisdiction", j) for j in jurisdictions]))
        )
    else:
        clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
    found = current.index.searcher().search(tantivy.Query.boolean_query(clauses), 1).count
    current.held[key] = found
    return found


SIMILAR_SHOWN = 10
SIMILAR_TITLE_WORDS = 12  # of a title, the rarest, for similar_titles


def similar_titles(current: Reader, pk: int, jurisdictions: list[str], limit: int = 5) -> list[int]:
    """Standards of `jurisdictions` whose titles share the most telling words of this
    standard's title ("more like this"): at least half of its words in one language, the
    rarer the better (BM25), other documents only. Suggestions for a record with no counterpart
    recorded, never presented as one."""
    searcher = current.index.searcher()
    hits = searcher.search(_term("pk", pk), 1).hits
    if not hits:
        return []
    document = searcher.doc(hits[0][1])
    stored = document.get_first("title_words")
    words = json.loads(bytes(stored).decode()) if stored else []
    words = [w for w in words if len(w) > 1 and not w.isdigit()]
    if not words:
        return []
    # The rarest words say most about the subject ("dryer" more than "safety").
    frequency = {w: searcher.doc_freq("title", w) for w in words}
    words = sorted(words, key=lambda w: frequency[w])[:SIMILAR_TITLE_WORDS]
    # Titles are in one language or both: half the words of one language must match.
    latin = sum(1 for w in words if w.isascii())
    needed = max(1, math.ceil(max(latin, len(words) - latin) / 2))
    titles = tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, _term("title", w)) for w in words], needed
    )
    clauses = [
        (tantivy.Occur.Must, titles),
        (tantivy.Occur.MustNot, _term("pk", META_PK)),
        (tantivy.Occur.MustNot, _term("family_key", document.get_first("family_key") or "")),
    ]
    if jurisdictions:
        clauses.append(
            (tantivy.Occur.Must, _const(_any([_term("jurisdiction", j) for j in jurisdictions]), 0))
        )
    found = searcher.search(tantivy.Query.boolean_query(clauses), limit).hits
    return searcher.fast_field_values("pk", [address for _, address in found])


def count(current: Reader, index_query: tantivy.Query) -> int:
    """How many documents match `index_query`."""
    return current.index.searcher().search(index_query, 1, count=True).count


def similar_ids(current: Reader, filters: Filters, printed: str) -> list[int]:
    """For a search that found nothing: the standards whose titles hold words one or two
    edits away from the Latin words searched (fuzzy terms: "safty" finds "safety"),
    every word if possible, else all but one; best first."""
    words = [
        word
        for word, _flags in re.findall(r"'((?:[^']|'')+)'(:[*A-D]+)?", printed)
        if word.isascii() and word.isalpha() and len(word) >= 3
    ]
    if not words:
        return []
    clauses = []
    for word in dict.fromkeys(words):
        distance = 1 if len(word) <= 5 else 2
        clauses.append(
            _any(
                [
                    tantivy.Query.fuzzy_term_query(SCHEMA, "title", word, distance),
                    tantivy.Query.boost_query(
                        tantivy.Query.fuzzy_term_query(SCHEMA, "scope", word, distance), SCOPE_BOOST
                    ),
                ]
            )  # fmt: skip
        )
    narrowing = [(tantivy.Occur.Must, _const(q, 0.0)) for q in filters.queries()]
    narrowing.append((tantivy.Occur.MustNot, _term("pk", META_PK)))
    searcher = current.index.searcher()
    for needed in sorted({len(clauses), max(1, len(clauses) - 1)}, reverse=True):
        words_query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, clause) for clause in clauses], needed
        )
        index_query = tantivy.Query.boolean_query([*narrowing, (tantivy.Occur.Must, words_query)])
        hits = searcher.search(index_query, SIMILAR_SHOWN).hits
        if hits:
            return searcher.fast_field_values("pk", [address for _, address in hits])
    return []


def printed_tsquery(tsquery) -> str:
    """A tsquery (django SearchQuery) as PostgreSQL prints it: one SQL query the first
    time a text is searched (in this process), none after (the text search
    configurations do not change while the site runs)."""
    from django.db.models.sql import Query as SQLQuery

    sql_query = SQLQuery(Standard)
    sql, params = sql_query.get_compiler(connection=connection).compile(
        tsquery.resolve_expression(sql_query)
    )
    return _printed(sql, tuple(params))


@functools.lru_cache(maxsize=4096)
def _printed(sql: str, params: tuple) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({sql})::text", params)
        return cursor.fetchone()[0] or ""


def bare_floor(texts: Iterable[str], runs: int) -> list[float]:
    """Milliseconds of a bare engine query per text and run (the bench's floor): the same
    index query the search page runs (read and translated before the clock starts),
    counted, with its first 20 hits by score; no facets, no database, no page."""
    from urllib.parse import parse_qs

    from standards.search.expressions import text_query
    from standards.search.query import find_products, read_query

    current = reader()
    if current is None:
        raise EngineError("no search index: run manage.py rebuild_search")
    searcher = current.index.searcher()
    timings = []
    for text in texts:
        filters = Filters()
        if "=" in text:
            for name, values in parse_qs(text).items():
                if hasattr(filters, name) and isinstance(getattr(filters, name), list):
                    setattr(filters, name, values)
            query = Query()
        else:
            query = find_products(read_query(text))
        tsquery = text_query(query)
        words = translate(printed_tsquery(tsquery)) if tsquery is not None else None
        index_query, _ranked = search_query(query, filters, words=words)
        for _run in range(runs):
            started = time.perf_counter()
            searcher.search(index_query, 20, count=True)
            timings.append((time.perf_counter() - started) * 1000)
    return timings
