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

To measure an existing catalogue without the import bench, point DATABASE_URL at it and
run `BENCH_SEARCH_ONLY=1 python -m cesip.bench` (or `python -m cesip.bench_search`); it is
topped up to BENCH_SEARCH_TARGET standards first if smaller.
"""

from __future__ import annotations

import csv
import os
import random
import re
import statistics
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cesip.settings")
django.setup()

from django.conf import settings  # noqa: E402

# Production settings with plain static storage: the bench runs without collectstatic.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from sectors.models import IcsCode, Sector  # noqa: E402
from standards.models import Body, Standard  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET = int(os.environ.get("BENCH_SEARCH_TARGET", "200000"))
COUNT = re.compile(r'id="standards-heading">\s*([\d,]+\+?) standard')
RUNS = 5

QUERIES = {
    "identifiers": ["GB/T 20001.1", "gb6675.2", "EN71-1", "ISO 13485:2016", "IEC 60335-2-23",
                    "EN 60335-1", "GB 4706.1-2005", "ETSI EN 300 328"],
    "english words": ["hair care appliances", "quality management medical devices",
                      "mechanical properties toys", "leather chromium", "packaging recovery"],
    "chinese words": ["电器 安全", "医疗器械 质量管理", "玩具 机械", "纺织品 甲醛", "气雾罐"],
    "mixed": ["GB 4706 电器", "EN 71 玩具 safety", "纺织品 textiles", "ISO 12100 机械安全"],
    "broad words": ["safety", "安全", "requirements", "要求", "test"],
    "filters only": ["sector=toys", "jurisdiction=CN&status=current",
                     "sector=electrical-equipment&sort=newest", "legal_force=mandatory&page=3"],
}  # fmt: skip


def _vocabulary() -> tuple[list[str], list[str]]:
    english, chinese = [], []
    for path in sorted((ROOT / "data" / "demo").glob("cn_standards*.csv")):
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
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


def _rows(rows: list[str]) -> str:
    """Mean rows per query; "1,000+" (the search's limit) counts as 1,000 and marks it."""
    numbers = [int(row.rstrip("+").replace(",", "")) for row in rows]
    capped = "+" if any(row.endswith("+") for row in rows) else ""
    return f"{int(statistics.mean(numbers)):,}{capped}"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure() -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    total = Standard.objects.count()
    print(f"  catalogue: {total:,} standards")
    header = f"  {'class':20} {'p50 ms':>8} {'p95 ms':>8} {'rows':>9} {'queries':>9}"
    print("Search page (server time per request, " + f"{RUNS} runs per query after one warm-up)")
    print(header)
    for name, queries in QUERIES.items():
        figures: dict[str, tuple[list[float], list[str], set[int]]] = {}
        for text in queries:
            url = "/en/search/?" + (text if name == "filters only" else f"q={text}")
            warm = client.get(url, secure=True)  # warm-up
            if warm.status_code not in (200, 302):
                raise SystemExit(f"{url} answered {warm.status_code}")
            line = name if warm.status_code == 200 else "identifier → record"
            timings, rows, query_counts = figures.setdefault(line, ([], [], set()))
            for _run in range(RUNS):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url, secure=True)
                    timings.append((time.perf_counter() - started) * 1000)
                query_counts.add(len(captured.captured_queries))
            found = COUNT.search(response.content.decode()) if response.status_code == 200 else None
            rows.append(found.group(1) if found else "1")
        for line, (timings, rows, query_counts) in figures.items():
            print(
                f"  {line:20} {statistics.median(timings):8.1f} "
                f"{_percentile(timings, 0.95):8.1f} {_rows(rows):>9} "
                f"{'-'.join(map(str, sorted(query_counts))):>9}"
            )
    print("  budget: p95 under 100 ms for every class; queries per page constant")
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


if __name__ == "__main__":
    top_up()
    measure()
