"""What `make loadtest` asks for, read from its scratch database: `python -m
cesip.loadtest.plan PLAN.json` (run by cesip/loadtest/__main__.py with the scratch
database's DATABASE_URL).

Writes the URLs' ingredients (standards, regulations, sectors, product words and search
queries in both languages) and signs in three members of a company with a watchlist,
whose session keys the members' requests carry (signing in through the log-in form
would spend the password hasher's CPU inside the measured minute).
"""

from __future__ import annotations

import csv
import json
import os
import random
import sys
from importlib import import_module
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cesip.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402

from accounts.companies import create_company  # noqa: E402
from accounts.models import (  # noqa: E402
    Company,
    Membership,
    User,
    WatchItem,
    Watchlist,
    new_ical_token,
)
from sectors.models import ProductTerm, Sector  # noqa: E402
from standards.models import Standard, TechnicalRegulation  # noqa: E402

DEMO_DIR = Path(settings.BASE_DIR) / "data" / "demo"
MEMBERS = 3
SAMPLE = 400  # standards drawn for the standard pages
# Words and numbers people type, in both languages (the demo's own titles add more).
QUERIES = [
    "toys", "玩具", "hair dryer", "电吹风", "safety of household appliances", "家用电器 安全",
    "GB 4706.1", "EN 71-1", "IEC 60335-1", "ISO 13485", "medical devices", "医疗器械",
    "machinery safety", "机械安全", "packaging", "包装", "textiles formaldehyde", "纺织品 甲醛",
    "leather", "皮革", "aerosol", "气雾罐", "stroller", "婴儿推车", "electromagnetic compatibility",
    "电磁兼容", "GB/T 6675", "EN 60335-2-23", "flammability", "阻燃", "batteries", "电池",
]  # fmt: skip


def _title_words(limit: int = 40) -> list[str]:
    words: list[str] = []
    for path in sorted(DEMO_DIR.glob("cn_standards*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                words += [w for w in row["中文标准名称"].replace(":", " ").split() if len(w) > 1]
                words += [w for w in row["英文标准名称"].split() if len(w) > 4 and w.isalpha()]
    random.Random(7).shuffle(words)
    return list(dict.fromkeys(words))[:limit]


def _members() -> dict:
    """A company of three members, a watchlist of twenty records, one session each (the
    same company and watchlist when the database already has them)."""
    users = [
        User.objects.get_or_create(email=f"member{n}@loadtest.example")[0] for n in range(MEMBERS)
    ]
    company = Company.objects.filter(memberships__user=users[0]).first()
    if company is None:
        company = create_company(name="Loadtest Exporters", owner=users[0])
        Membership.objects.bulk_create(
            [Membership(company=company, user=user, role="member") for user in users[1:]]
        )
    watchlist, created = Watchlist.objects.get_or_create(
        company=company,
        name="Toys",
        defaults={"created_by": users[0], "ical_token": new_ical_token()},
    )
    if created:
        WatchItem.objects.bulk_create(
            [
                WatchItem(watchlist=watchlist, standard=standard, added_by=users[0])
                for standard in Standard.objects.public().order_by("pk")[:20]
            ]
        )
    engine = import_module(settings.SESSION_ENGINE)
    sessions = []
    for user in users:
        store = engine.SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    return {
        "sessions": sessions,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "company": company.slug,
        "watchlist": watchlist.pk,
    }


def build_plan() -> dict:
    standards = list(Standard.objects.public().values_list("slug", flat=True).order_by("pk"))
    random.Random(1).shuffle(standards)
    terms = ProductTerm.objects.values_list("name_en", "name_zh_hans")
    return {
        "standards": standards[:SAMPLE],
        "regulations": list(TechnicalRegulation.objects.public().values_list("slug", flat=True)),
        "sectors": list(Sector.objects.values_list("slug", flat=True)),
        "products": [name for pair in terms for name in pair if name],
        "queries": QUERIES + _title_words(),
        **_members(),
    }


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(build_plan(), ensure_ascii=False, indent=1))
