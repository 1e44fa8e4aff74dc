"""Search latency on a 200,000-standard catalogue (run by cesip.bench in a scratch
database that already holds the ISO, IEC and ETSI lists).

The catalogue is topped up with Chinese and European records generated on the patterns
of the real ones (GB/T numbers, EN numbers, titles put together from the words of the
demo catalogue's real titles, in both languages). They exist only in the scratch
database. Then a fixed list of queries per class goes through the search page (the
view, its template and every query it makes) and the figures are printed, with plain
`icontains` on the titles as a baseline.

An identifier typed with its year that names one record redirects to it: those answers
are timed and counted on their own line ("identifier → record"), so that every other
line counts the queries of a rendered search page.

Every identifier query names a record of this catalogue (one of the lists, or one that
`top_up` generates among its first records): `check_identifiers` stops the bench at
the start if one does not, so that the identifier line cannot drift into timing the
no-results page. The page cache is off (the warm-up would otherwise be the only request
that runs the view), and a timed request that made no query stops the bench as well.

After the top-up the standards table and its link tables are vacuumed and analysed, so
that the planner and the visibility map see the catalogue as it is. The demo's
regulations, product words and market-access notes are loaded when the catalogue has
none, for the requirement sheets timed with the standard pages at the end.

If `standards.search.engine` is there with `bare_floor(texts, runs)`, a second table
gives the bare engine's time per class next to the page's.

To measure an existing catalogue without the import bench, point DATABASE_URL at it and
run `BENCH_SEARCH_ONLY=1 python -m cesip.bench` (or `python -m cesip.bench_search`); it is
topped up to BENCH_SEARCH_TARGET standards first if smaller.
"""

from __future__ import annotations

import csv
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cesip.settings")
django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402

# Production settings with plain static storage: the bench runs without collectstatic.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No page cache: every timed request runs the view (a cached answer takes under 1 ms and
# no query, which is what the figures measured while it was on).
settings.CACHE_PAGES = False

from django.db import connection  # noqa: E402
from django.db.models import F, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import translation  # noqa: E402

from sectors.imports import import_market_access, import_product_terms  # noqa: E402
from sectors.models import IcsCode, ProductTerm, Sector  # noqa: E402
from standards.filters import StandardFilterSet  # noqa: E402
from standards.identifiers import key_variants  # noqa: E402
from standards.imports.regulations import import_regulations  # noqa: E402
from standards.models import Body, Standard, TechnicalRegulation  # noqa: E402
from standards.search.facets import FACET_ORDER  # noqa: E402
from standards.search.query import read_query  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
TARGET = int(os.environ.get("BENCH_SEARCH_TARGET", "200000"))
COUNT = re.compile(r'id="standards-heading">\s*([\d,]+\+?) standard')
RUNS = 5
TARGETS = (
    "targets: page p95 ≤ 40 ms per class; core p95 ≤ 3× floor; standard page p95 ≤ 25 ms;"
    " sheet p95 ≤ 40 ms; relaxed and product finder p95 < 100 ms"
)

# Identifiers of this catalogue (checked at the start by `check_identifiers`): ISO 13485,
# IEC 60335-2-23 and ETSI EN 300 328 are in the publication lists; the GB and EN ones
# are among the first 30 records `top_up` generates (the same whatever the target: its
# random numbers are seeded). Spellings: with the year (a redirect to the record) and
# without; lower case and without the space ("gb20006.8" is GB 20006.8-2015); an EN
# number without the space.
QUERIES = {
    "identifiers": ["GB/T 20008.1", "gb20006.8", "EN50005-1", "ISO 13485:2016",
                    "IEC 60335-2-23", "EN 50013-9", "GB 20014.5-2006", "ETSI EN 300 328"],
    "english words": ["hair care appliances", "quality management medical devices",
                      "mechanical properties toys", "leather chromium", "packaging recovery"],
    "chinese words": ["电器 安全", "医疗器械 质量管理", "玩具 机械", "纺织品 甲醛", "气雾罐"],
    "mixed": ["GB 4706 电器", "EN 71 玩具 safety", "纺织品 textiles", "ISO 12100 机械安全"],
    "broad words": ["safety", "安全", "requirements", "要求", "test"],
    "filters only": ["sector=toys", "jurisdiction=CN&status=current",
                     "sector=electrical-equipment&sort=newest", "legal_force=mandatory&page=3"],
}  # fmt: skip
# Searches that find nothing as typed, answered by a loosened search (standards.search.
# relax): a misspelling, a prefix alone, words no title holds together, pinyin, a typo
# of a product name. Timed apart, since the relaxation only runs when the search as typed
# found nothing (each step is one more search).
# One per loosening step: spelling, identifier equivalents, synonyms, a prefix alone,
# pinyin, most words ("safty of toys" and "hairdrier" now name the product toys and hair
# dryer, so they are found as typed).
RELAXED = ["mechanical propertys of toyz", "EN 14971", "NMPA", "QB/T", "wanju", "协调标准"]
# The product finder as exporters type: broad products, plurals, typos, Chinese, pinyin.
FINDER = ["q=toy&market=eu", "q=玩具&market=eu", "q=Hair+Dryers&market=cn",
          "q=hairdrier&market=cn", "q=包装&market=eu", "q=wanju&market=eu"]  # fmt: skip
STANDARD_PAGES = 50
# Requirement sheets (standards:product_finder): product words and HS codes, both markets.
SHEETS = ["q=hair+dryer&market=eu", "q=hair+dryer&market=cn", "q=syringe&market=eu",
          "q=face+mask&market=cn", "hs=9503&market=eu", "hs=851631&market=cn"]  # fmt: skip
SHEET_MARK = 'class="sheet-meta"'


def _vocabulary() -> tuple[list[str], list[str]]:
    english, chinese = [], []
    for path in sorted(DEMO.glob("cn_standards*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                english += [w for w in row["英文标准名称"].replace("—", " ").split() if w.isalpha()]
                chinese += [w for w in row["中文标准名称"].replace(":", " ").split() if w]
    return english, chinese


def top_up() -> None:
    have = Standard.objects.count()
    missing = TARGET - have
    if missing <= 0:
        return
    rng = random.Random(2026)
    english, chinese = _vocabulary()
    bodies = {
        code: Body.objects.get_or_create(
            code=code, defaults={"name_en": code, "name_zh_hans": code, "jurisdiction": j}
        )[0]
        for code, j in (("SAC", "CN"), ("CEN", "EU"))
    }
    sectors = list(Sector.objects.all())
    ics = list(IcsCode.objects.filter(code__contains=".").values_list("pk", flat=True))
    started = time.perf_counter()
    batch: list[Standard] = []
    made = 0
    for index in range(missing):
        chinese_record = index % 2 == 0
        year = rng.randint(1995, 2026)
        if chinese_record:
            prefix = rng.choice(["GB", "GB/T", "GB/T", "QB/T", "FZ/T", "YY/T"])
            identifier = f"{prefix} {20000 + index // 2}.{rng.randint(1, 9)}-{year}"
        else:
            identifier = f"EN {50000 + index // 2}-{rng.randint(1, 9)}:{year}"
        standard = Standard(
            published=True,
            stage=rng.choice(["published"] * 4 + ["withdrawn", "superseded"]),
            body=bodies["SAC" if chinese_record else "CEN"],
            title_en=" ".join(rng.sample(english, 7)),
            title_zh_hans="".join(rng.sample(chinese, 3)),
            issued_date=f"{year}-{rng.randint(1, 12):02d}-01",
        )
        standard.set_identifier(identifier)
        standard.refresh_search_text()
        batch.append(standard)
        if len(batch) == 5000:
            made += _write(batch, sectors, ics, rng)
    made += _write(batch, sectors, ics, rng)
    print(
        f"  generated {made:,} Chinese and European records"
        f" in {time.perf_counter() - started:.0f} s"
    )


def _write(batch: list[Standard], sectors, ics, rng) -> int:
    if not batch:
        return 0
    created = Standard.objects.bulk_create(batch, ignore_conflicts=True)
    keys = [s.key for s in created]
    pks = list(Standard.objects.filter(key__in=keys).values_list("pk", flat=True))
    Standard.sectors.through.objects.bulk_create(
        [Standard.sectors.through(standard_id=pk, sector_id=rng.choice(sectors).pk) for pk in pks]
    )
    Standard.ics_codes.through.objects.bulk_create(
        [Standard.ics_codes.through(standard_id=pk, icscode_id=rng.choice(ics)) for pk in pks]
    )
    count = len(batch)
    batch.clear()
    return count


def vacuum() -> None:
    """VACUUM (ANALYZE) the standards table and its link tables (sectors, ICS, CCS, HS,
    replacements, adoptions), then ANALYZE the other tables of the catalogue apps:
    fresh statistics for the planner, and a visibility map that lets index-only scans
    skip the heap, as on a catalogue that autovacuum has caught up with. VACUUM cannot
    run in a transaction: Django's connection outside `atomic` is in autocommit, which
    is checked rather than assumed."""
    if connection.in_atomic_block or not connection.get_autocommit():
        raise RuntimeError("VACUUM needs an autocommit connection, outside any transaction")
    tables = [Standard._meta.db_table]
    for field in Standard._meta.get_fields():
        if field.many_to_many:
            through = field.remote_field.through if field.concrete else field.through
            tables.append(through._meta.db_table)
    tables = list(dict.fromkeys(tables))
    present = set(connection.introspection.table_names())
    others = [
        model._meta.db_table
        for app in ("standards", "sectors")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
        if model._meta.db_table in present and model._meta.db_table not in tables
    ]
    others = list(dict.fromkeys(others))
    quoted = connection.ops.quote_name
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) " + ", ".join(map(quoted, tables)))
        cursor.execute("ANALYZE " + ", ".join(map(quoted, others)))
    print(
        f"  VACUUM (ANALYZE) of {', '.join(tables)}; ANALYZE of the other {len(others)}"
        f" catalogue tables: {time.perf_counter() - started:.1f} s"
    )


def load_requirement_data() -> None:
    """The demo's regulations, product words and market-access notes, when the catalogue
    has none: without them every requirement sheet is "no product is called …" and the
    sheet timing would measure an empty page. (Their standards and citations are not
    loaded: the catalogue stays the lists plus the generated records.)"""
    loaded = []
    if not TechnicalRegulation.objects.exists():
        for path in sorted((DEMO / "regulations").glob("*.csv")):
            loaded.append(f"{import_regulations(path).created} regulations ({path.name})")
    if not ProductTerm.objects.exists():
        loaded.append(f"{import_product_terms(DEMO / 'product_terms.csv').created} product terms")
        import_market_access(DEMO / "market_access.csv")
    if loaded:
        print("  loaded from data/demo: " + ", ".join(loaded))


def check_identifiers(client: Client) -> None:
    """Stop the bench unless every identifier query names a record of this catalogue and
    the search page finds it (sends to the record, or counts at least one standard): an
    identifier that is not there, or a search that misses it, times the no-results page,
    not the identifier path, and nothing else would say so. The page is asked, not a
    function behind it, so that whichever engine answers the page is the one checked."""
    problems = []
    for text in QUERIES["identifiers"]:
        parsed = read_query(text).only_identifier
        if parsed is None:
            problems.append(f"{text!r} is not read as one identifier")
            continue
        variants = key_variants(parsed)
        named = Standard.objects.public().filter(family_key__in=[f for _key, f in variants])
        if parsed.year:
            named = named.filter(key__in=[key for key, _family in variants])
        if not named.exists():
            problems.append(f"{text!r}: no public record of the catalogue has this identifier")
            continue
        response = client.get(f"/en/search/?q={text}", secure=True)
        if response.status_code == 302:
            continue
        found = COUNT.search(response.content.decode()) if response.status_code == 200 else None
        if not found or not int(found.group(1).rstrip("+").replace(",", "")):
            problems.append(
                f"{text!r}: the record exists but the search page finds no row"
                f" (answered {response.status_code}"
                + (f", “{found.group(1)} standards”)" if found else ", no count of standards)")
            )
    if problems:
        raise SystemExit(
            "The identifier queries of cesip/bench_search.py must name records of the bench"
            " catalogue (the ISO, IEC and ETSI lists, and the first records top_up"
            " generates), found by its search page:\n  " + "\n  ".join(problems)
        )


def _rows(rows: list[str]) -> str:
    """Mean rows per query; "1,000+" (the search's limit) counts as 1,000 and marks it."""
    numbers = [int(row.rstrip("+").replace(",", "")) for row in rows]
    capped = "+" if any(row.endswith("+") for row in rows) else ""
    return f"{int(statistics.mean(numbers)):,}{capped}"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _timed(client: Client, url: str, expected: tuple[int, ...] = (200,)):
    """One warm-up, then RUNS timed requests: (timings in ms, query counts, last answer).
    Stops the bench on an unexpected status, or on a timed answer that ran no query (the
    view did not run: some cache answered)."""
    warm = client.get(url, secure=True)
    if warm.status_code not in expected:
        raise SystemExit(f"{url} answered {warm.status_code}")
    timings, query_counts = [], []
    for _run in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, secure=True)
            timings.append((time.perf_counter() - started) * 1000)
        if not captured.captured_queries:
            raise SystemExit(f"{url} was answered without a query: the view did not run")
        query_counts.append(len(captured.captured_queries))
    return timings, query_counts, response


def _queries(counts) -> str:
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}-{high}"


def measure() -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    check_identifiers(client)
    total = Standard.objects.count()
    print(f"  catalogue: {total:,} standards")
    header = f"  {'class':20} {'p50 ms':>8} {'p95 ms':>8} {'rows':>9} {'queries':>9}"
    print("Search page (server time per request, " + f"{RUNS} runs per query after one warm-up)")
    print(header)
    by_class: dict[str, list[float]] = {}
    for name, queries in QUERIES.items():
        figures: dict[str, tuple[list[float], list[str], list[int]]] = {}
        for text in queries:
            url = "/en/search/?" + (text if name == "filters only" else f"q={text}")
            timings, query_counts, response = _timed(client, url, expected=(200, 302))
            line = name if response.status_code == 200 else "identifier → record"
            line_timings, rows, line_counts = figures.setdefault(line, ([], [], []))
            line_timings += timings
            line_counts += query_counts
            by_class.setdefault(name, []).extend(timings)
            if response.status_code == 200:
                found = COUNT.search(response.content.decode())
                if not found:
                    # E.g. "the search could not run": that page is not what is timed here.
                    raise SystemExit(f"{url} shows no count of standards: the search did not run")
                rows.append(found.group(1))
            else:
                rows.append("1")
        for line, (timings, rows, query_counts) in figures.items():
            print(
                f"  {line:20} {statistics.median(timings):8.1f} "
                f"{_percentile(timings, 0.95):8.1f} {_rows(rows):>9} {_queries(query_counts):>9}"
            )
    relaxed_and_finder(client)
    engine_floor(by_class)
    record_pages(client)
    print("  " + TARGETS)
    print("Baseline: plain icontains on both titles (count + first 20 rows)")
    print(f"  {'class':20} {'p50 ms':>8} {'p95 ms':>8} {'rows':>9}")
    for name, queries in QUERIES.items():
        if name == "filters only":
            continue
        timings, rows = [], []
        for text in queries:
            condition = Q(title_en__icontains=text) | Q(title_zh_hans__icontains=text)
            for _run in range(RUNS):
                started = time.perf_counter()
                found = Standard.objects.filter(condition)
                count = found.count()
                list(found.order_by("key")[:20])
                timings.append((time.perf_counter() - started) * 1000)
            rows.append(count)
        print(
            f"  {name:20} {statistics.median(timings):8.1f} {_percentile(timings, 0.95):8.1f} "
            f"{int(statistics.mean(rows)):9,}"
        )


def build_index() -> None:
    """Build the search index of this catalogue in a scratch directory, as `manage.py
    rebuild_search --index-only` does, in a child process: its time, size on disk and
    peak memory (the child's largest resident set)."""
    directory = Path(tempfile.mkdtemp(prefix="cesip-bench-index-"))
    env = {**os.environ, "SEARCH_INDEX_DIR": str(directory)}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "rebuild_search", "--index-only"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"rebuild_search failed:\n{result.stderr[-2000:]}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
    print("Search index (manage.py rebuild_search --index-only, in a child process)")
    print(
        f"  {Standard.objects.public().count():,} standards: {seconds:.1f} s wall clock, "
        f"{size / 1e6:.1f} MB on disk, peak memory {peak_mb:.0f} MB "
        "(targets: ≤ 60 s, ≤ 300 MB)"
    )
    settings.SEARCH_INDEX_DIR = directory
    os.environ["SEARCH_INDEX_DIR"] = str(directory)


def core_timings(name: str, queries: list[str]) -> list[float]:
    """The search without the page around it: the FilterSet, the query read, the index
    queries (every match counted, every facet over all of them), the facet labels and
    the page's 20 rows from PostgreSQL (standards.views.search.search_index)."""
    from django.test import RequestFactory

    from standards.views.search import public_standards, search_index

    factory = RequestFactory()
    timings = []
    for text in queries:
        url = "/en/search/?" + (text if name == "filters only" else f"q={text}")
        request = factory.get(url)
        for run in range(RUNS + 1):
            started = time.perf_counter()
            data = request.GET.copy()
            data.setdefault("sort", "relevance")
            filterset, _problems = StandardFilterSet(
                data, queryset=public_standards(), request=request
            ).cleaned()
            query = filterset.read_q()
            selected = {facet: request.GET.getlist(facet) for facet in FACET_ORDER}
            found = search_index(request, filterset, query, selected)
            if found is None:
                raise SystemExit(f"{url}: the engine did not answer (see the log)")
            if run:  # the first is the warm-up
                timings.append((time.perf_counter() - started) * 1000)
    return timings


def relaxed_and_finder(client: Client) -> None:
    """The loosened searches (RELAXED) and the product finder (FINDER), as lines of the
    search page's table; a search the catalogue answered without loosening is said."""
    timings, counts, rows, unloosened = [], [], [], []
    for text in RELAXED:
        page_timings, page_counts, response = _timed(client, f"/en/search/?q={text}")
        html = response.content.decode()
        if 'class="notice relaxed"' not in html:
            unloosened.append(text)
        found = COUNT.search(html)
        rows.append(found.group(1) if found else "0")
        timings += page_timings
        counts += page_counts
    print(
        f"  {'relaxed (loosened)':20} {statistics.median(timings):8.1f} "
        f"{_percentile(timings, 0.95):8.1f} {_rows(rows):>9} {_queries(counts):>9}"
    )
    if unloosened:
        print(f"    (found as typed, not loosened, in this catalogue: {', '.join(unloosened)})")
    timings, counts = [], []
    for params in FINDER:
        page_timings, page_counts, response = _timed(client, f"/en/products/?{params}")
        if "No product is called" in response.content.decode():
            raise SystemExit(f"/en/products/?{params} dead-ends: no product, no way on")
        timings += page_timings
        counts += page_counts
    print(
        f"  {'product finder':20} {statistics.median(timings):8.1f} "
        f"{_percentile(timings, 0.95):8.1f} {len(FINDER):9} {_queries(counts):>9}"
    )


def engine_floor(page_timings: dict[str, list[float]]) -> None:
    """Per class: the page, the search core (core_timings) and the bare engine's time
    (engine.bare_floor: the same index query, counted, its first 20 hits, nothing
    around it), and core ÷ floor at p95 (target ≤ 3×)."""
    from standards.search import engine

    print(f"Search core and bare engine floor ({RUNS} runs per query after one warm-up)")
    print(
        f"  {'class':20} {'page p95':>9} {'core p50':>9} {'core p95':>9} {'floor p50':>10} "
        f"{'floor p95':>10} {'core ÷ floor':>13}"
    )
    for name, queries in QUERIES.items():
        core = core_timings(name, [q for q in queries if not _redirects(q)])
        floor = list(engine.bare_floor([q for q in queries if not _redirects(q)], RUNS))
        core95, floor95 = _percentile(core, 0.95), _percentile(floor, 0.95)
        print(
            f"  {name:20} {_percentile(page_timings[name], 0.95):9.1f} "
            f"{statistics.median(core):9.2f} {core95:9.2f} {statistics.median(floor):10.2f} "
            f"{floor95:10.2f} {core95 / floor95:12.1f}×"
        )


def _redirects(text: str) -> bool:
    """An identifier with its year that names one record: the page redirects to it, and
    no search runs."""
    parsed = read_query(text).only_identifier
    if not parsed or not parsed.year:
        return False
    keys = [key for key, _family in key_variants(parsed)]
    return Standard.objects.public().filter(key__in=keys).count() == 1


def freshness(runs: int = 5) -> None:
    """How long after its commit a change is found by search: a title changed through
    record_changes (as the admin writes it), then the follower's run (the task the write
    queues; the worker picks it up within its polling interval, 1 s by default)."""
    from standards.changes import save_record
    from standards.search import engine

    timings = []
    sample = list(Standard.objects.public().order_by("?")[:runs])
    for number, standard in enumerate(sample):
        word = f"zyxbench{number}{int(time.time())}"
        standard.title_en = f"{standard.title_en or ''} {word}".strip()
        save_record(standard)
        committed = time.perf_counter()
        engine.follow()
        current = engine.reader()
        query = engine.translate(f"'{word}'")
        hits = current.index.searcher().search(query, 1).hits
        if not hits:
            raise SystemExit(f"{standard.key}: not found by its new title after the follower")
        timings.append((time.perf_counter() - committed) * 1000)
    print(
        f"  commit → found by search: follower run p50 {statistics.median(timings):.0f} ms, "
        f"max {max(timings):.0f} ms, plus the worker's polling interval (1 s) "
        "(target: ≤ 5 s)"
    )


def standard_sample(size: int = STANDARD_PAGES) -> list[Standard]:
    """About `size` public records of as many families, shared evenly among the bodies
    and, within each, spread over its families in key order (so ISO, IEC, ETSI, GB and
    EN records, with and without editions and amendments): for each family its newest
    record."""
    public = Standard.objects.public()
    bodies = list(public.order_by("body_id").values_list("body_id", flat=True).distinct())
    families: list[str] = []
    for index, body in enumerate(bodies):
        quota = size // len(bodies) + (index < size % len(bodies))
        names = list(
            public.filter(body_id=body)
            .order_by("family_key")
            .values_list("family_key", flat=True)
            .distinct()
        )
        step = max(1, len(names) // max(1, quota))
        families += names[::step][:quota]
    newest = (
        public.filter(family_key__in=families)
        .order_by("family_key", F("issued_date").desc(nulls_last=True), "-pk")
        .distinct("family_key")
    )
    return list(newest)


def record_pages(client: Client) -> None:
    """The standard page over a sample of records, and the requirement sheets (their
    regulations and product words from `load_requirement_data`)."""
    with translation.override("en"):
        records = [standard.get_absolute_url() for standard in standard_sample()]
    print(f"Record pages ({RUNS} runs per page after one warm-up)")
    print(f"  {'page':20} {'p50 ms':>8} {'p95 ms':>8} {'pages':>9} {'queries':>9}")
    timings, counts = [], []
    for url in records:
        page_timings, page_counts, _response = _timed(client, url)
        timings += page_timings
        counts += page_counts
    print(
        f"  {'standard page':20} {statistics.median(timings):8.1f} "
        f"{_percentile(timings, 0.95):8.1f} {len(records):9} {_queries(counts):>9}"
    )
    timings, counts = [], []
    for params in SHEETS:
        url = f"/en/products/?{params}"
        page_timings, page_counts, response = _timed(client, url)
        if SHEET_MARK not in response.content.decode():
            raise SystemExit(f"{url} shows no requirement sheet")
        timings += page_timings
        counts += page_counts
    print(
        f"  {'requirement sheet':20} {statistics.median(timings):8.1f} "
        f"{_percentile(timings, 0.95):8.1f} {len(SHEETS):9} {_queries(counts):>9}"
    )


if __name__ == "__main__":
    top_up()
    load_requirement_data()
    vacuum()
    build_index()
    measure()
    freshness()
