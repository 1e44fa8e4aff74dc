"""The page cache: public pages served to anonymous visitors from the cache, never staler
than the catalogue.

A public page is a function of the catalogue, the day, the code that renders it and the
request (language, host, path, query, htmx headers). The catalogue part is one global
*generation*: every write to what public pages show calls `catalogue_changed()`
(`standards.changes.record_changes`, the reference-data and demo loads, the search and
status rebuilds, and any write through the admin), which replaces it, so every page
cached before is out of date at once. Writes are rare next to reads; one counter is
exact where per-record keys would have to know every page a record appears on.

The generation lives in the page cache when that cache is shared (Redis: every process
and machine sees the same value); with the default local-memory cache, which each
process keeps for itself, it lives in a small file under var/, so that a change written
by `manage.py` or the task worker reaches the web processes too.

Served from the cache: GET and HEAD by anonymous visitors, with no pending messages, of
the views in CACHED_VIEWS; stored: their 200 answers that set no cookie, used no CSRF
token and left the session untouched. Each answer carries an ETag (its content's hash)
and a Last-Modified (when its generation began), with `Cache-Control: max-age=0,
must-revalidate` so that browsers ask again each time and get a 304 when nothing changed.
Answers to signed-in members, and every page of the member area, carry
`Cache-Control: private, no-store` instead.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import math
import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
GENERATION_KEY = "generation"
# The views whose anonymous answers depend only on the catalogue, the day and the URL.
CACHED_VIEWS = frozenset(
    {
        "home",
        "standards:search",
        "standards:standard_detail",
        "standards:regulation_detail",
        "standards:compare",
        "standards:sector_detail",
        "standards:product_finder",
        "standards:calendar",
        "standards:calendar_ics",
        "standards:changes",
        "standards:changes_feed",
        "standards:glossary",
        "sitemap_index",
        "django.contrib.sitemaps.views.sitemap",
    }
)
# Pages about a member, a company or its watchlists: never kept by a browser or a proxy.
PRIVATE_NAMESPACES = frozenset({"accounts"})
# Request headers a cached page may vary on: each is part of the key (or, for Cookie,
# the visitor is anonymous and the language cookie is read into the language).
KEYED_VARY = frozenset({"accept-language", "cookie", "hx-request", "hx-boosted"})
SAFE_METHODS = ("GET", "HEAD")
# What the code that renders pages is made of (a deploy changes the key).
CODE_DIRS = ("cesip", "standards", "sectors", "accounts", "templates", "locale")
CODE_SUFFIXES = frozenset({".py", ".html", ".txt", ".xml", ".ics", ".mo"})


def catalogue_changed() -> None:
    """Put every cached page out of date. Call it wherever public data is written.

    Inside a transaction the generation is replaced now and again when it commits: pages
    rendered in between (from the rows as they were) are stored under the short-lived
    middle generation, never under the one that follows the commit."""
    _store().bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _store().bump())


def current_generation() -> str:
    return _store().current()


class _CacheGeneration:
    """The generation as a value in a shared cache."""

    def __init__(self, cache):
        self.cache = cache

    def current(self) -> str:
        value = self.cache.get(GENERATION_KEY)
        if value is None:  # never set, or evicted: a new one (add() keeps a racing one)
            self.cache.add(GENERATION_KEY, _new_generation(), None)
            value = self.cache.get(GENERATION_KEY) or _new_generation()
        return value

    def bump(self) -> None:
        self.cache.set(GENERATION_KEY, _new_generation(), None)


class _FileGeneration:
    """The generation in a file, for a cache each process keeps to itself."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def current(self) -> str:
        try:
            return self.path.read_text() or self._create()
        except FileNotFoundError:
            return self._create()

    def _create(self) -> str:
        self.bump()
        return self.path.read_text()

    def bump(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        tmp.write_text(_new_generation())
        os.replace(tmp, self.path)  # readers see the old value or the new, never half


def _new_generation() -> str:
    """`<start time>-<random>`: unique, and it says when the generation began."""
    return f"{time.time():.6f}-{secrets.token_hex(6)}"


def _store() -> _CacheGeneration | _FileGeneration:
    cache = caches[CACHE_ALIAS]
    if isinstance(cache, LocMemCache | DummyCache):
        return _FileGeneration(settings.PAGE_CACHE_GENERATION_FILE)
    return _CacheGeneration(cache)


@functools.cache
def _code_version() -> tuple[str, float]:
    """A hash of the code and templates that render pages, and when they last changed
    (read once per process: a deploy starts new processes)."""
    digest = hashlib.blake2b(digest_size=8)
    newest = 0.0
    base = Path(settings.BASE_DIR)
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"  # hashed static names
    paths = [manifest] if manifest.is_file() else []
    for name in CODE_DIRS:
        paths += sorted(
            p
            for p in (base / name).rglob("*")
            if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts and p.is_file()
        )
    for path in paths:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    return digest.hexdigest(), newest


def _page_key(request: HttpRequest, generation: str) -> str:
    code, _changed = _code_version()
    parts = [
        code,
        generation,
        timezone.localdate().isoformat(),
        translation.get_language() or "",
        request.scheme,
        request.get_host(),
        request.path,
        request.META.get("QUERY_STRING", ""),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-Boosted", ""),
    ]
    return "page:" + hashlib.blake2b("\n".join(parts).encode(), digest_size=20).hexdigest()


def _last_modified(generation: str) -> float | None:
    """When the page last changed: the later of the generation's start, today's start
    and the code's last change, rounded up to the second (HTTP dates have whole
    seconds: an answer from before a change in the same second must compare older).
    None while that second is still to come."""
    today = timezone.localdate()
    start_of_day = datetime.datetime.combine(
        today, datetime.time.min, tzinfo=timezone.get_current_timezone()
    ).timestamp()
    began = float(generation.split("-", 1)[0])
    moment = max(math.floor(began) + 1, start_of_day, math.floor(_code_version()[1]) + 1)
    return moment if moment <= time.time() else None


def _cacheable_request(request: HttpRequest) -> bool:
    match = request.resolver_match
    return bool(
        settings.CACHE_PAGES
        and request.method in SAFE_METHODS
        and match is not None
        and match.view_name in CACHED_VIEWS
        and not request.user.is_authenticated
        and not len(messages.get_messages(request))
    )


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    """A 200 meant for anyone: no cookie, no CSRF token, no session, no message, no
    Cache-Control of its own, and varying only on what the key holds."""
    session = getattr(request, "session", None)
    cache_control = response.get("Cache-Control", "")
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.modified)
        and not len(messages.get_messages(request))
        and not any(word in cache_control for word in ("private", "no-store", "no-cache"))
        and vary <= KEYED_VARY
    )


def _entry(response: HttpResponse, generation: str) -> dict:
    # Last-Modified is the page cache's own; headers come back as the view set them.
    headers = [(k, v) for k, v in response.items() if k.lower() != "last-modified"]
    content = response.content
    return {
        "status": response.status_code,
        "headers": headers,
        "content": content,
        "etag": '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"',
        "generation": generation,
    }


def _response(entry: dict) -> HttpResponse:
    response = HttpResponse(entry["content"], status=entry["status"])
    for name, value in entry["headers"]:
        response.headers[name] = value
    return response


def _finish(request: HttpRequest, response: HttpResponse, entry: dict, state: str):
    """Validators and freshness on a public answer, then a 304 if the browser has it."""
    response.headers["ETag"] = entry["etag"]
    last_modified = _last_modified(entry["generation"])
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    response.headers.pop("Expires", None)
    patch_cache_control(response, max_age=0, must_revalidate=True)
    response.headers["X-Page-Cache"] = state
    return get_conditional_response(
        request, etag=entry["etag"], last_modified=last_modified, response=response
    )


class PageCacheMiddleware:
    """Serve and store public pages (see the module's docstring); mark member pages
    private; replace the generation after any write through the admin. Sits last in
    MIDDLEWARE, so that a page from the cache still goes out through the security,
    CSP, session and language middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        user = getattr(request, "user", None)
        key = getattr(request, "_page_cache_key", None)
        if key and not getattr(response, "_page_cache_hit", False):
            if _storable(request, response):
                entry = _entry(response, request._page_cache_generation)
                try:
                    caches[CACHE_ALIAS].set(key, entry, settings.PAGE_CACHE_SECONDS)
                except Exception:  # a cache that is down costs speed, never the page
                    logger.warning("The page cache could not store %s", request.path)
                response = _finish(request, response, entry, "miss")
        if (match and match.namespace in PRIVATE_NAMESPACES) or (user and user.is_authenticated):
            if "private" not in response.get("Cache-Control", ""):
                patch_cache_control(response, private=True, no_store=True)
        if match and match.namespace == "admin" and request.method not in SAFE_METHODS:
            # Sectors, product words, bodies, deletions, admin imports: whatever staff
            # wrote in the admin (committed by now), no cached page may predate it. Only
            # staff can write there: an anonymous POST (a log-in try) empties nothing.
            if getattr(user, "is_staff", False):
                catalogue_changed()
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not _cacheable_request(request):
            return None
        try:
            generation = current_generation()
            key = _page_key(request, generation)
            entry = caches[CACHE_ALIAS].get(key)
        except Exception:  # the cache is down: render the page
            logger.warning("The page cache could not be read for %s", request.path)
            return None
        request._page_cache_key = key
        request._page_cache_generation = generation
        if entry is None:
            return None
        response = _finish(request, _response(entry), entry, "hit")
        response._page_cache_hit = True
        return response
