"""Change digests and immediate alerts: who hears about which Change rows, and sending.

The work is done in bulk: for a set of members and one period, `build_digests` loads
the subscriptions, the period's changes, the companies' watched records and the
standards each distinct saved search finds once, then groups in Python, so the number
of queries does not grow with the number of members (only with the number of distinct
saved searches). The changes are indexed by standard, regulation and sector, so each
member only looks at the changes it can match. Each change is described once per
language (standards.changelog) and its e-mail fragment rendered once per language; a
member's message joins fragments.

Sending goes through Delivery rows, one per member and period (a unique constraint):
`schedule_deliveries` creates them with ignore_conflicts, `claim_delivery` moves one to
"sending" with a conditional UPDATE, so two runs cannot both send it; a failed send is
retried later with exponential backoff and given up after MAX_ATTEMPTS.

One member's input never stops another member's mail: each saved search runs in its own
savepoint (a search PostgreSQL refuses finds nothing and is logged), and when the
digests of a period cannot be built together, each is built alone in its own savepoint
(`build_digests_apart`); a digest that still fails is recorded on its delivery and
retried like a failed send.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import smtplib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.http import QueryDict
from django.template.backends.django import Template
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from accounts.models import (
    Delivery,
    DeliveryStatus,
    Frequency,
    Membership,
    SavedSearch,
    Subscription,
    WatchItem,
)
from cesip import mail
from standards.changelog import ChangeEntry, change_entries, public_changes
from standards.entries import Filters
from standards.filters import StandardFilterSet
from standards.models import Change, Standard
from standards.search.bounds import MAX_QUERY_LENGTH, MAX_QUERY_TERMS
from standards.search.postgres import cannot_run
from standards.search.query import read_query

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "cesip.accounts.digests.unsubscribe"
STALE_CLAIM = datetime.timedelta(minutes=15)
RETRY_BASE = datetime.timedelta(minutes=5)
MAX_ATTEMPTS = 5
# A digest lists this many changes in full and links to the rest (what's new page).
SHOWN_CHANGES = 50
# Parameters of a search URL that do not change what it finds.
IGNORED_SEARCH_PARAMETERS = {"page", "sort"}


# ---------------------------------------------------------------------------
# Periods


def period_for(
    frequency: str, now: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """The period a scheduled digest covers, aligned in UTC: the previous calendar day
    (daily) or the previous ISO week, Monday to Monday (weekly)."""
    today = now.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == Frequency.DAILY:
        return today - datetime.timedelta(days=1), today
    if frequency == Frequency.WEEKLY:
        monday = today - datetime.timedelta(days=today.weekday())
        return monday - datetime.timedelta(days=7), monday
    raise ValueError(f"No scheduled period for {frequency!r} digests.")


def _in_period(start: datetime.datetime, end: datetime.datetime) -> Q:
    # An immediate alert's "period" is the instant its change was created.
    if end <= start:
        return Q(created_at=start)
    return Q(created_at__gte=start, created_at__lt=end)


# ---------------------------------------------------------------------------
# Saved searches


def normalise_search(raw: str) -> tuple[str, list[str]]:
    """A search URL or query string → (the query string to store, problems).

    Accepts "https://host/en/search/?q=toys&sector=toys", "/en/search/?q=toys",
    "?q=toys" or "q=toys"; drops the page and sort order; runs what is left through
    StandardFilterSet.cleaned() so that values it would ignore are reported.
    """
    raw = (raw or "").replace("\x00", "").strip()
    if "?" in raw or raw.startswith(("http://", "https://", "/")):
        raw = urlsplit(raw).query
    params = QueryDict(raw, mutable=True)
    for name in IGNORED_SEARCH_PARAMETERS:
        params.pop(name, None)
    known = StandardFilterSet.base_filters
    unknown = [name for name in params if name not in known]
    for name in unknown:
        params.pop(name)
    for name in list(params):
        values = [v.strip() for v in params.getlist(name) if v.strip()]
        if values:
            params.setlist(name, values)
        else:
            params.pop(name)
    _filterset, problems = StandardFilterSet(params, queryset=Standard.objects.none()).cleaned()
    problems = list(problems) + [
        translation.gettext("Unknown parameter “%(name)s”.") % {"name": name[:40]}
        for name in unknown
    ]
    problems += _words_problems(params.get("q", ""))
    encoded = params.urlencode()
    stored = SavedSearch._meta.get_field("query").max_length
    if len(encoded) > stored:
        problems.append(
            translation.gettext(
                "It is too long to save: at most %(limit)s characters once encoded."
            )
            % {"limit": stored}
        )
    return encoded, problems


def _words_problems(text: str) -> list[str]:
    """Why the search words cannot be followed: too long for the search box's bounds, or
    nothing but signs, which would find everything or nothing."""
    if not text.strip():
        return []
    query = read_query(text)
    if query.shortened:
        message = translation.gettext(
            "The search words are longer than %(limit)s characters or %(terms)s words."
        )
        return [message % {"limit": MAX_QUERY_LENGTH, "terms": MAX_QUERY_TERMS}]
    if not query:
        return [
            translation.gettext(
                "The text typed has no words to search, only signs such as - ! & | < >."
            )
        ]
    return []


def standards_found(query: str, standard_ids: Iterable[int]) -> set[int]:
    """Which of `standard_ids` the saved search `query` finds (published ones only)."""
    ids = list(standard_ids)
    if not ids:
        return set()
    base = Standard.objects.public().filter(pk__in=ids).with_status()
    filterset, _problems = StandardFilterSet(QueryDict(query), queryset=base).cleaned()
    try:
        # In a savepoint: a search PostgreSQL refuses leaves the connection usable.
        with transaction.atomic():
            return set(filterset.qs.order_by().values_list("pk", flat=True))
    except (ValueError, DatabaseError) as error:
        # A filter that fails to build its query, or a search PostgreSQL refuses (saved
        # before searches were bounded), finds nothing; it must not stop the digest.
        if isinstance(error, DatabaseError) and not cannot_run(error):
            raise
        logger.exception("Saved search %r could not run", query)
        return set()


# ---------------------------------------------------------------------------
# Who hears about what


@dataclasses.dataclass
class Digest:
    """One member's changes for one period, with why each one is included."""

    subscription: Subscription
    changes: list[Change]
    reasons: dict[int, list[str]]  # change pk → sector names, saved-search names, "watchlist"

    @property
    def user(self):
        return self.subscription.user


def _jurisdiction(change: Change) -> str:
    # A citation belongs to the jurisdiction of the act that cites the standard.
    return (change.regulation or change.standard).jurisdiction


def load_subscriptions(user_ids: Iterable[int]) -> list[Subscription]:
    return list(
        Subscription.objects.filter(user_id__in=list(user_ids))
        .select_related("user")
        .prefetch_related("sectors", "saved_searches")
    )


def load_changes(start: datetime.datetime, end: datetime.datetime) -> list[Change]:
    """The changes to published records recorded in the period (by created_at, so an
    event learnt late is not missed), oldest event first, with what entries need."""
    return list(
        public_changes(Filters())
        .filter(_in_period(start, end))
        .order_by("occurred_on", "created_at", "id")
    )


def build_digests(
    *, subscriptions: Sequence[Subscription], changes: Sequence[Change]
) -> dict[int, Digest]:
    """Each active subscription's digest (user pk → Digest, possibly with no changes).

    A change is included when it touches a record on one of the member's companies'
    watchlists (if they follow watchlists), one of the subscribed sectors, or a standard
    a saved search finds; then only changes in the chosen jurisdictions are kept.
    """
    subscriptions = [s for s in subscriptions if s.active and s.user.is_active]
    standard_ids = {c.standard_id for c in changes if c.standard_id}
    regulation_ids = {c.regulation_id for c in changes if c.regulation_id}

    # Watched records, per company, limited to the records that changed.
    companies: dict[int, set[int]] = defaultdict(set)
    watched: dict[int, tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
    watchers = [s.user_id for s in subscriptions if s.include_watchlists]
    if watchers and changes:
        for user_id, company_id in Membership.objects.filter(user_id__in=watchers).values_list(
            "user_id", "company_id"
        ):
            companies[user_id].add(company_id)
        company_ids = set().union(*companies.values()) if companies else set()
        items = WatchItem.objects.filter(watchlist__company_id__in=company_ids).filter(
            Q(standard_id__in=standard_ids) | Q(regulation_id__in=regulation_ids)
        )
        for company_id, standard_id, regulation_id in items.values_list(
            "watchlist__company_id", "standard_id", "regulation_id"
        ):
            if standard_id:
                watched[company_id][0].add(standard_id)
            if regulation_id:
                watched[company_id][1].add(regulation_id)

    # Each distinct saved search runs once, on the changed standards only.
    found: dict[str, set[int]] = {}
    if standard_ids:
        for subscription in subscriptions:
            for saved in subscription.saved_searches.all():
                if saved.query not in found:
                    found[saved.query] = standards_found(saved.query, standard_ids)

    index = _ChangeIndex(changes)
    digests: dict[int, Digest] = {}
    for subscription in subscriptions:
        jurisdictions = frozenset(subscription.jurisdictions or ())
        reasons: dict[int, list[str]] = {}  # position in `changes` → reasons
        company_ids = companies.get(subscription.user_id)
        if company_ids:
            standards: set[int] = set()
            regulations: set[int] = set()
            for company_id in company_ids:
                if company_id in watched:
                    standards |= watched[company_id][0]
                    regulations |= watched[company_id][1]
            for position in index.watched(standards, regulations, jurisdictions):
                reasons[position] = ["watchlist"]
        sectors = frozenset(s.pk for s in subscription.sectors.all())
        for position, names in index.in_sectors(sectors, jurisdictions):
            reasons.setdefault(position, []).extend(names)
        for saved in subscription.saved_searches.all():
            for position in index.found(saved.query, found.get(saved.query, set()), jurisdictions):
                reasons.setdefault(position, []).append(saved.name)
        digest = Digest(subscription, [], {})
        for position in sorted(reasons):
            change = changes[position]
            digest.changes.append(change)
            digest.reasons[change.pk] = reasons[position]
        digests[subscription.user_id] = digest
    return digests


def build_digests_apart(
    *, subscriptions: Sequence[Subscription], changes: Sequence[Change]
) -> tuple[dict[int, Digest], dict[int, str]]:
    """The digests `build_digests` makes, and by user pk the error of each one that
    could not be built. They are built together first; if that fails, each alone in its
    own savepoint, so that one member's input (or a bug only it reaches) cannot stop
    another member's mail. A database that cannot answer still stops the run."""
    try:
        with transaction.atomic():
            return build_digests(subscriptions=subscriptions, changes=changes), {}
    except Exception as error:
        if isinstance(error, DatabaseError) and not cannot_run(error):
            raise
        logger.exception("Digests could not be built together; building each alone")
    digests: dict[int, Digest] = {}
    failures: dict[int, str] = {}
    for subscription in subscriptions:
        try:
            with transaction.atomic():
                digests.update(build_digests(subscriptions=[subscription], changes=changes))
        except Exception as error:
            if isinstance(error, DatabaseError) and not cannot_run(error):
                raise
            logger.exception("The digest for user %s could not be built", subscription.user_id)
            failures[subscription.user_id] = f"{type(error).__name__}: {error}"[:2000]
    return digests, failures


class _ChangeIndex:
    """The period's changes indexed by standard, regulation and sector, so that each
    member only looks at the changes it can match. Positions are indexes in `changes`
    (oldest event first); lookups shared by many members (same sectors, same saved search,
    same markets) are worked out once."""

    def __init__(self, changes: Sequence[Change]) -> None:
        self.jurisdictions = [_jurisdiction(change) for change in changes]
        self.by_standard: dict[int, list[int]] = defaultdict(list)
        self.by_regulation: dict[int, list[int]] = defaultdict(list)
        self.by_sector: dict[int, list[int]] = defaultdict(list)
        # Sector names read once, in the language active now (as the member loop did).
        names: dict[int, str] = {}
        self.sectors: list[list[tuple[int, str]]] = []
        for position, change in enumerate(changes):
            if change.standard_id:
                self.by_standard[change.standard_id].append(position)
            if change.regulation_id:
                self.by_regulation[change.regulation_id].append(position)
            sectors = {sector.pk: sector for sector in change.sectors.all()}
            for pk, sector in sectors.items():
                if pk not in names:
                    names[pk] = sector.name
                self.by_sector[pk].append(position)
            self.sectors.append([(pk, names[pk]) for pk in sectors])
        self._in_sectors: dict[tuple[frozenset[int], frozenset[str]], list] = {}
        self._found: dict[tuple[str, frozenset[str]], list[int]] = {}

    def _kept(self, positions: Iterable[int], jurisdictions: frozenset[str]) -> list[int]:
        if not jurisdictions:
            return sorted(positions)
        return sorted(p for p in positions if self.jurisdictions[p] in jurisdictions)

    def watched(
        self, standards: set[int], regulations: set[int], jurisdictions: frozenset[str]
    ) -> list[int]:
        """Changes to a watched standard or regulation."""
        positions: set[int] = set()
        for standard_id in standards:
            positions.update(self.by_standard.get(standard_id, ()))
        for regulation_id in regulations:
            positions.update(self.by_regulation.get(regulation_id, ()))
        return self._kept(positions, jurisdictions)

    def in_sectors(
        self, sectors: frozenset[int], jurisdictions: frozenset[str]
    ) -> list[tuple[int, list[str]]]:
        """Changes in any of `sectors`, each with the names of those of its sectors."""
        key = (sectors, jurisdictions)
        if key not in self._in_sectors:
            positions = {p for pk in sectors for p in self.by_sector.get(pk, ())}
            self._in_sectors[key] = [
                (p, [name for pk, name in self.sectors[p] if pk in sectors])
                for p in self._kept(positions, jurisdictions)
            ]
        return self._in_sectors[key]

    def found(self, query: str, standard_ids: set[int], jurisdictions: frozenset[str]) -> list[int]:
        """Changes to `standard_ids`, the standards the saved search `query` finds."""
        key = (query, jurisdictions)
        if key not in self._found:
            positions = {p for pk in standard_ids for p in self.by_standard.get(pk, ())}
            self._found[key] = self._kept(positions, jurisdictions)
        return self._found[key]


# ---------------------------------------------------------------------------
# Rendering


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps(user_id, salt=UNSUBSCRIBE_SALT)


def user_from_token(token: str) -> int | None:
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@dataclasses.dataclass
class Fragments:
    """A change's entry rendered once per language, shared by every digest listing it."""

    entry: ChangeEntry
    html: str
    text: str


class Renderer:
    """Renders digests. Each change's entry is described and rendered once per language
    (Fragments), and the links every digest shares are worked out once per language, so
    a member's message is a render of the digest templates around ready-made fragments.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], Fragments] = {}
        self._links: dict[str, dict[str, str]] = {}
        self._templates: dict[str, Template] = {}
        # A Message-ID domain of our own: Django's default is the machine's FQDN, looked
        # up through DNS on first use, which can block for seconds.
        self._msgid_domain = urlsplit(settings.SITE_URL).hostname or "localhost"

    def _render(self, name: str, ctx: dict) -> str:
        """`name` rendered as HTML, or as plain text for a .txt template (cesip.mail)."""
        if name not in self._templates:
            self._templates[name] = get_template(name)
        render = mail.render_text if name.endswith(".txt") else mail.render_html
        return render(self._templates[name], ctx)

    def _fragments(self, language: str, changes: Sequence[Change]) -> list[Fragments]:
        missing = [c for c in changes if (language, c.pk) not in self._cache]
        for entry in change_entries(missing):
            ctx = {
                "entry": entry,
                "url": absolute(entry.url),
                "regulation_url": absolute(entry.regulation_url) if entry.regulation else "",
            }
            self._cache[(language, entry.pk)] = Fragments(
                entry,
                mark_safe(self._render("emails/_digest_entry.html", ctx)),  # noqa: S308
                self._render("emails/_digest_entry.txt", ctx),
            )
        return [self._cache[(language, c.pk)] for c in changes]

    def _language_links(self, language: str) -> dict[str, str]:
        """What every digest in the active `language` shares."""
        if language not in self._links:
            self._links[language] = {
                "settings_url": absolute(reverse("accounts:alert_settings")),
                "changes_url": absolute(reverse("standards:changes")),
                "watchlist": translation.gettext("your watchlists"),
            }
        return self._links[language]

    def message(self, digest: Digest, *, frequency: str, connection=None) -> EmailMultiAlternatives:
        """The member's e-mail, in the subscription's language, with one-click unsubscribe."""
        subscription = digest.subscription
        language = subscription.language or subscription.user.language
        with translation.override(language):
            links = self._language_links(language)
            shown = digest.changes[-SHOWN_CHANGES:][::-1]  # latest event first
            items = [
                (
                    fragments,
                    [
                        links["watchlist"] if reason == "watchlist" else reason
                        for reason in digest.reasons[fragments.entry.pk]
                    ],
                )
                for fragments in self._fragments(language, shown)
            ]
            unsubscribe_url = absolute(
                reverse("accounts:unsubscribe", args=[unsubscribe_token(subscription.user_id)])
            )
            ctx = {
                "user": subscription.user,
                "items": items,
                "count": len(digest.changes),
                "more": len(digest.changes) - len(shown),
                "frequency": frequency,
                "settings_url": links["settings_url"],
                "changes_url": links["changes_url"],
                "unsubscribe_url": unsubscribe_url,
                "site_url": settings.SITE_URL,
            }
            subject = self._render("emails/digest.subject.txt", ctx)
            text = self._render("emails/digest.txt", ctx)
            html = self._render("emails/digest.html", ctx)
        return mail.compose(
            subject,
            text,
            html,
            to=[subscription.user.email],
            headers={
                "Message-ID": make_msgid(domain=self._msgid_domain),
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            },
            connection=connection,
        )


# ---------------------------------------------------------------------------
# Deliveries


def schedule_deliveries(*, frequency: str, now: datetime.datetime) -> int:
    """One pending Delivery per active subscriber for the period before `now`; rows that
    exist already (a rerun, a parallel run) are left alone. Returns the rows asked for."""
    start, end = period_for(frequency, now)
    user_ids = Subscription.objects.filter(
        active=True, frequency=frequency, user__is_active=True
    ).values_list("user_id", flat=True)
    rows = [
        Delivery(user_id=user_id, frequency=frequency, period_start=start, period_end=end)
        for user_id in user_ids
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def due(now: datetime.datetime) -> Q:
    """Deliveries a run may claim: new ones, failed ones whose retry time has come, and
    ones left "sending" by a run that died more than STALE_CLAIM ago."""
    return (
        Q(status=DeliveryStatus.PENDING)
        | Q(status=DeliveryStatus.FAILED, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)
    )


def claim_delivery(delivery: Delivery, *, now: datetime.datetime) -> bool:
    """Move `delivery` to "sending" if it is still due; False when another run got it."""
    claimed = Delivery.objects.filter(due(now), pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=now
    )
    if claimed == 1:
        delivery.status, delivery.claimed_at = DeliveryStatus.SENDING, now
    return claimed == 1


def _finish(delivery: Delivery, **values) -> bool:
    # Only the run holding the claim may record the outcome.
    updated = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=delivery.claimed_at
    ).update(**values)
    for name, value in values.items():
        setattr(delivery, name, value)
    return updated == 1


def retry_delay(attempts: int) -> datetime.timedelta:
    """5 minutes after the first failure, then 10, 20, 40."""
    return RETRY_BASE * 2 ** max(attempts - 1, 0)


def record_failure(delivery: Delivery, *, error: str, now: datetime.datetime, **values) -> str:
    """Record a claimed delivery that could not be built or sent: retried after
    `retry_delay`, abandoned after MAX_ATTEMPTS. Returns the new status."""
    attempts = delivery.attempts + 1
    status = DeliveryStatus.ABANDONED if attempts >= MAX_ATTEMPTS else DeliveryStatus.FAILED
    _finish(
        delivery,
        status=status,
        attempts=attempts,
        next_attempt_at=None if status == DeliveryStatus.ABANDONED else now + retry_delay(attempts),
        error=error[:2000],
        **values,
    )
    return status


def deliver(
    delivery: Delivery,
    digest: Digest | None,
    *,
    renderer: Renderer,
    now: datetime.datetime,
    connection=None,
) -> str:
    """Send one claimed delivery and record the outcome; returns the new status."""
    if digest is None or not digest.changes:
        _finish(delivery, status=DeliveryStatus.EMPTY, changes=[], error="")
        return DeliveryStatus.EMPTY
    language = digest.subscription.language or digest.user.language
    change_ids = [c.pk for c in digest.changes]
    try:
        # Alone in a savepoint: a bug reached only by this member's digest is recorded on
        # its delivery (and retried), not left to stop the run.
        with transaction.atomic():
            message = renderer.message(digest, frequency=delivery.frequency, connection=connection)
    except Exception as error:
        if isinstance(error, DatabaseError) and not cannot_run(error):
            raise
        logger.exception("Digest %s for %s could not be written", delivery.pk, delivery.user_id)
        return record_failure(
            delivery,
            error=f"{type(error).__name__}: {error}",
            now=now,
            language=language,
            changes=change_ids,
        )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("Digest %s for %s failed: %s", delivery.pk, delivery.user_id, error)
        return record_failure(
            delivery,
            error=f"{type(error).__name__}: {error}",
            now=now,
            language=language,
            changes=change_ids,
        )
    _finish(
        delivery,
        status=DeliveryStatus.SENT,
        attempts=delivery.attempts + 1,
        sent_at=timezone.now(),
        next_attempt_at=None,
        error="",
        language=language,
        changes=change_ids,
    )
    return DeliveryStatus.SENT


def send_due(
    *, frequency: str, now: datetime.datetime, user_ids: Iterable[int] | None = None
) -> Counter:
    """Claim and send every due delivery of `frequency` (all periods, so retries of older
    periods go out too). Returns a count per outcome, plus "skipped" for rows another run
    claimed first."""
    rows = Delivery.objects.filter(due(now), frequency=frequency)
    if user_ids is not None:
        rows = rows.filter(user_id__in=list(user_ids))
    by_period: dict[tuple, list[Delivery]] = defaultdict(list)
    for delivery in rows.order_by("period_start", "pk"):
        by_period[(delivery.period_start, delivery.period_end)].append(delivery)
    outcome: Counter = Counter()
    renderer = Renderer()
    connection = get_connection(fail_silently=False)
    try:
        connection.open()  # one SMTP session for the run
    except (smtplib.SMTPException, OSError) as error:
        # Each send below tries again and records the failure on its delivery.
        logger.warning("Could not connect to the mail server: %s", error)
    try:
        for (start, end), deliveries in by_period.items():
            changes = load_changes(start, end)
            digests, failures = build_digests_apart(
                subscriptions=load_subscriptions(d.user_id for d in deliveries), changes=changes
            )
            for delivery in deliveries:
                if not claim_delivery(delivery, now=now):
                    outcome["skipped"] += 1
                    continue
                if delivery.user_id in failures:
                    error = failures[delivery.user_id]
                    outcome[record_failure(delivery, error=error, now=now)] += 1
                    continue
                digest = digests.get(delivery.user_id)
                outcome[
                    deliver(delivery, digest, renderer=renderer, now=now, connection=connection)
                ] += 1
    finally:
        connection.close()
    return outcome


def send_scheduled_digests(*, frequency: str, now: datetime.datetime | None = None) -> Counter:
    """What cron runs: create this period's deliveries, then send whatever is due."""
    now = now or timezone.now()
    if frequency != Frequency.IMMEDIATE:
        schedule_deliveries(frequency=frequency, now=now)
    return send_due(frequency=frequency, now=now)


def send_change_alerts(*, change_id: int, now: datetime.datetime | None = None) -> Counter:
    """Immediate alerts for one change: a Delivery per concerned member (period_start =
    the change's creation time), then send them."""
    now = now or timezone.now()
    change = public_changes(Filters()).filter(pk=change_id).first()
    if change is None:
        return Counter()  # rolled back, deleted, or about an unpublished record
    subscriptions = load_subscriptions(
        Subscription.objects.filter(
            active=True, frequency=Frequency.IMMEDIATE, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    digests, failures = build_digests_apart(subscriptions=subscriptions, changes=[change])
    # A member whose alert could not be built gets a delivery too: it is recorded as
    # failed and retried (send_digests --frequency immediate), like a failed send.
    concerned = [user_id for user_id, digest in digests.items() if digest.changes]
    concerned += list(failures)
    Delivery.objects.bulk_create(
        [
            Delivery(
                user_id=user_id,
                frequency=Frequency.IMMEDIATE,
                period_start=change.created_at,
                period_end=change.created_at,
            )
            for user_id in concerned
        ],
        ignore_conflicts=True,
    )
    if not concerned:
        return Counter()
    return send_due(frequency=Frequency.IMMEDIATE, now=now, user_ids=concerned)
