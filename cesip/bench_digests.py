"""Digest building for 10,000 members (run by cesip.bench in a scratch database).

Generates companies, members, watchlists, subscriptions spread over the sectors,
frequencies, markets and languages, a few distinct saved searches, and 1,000 changes
in one day; then builds and renders every member's digest for that day (without
sending) for the first 1,000 members and for all 10,000, printing time and queries.
The query count should be the same for both: the work is batched, not per member.

Run with DEBUG off, as in production (cesip.bench does; so does this module when run
alone), against a scratch database: DATABASE_URL is required. BENCH_DIGEST_MEMBERS and
BENCH_DIGEST_CHANGES change the sizes (10,000 and 1,000), e.g. for profiling.
"""

from __future__ import annotations

import datetime
import os
import random
import time

import django

if not os.environ.get("DATABASE_URL"):
    raise SystemExit("cesip.bench_digests fills its database: set DATABASE_URL to a scratch one")
# Measure with production settings, as cesip.bench does.
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cesip.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts import digests  # noqa: E402
from accounts.models import (  # noqa: E402
    Company,
    Membership,
    SavedSearch,
    Subscription,
    User,
    WatchItem,
    Watchlist,
)
from sectors.models import Sector  # noqa: E402
from standards.models import Body, Change, Standard  # noqa: E402

MEMBERS = int(os.environ.get("BENCH_DIGEST_MEMBERS", "10000"))
CHANGES = int(os.environ.get("BENCH_DIGEST_CHANGES", "1000"))
STANDARDS = 3000
PER_COMPANY = 20
WATCHED = 25
DAY = datetime.datetime(2026, 3, 9, tzinfo=datetime.UTC)
SEARCHES = [
    "jurisdiction=CN",
    "jurisdiction=EU&legal_force=mandatory",
    "status=current&jurisdiction=CN",
    "sector=toys",
    "sector=electrical-equipment&jurisdiction=EU",
    "legal_force=mandatory&jurisdiction=CN",
    "document_type=GB",
    "legal_force=recommended",
    "sector=textiles&status=current",
    "implemented_after=2020-01-01",
]


def populate() -> None:
    rng = random.Random(2026)
    sectors = list(Sector.objects.all())
    if not sectors:
        sectors = [
            Sector.objects.create(
                slug=f"sector-{n}", name_en=f"Sector {n}", name_zh_hans=f"行业{n}"
            )
            for n in range(10)
        ]
    bodies = {
        code: Body.objects.get_or_create(
            code=code, defaults={"name_en": code, "name_zh_hans": code, "jurisdiction": j}
        )[0]
        for code, j in (("SAC", "CN"), ("CEN", "EU"))
    }
    standards = []
    for n in range(STANDARDS):
        cn = n % 2 == 0
        standard = Standard(
            published=True,
            title_en=f"Safety of products — part {n}",
            title_zh_hans=f"产品安全 第{n}部分",
            legal_force="mandatory" if n % 3 == 0 else "recommended",
        )
        standard.set_identifier(f"GB/T {90000 + n}-2020" if cn else f"EN {90000 + n}:2020")
        standard.body = bodies["SAC" if cn else "CEN"]
        standards.append(standard)
    standards = Standard.objects.bulk_create(standards, batch_size=1000)
    standard_sectors = {s.pk: rng.sample(sectors, 1) for s in standards}
    Standard.sectors.through.objects.bulk_create(
        [
            Standard.sectors.through(standard_id=pk, sector_id=sector.pk)
            for pk, chosen in standard_sectors.items()
            for sector in chosen
        ],
        batch_size=5000,
    )

    users = User.objects.bulk_create(
        [
            User(email=f"member{n}@bench.example", password="!", language=("en", "zh-hans")[n % 2])
            for n in range(MEMBERS)
        ],
        batch_size=2000,
    )
    companies = Company.objects.bulk_create(
        [Company(name=f"Company {n}", slug=f"company-{n}") for n in range(MEMBERS // PER_COMPANY)]
    )
    Membership.objects.bulk_create(
        [
            Membership(company=companies[n // PER_COMPANY], user=user)
            for n, user in enumerate(users)
        ],
        batch_size=5000,
    )
    watchlists = Watchlist.objects.bulk_create(
        [Watchlist(company=c, name="Products", ical_token=f"bench-{c.pk}") for c in companies]
    )
    WatchItem.objects.bulk_create(
        [
            WatchItem(watchlist=w, standard=standard)
            for w in watchlists
            for standard in rng.sample(standards, WATCHED)
        ],
        batch_size=5000,
    )
    frequencies = ["daily", "weekly", "immediate"]
    markets = [[], ["CN"], ["EU"]]
    subscriptions = Subscription.objects.bulk_create(
        [
            Subscription(
                user=user,
                frequency=frequencies[n % 3],
                language=user.language,
                jurisdictions=markets[(n // 3) % 3],
                include_watchlists=n % 4 != 0,
            )
            for n, user in enumerate(users)
        ],
        batch_size=2000,
    )
    Subscription.sectors.through.objects.bulk_create(
        [
            Subscription.sectors.through(subscription_id=s.pk, sector_id=sector.pk)
            for s in subscriptions
            for sector in rng.sample(sectors, 1 + s.pk % 2)
        ],
        batch_size=5000,
    )
    SavedSearch.objects.bulk_create(
        [
            SavedSearch(
                subscription=s, name=f"Search {n}", query=SEARCHES[(n // 10) % len(SEARCHES)]
            )
            for n, s in enumerate(subscriptions)
            if n % 10 == 0
        ]
    )
    changes = []
    for n in range(CHANGES):
        standard = rng.choice(standards)
        changes.append(
            Change(
                standard=standard,
                kind="dates",
                fields={"implementation_date": ["2025-01-01", f"2026-{1 + n % 12:02d}-01"]},
                via="import",
                created_at=DAY + datetime.timedelta(seconds=80 * n),
            )
        )
    changes = Change.objects.bulk_create(changes, batch_size=1000)
    Change.sectors.through.objects.bulk_create(
        [
            Change.sectors.through(change_id=c.pk, sector_id=sector.pk)
            for c in changes
            for sector in standard_sectors[c.standard_id]
        ],
        batch_size=5000,
    )


def build(user_ids: list[int]) -> tuple[float, float, int, int, int]:
    """Seconds (wall clock and CPU), queries, digests with something in them, and
    changes listed in all."""
    start, end = DAY, DAY + datetime.timedelta(days=1)
    started, cpu_started = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        built = digests.build_digests(
            subscriptions=digests.load_subscriptions(user_ids),
            changes=digests.load_changes(start, end),
        )
        renderer = digests.Renderer()
        messages = [
            renderer.message(digest, frequency="daily").message()
            for digest in built.values()
            if digest.changes
        ]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return elapsed, cpu, len(queries), len(messages), sum(len(d.changes) for d in built.values())


def main() -> None:
    started = time.perf_counter()
    populate()
    print(
        f"  set-up: {MEMBERS:,} members, {CHANGES:,} changes, {len(SEARCHES)} distinct saved "
        f"searches in {time.perf_counter() - started:.1f} s"
    )
    user_ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
    for size in sorted({min(1000, MEMBERS), MEMBERS}):
        elapsed, cpu, queries, messages, listed = build(user_ids[:size])
        print(
            f"  {size:>6,} members: built and rendered {messages:,} digests "
            f"({listed:,} member-change pairs) in {elapsed:.1f} s ({cpu:.1f} s CPU), "
            f"{queries} queries"
        )
    print("  budget: 10,000 members under 60 s; the query count does not grow with members")


if __name__ == "__main__":
    main()
