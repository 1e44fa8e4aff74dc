"""The public mix of `make loadtest`, with a tenth of the requests on company pages.

Each simulated visitor reads in one language (half English, half Chinese) and asks, with
no pause between requests, for the pages people read most: home, search (words and
standard numbers in both languages, some with filters or a second page), a standard, a
sector, a product's requirement sheet, the calendar and what's new. One request in ten
is a signed-in member's: their companies, the company, its watchlists, a watchlist, a
standard page as a member sees it. Each request is named by its page type, so that the
figures come out per type. Plan (URLs' ingredients and sessions): cesip/loadtest/plan.py.

Records, queries and product words are drawn by Zipf's law, as page popularity on public
sites runs: the k-th most asked for comes k times less often than the first (of 400
standards, the first ten get 45 % of the standard pages, and the 350 past the first fifty
still get 31 %). A bench drawing every URL alike would measure a site nobody visits; one
drawing a few would measure only the cache.

Also writes, to LOADTEST_CACHE_COUNTS, how many answers per page type said they came
from the page cache (X-Page-Cache: hit) or were rendered (miss).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from http.cookiejar import Cookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, constant, events, task
from locust.contrib.fasthttp import FastHttpSession

PLAN = json.loads(Path(os.environ["LOADTEST_PLAN"]).read_text(encoding="utf-8"))
COUNTS: Counter = Counter()


def _zipf(values: list) -> tuple[list, list[float]]:
    return values, list(itertools.accumulate(1 / rank for rank in range(1, len(values) + 1)))


POPULAR = {name: _zipf(PLAN[name]) for name in ("standards", "queries", "products", "sectors")}


def popular(name: str):
    """One of PLAN[name], the first the most often (Zipf's law)."""
    values, weights = POPULAR[name]
    return random.choices(values, cum_weights=weights)[0]


@events.request.add_listener
def _count_cache_answers(request_type, name, response, exception, **kwargs) -> None:
    state = response.headers.get("X-Page-Cache") if response is not None else None
    COUNTS[f"{name}|{state or 'none'}"] += 1


@events.quitting.add_listener
def _write_counts(environment, **kwargs) -> None:
    path = os.environ.get("LOADTEST_CACHE_COUNTS")
    if path:
        Path(path).write_text(json.dumps(COUNTS))


class Visitor(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.language = random.choice(["en", "zh-hans"])
        self.member = FastHttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        host = urlsplit(self.host).hostname
        session = random.choice(PLAN["sessions"])
        self.member.cookiejar.set_cookie(
            Cookie(0, PLAN["session_cookie"], session, None, False, host, False, False, "/",
                   True, False, None, False, None, None, {})
        )  # fmt: skip

    def page(self, path: str, name: str, query: dict | None = None) -> None:
        url = f"/{self.language}{path}" + (f"?{urlencode(query)}" if query else "")
        self.client.get(url, name=name)

    @task(10)
    def home(self) -> None:
        self.page("/", "home")

    @task(20)
    def search(self) -> None:
        query = {"q": popular("queries")}
        roll = random.random()
        if roll < 0.2:
            query["sector"] = popular("sectors")
        elif roll < 0.3:
            query["page"] = "2"
        elif roll < 0.4:
            query["sort"] = "newest"
        self.page("/search/", "search", query)

    @task(25)
    def standard(self) -> None:
        self.page(f"/standards/{popular('standards')}/", "standard")

    @task(10)
    def sector(self) -> None:
        self.page(f"/sectors/{popular('sectors')}/", "sector")

    @task(10)
    def product_sheet(self) -> None:
        query = {"q": popular("products"), "market": random.choice(["cn", "eu"])}
        self.page("/products/", "product sheet", query)

    @task(8)
    def calendar(self) -> None:
        query = random.choice([{}, {"sector": popular("sectors")}, {"jurisdiction": "cn"}])
        self.page("/calendar/", "calendar", query)

    @task(7)
    def whats_new(self) -> None:
        query = random.choice([{}, {"sector": popular("sectors")}, {"page": "2"}])
        self.page("/changes/", "what's new", query)

    @task(10)
    def company_page(self) -> None:
        company, watchlist = PLAN["company"], PLAN["watchlist"]
        path = random.choice(
            [
                "/company/",
                f"/company/{company}/",
                f"/company/{company}/watchlists/",
                f"/company/{company}/watchlists/{watchlist}/",
                f"/standards/{popular('standards')}/",
            ]
        )
        url = f"/{self.language}{path}"
        with self.member.get(
            url, name="company (signed in)", allow_redirects=False, catch_response=True
        ) as response:
            # A member's page answered to someone signed out would be a redirect to log in.
            if response.status_code != 200 or response.headers.get("X-Page-Cache"):
                response.failure(f"not a member's page: {response.status_code}")
