"""Log-in locks: django-axes, counting failures three ways.

- the account from one address: AXES_FAILURE_LIMIT failures (a person mistyping);
- the account from anywhere: AXES_ACCOUNT_FAILURE_LIMIT, so guesses spread over many
  addresses still lock it;
- the address, whatever the accounts: AXES_ADDRESS_FAILURE_LIMIT, so one client cannot
  try a few passwords on every account.

The user name is the e-mail address in lower case (log-in ignores its case, so must the
lock), and the address is `accounts.throttles.client_address`, which reads
X-Forwarded-For only behind trusted proxies. Settings point axes here: AXES_HANDLER,
AXES_USERNAME_CALLABLE, AXES_CLIENT_IP_CALLABLE; the lock-out page is
accounts.views.accounts.lockout.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from axes.conf import settings
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone


class Lock:
    """The kinds of lock, most general first: the page names the one that applies."""

    ACCOUNT = "account"
    ADDRESS = "address"
    ACCOUNT_FROM_ADDRESS = "account_from_address"


_KINDS = {
    frozenset({"username", "ip_address"}): Lock.ACCOUNT_FROM_ADDRESS,
    frozenset({"username"}): Lock.ACCOUNT,
    frozenset({"ip_address"}): Lock.ADDRESS,
}


def _kind(parameter: str | list[str]) -> str:
    """The lock an entry of AXES_LOCKOUT_PARAMETERS stands for."""
    return _KINDS[frozenset([parameter] if isinstance(parameter, str) else parameter)]


def _limit(kind: str) -> int:
    return {
        Lock.ACCOUNT_FROM_ADDRESS: settings.AXES_FAILURE_LIMIT,
        Lock.ACCOUNT: settings.AXES_ACCOUNT_FAILURE_LIMIT,
        Lock.ADDRESS: settings.AXES_ADDRESS_FAILURE_LIMIT,
    }[kind]


def username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The user name axes counts: the e-mail address as typed, in lower case."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "data", request.POST).get(field)
    return value.strip().lower() if isinstance(value, str) else value


@dataclass(frozen=True)
class CurrentLock:
    kind: str
    retry_after: int  # seconds


class LoginLockHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit for each kind of lock."""

    def _attempts(self, request: HttpRequest, credentials: dict | None) -> dict[str, QuerySet]:
        # One queryset per entry of AXES_LOCKOUT_PARAMETERS, in its order.
        kinds = map(_kind, settings.AXES_LOCKOUT_PARAMETERS)
        return dict(zip(kinds, self.get_user_attempts(request, credentials), strict=True))

    def current_lock(
        self, request: HttpRequest, credentials: dict | None = None
    ) -> CurrentLock | None:
        """The lock that applies to this log-in, most general first, or None."""
        attempts = self._attempts(request, credentials)
        for kind in (Lock.ACCOUNT, Lock.ADDRESS, Lock.ACCOUNT_FROM_ADDRESS):
            retry_after = _lifts_in(attempts[kind], _limit(kind), request)
            if retry_after is not None:
                return CurrentLock(kind, retry_after)
        return None

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """Axes compares this number with AXES_FAILURE_LIMIT. As each lock has its own
        limit, it is that limit itself while any lock applies, and otherwise the
        failures against this account from this address."""
        if self.current_lock(request, credentials) is not None:
            return settings.AXES_FAILURE_LIMIT
        pair = self._attempts(request, credentials)[Lock.ACCOUNT_FROM_ADDRESS]
        return sum(pair.values_list("failures_since_start", flat=True))


def _lifts_in(attempts: QuerySet, limit: int, request: HttpRequest) -> int | None:
    """Seconds until the lock these attempts make lifts, or None if they make none.

    Each row counts until its last failure is a cool-off old; the newest rows that reach
    the limit together hold the lock until the oldest of them expires."""
    total = 0
    rows = attempts.order_by("-attempt_time").values_list("attempt_time", "failures_since_start")
    for attempt_time, failures in rows:
        total += failures
        if total >= limit:
            now = getattr(request, "axes_attempt_time", None) or timezone.now()
            lifts = attempt_time + (get_cool_off(request) or datetime.timedelta())
            return max(1, math.ceil((lifts - now).total_seconds()))
    return None


def current_lock(request: HttpRequest, credentials: dict | None = None) -> CurrentLock | None:
    """The lock that applies to this log-in (see LoginLockHandler.current_lock)."""
    handler = AxesProxyHandler.get_implementation()
    if isinstance(handler, LoginLockHandler):
        return handler.current_lock(request, credentials)
    return None


def cool_off_seconds(request: HttpRequest) -> int:
    """How long a lock lasts after the last failure."""
    return int((get_cool_off(request) or datetime.timedelta()).total_seconds())
