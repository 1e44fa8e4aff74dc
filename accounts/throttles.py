"""Who is asking, and how much mail they may make the site send.

`client_address` is the client's IP address, read from X-Forwarded-For only behind the
proxies the settings trust (TRUSTED_PROXY_COUNT); django-axes and the mail limits both
use it. `limit_mail` counts the mail-sending actions (invitations, password resets,
sign-up mail) per sender and per recipient in the Django cache, and refuses with
`TooManyMails` once either has had its share for the hour.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext


def client_address(request: HttpRequest) -> str:
    """The address the client connected from.

    Each proxy appends the address it received the request from to X-Forwarded-For, so
    behind `TRUSTED_PROXY_COUNT` proxies the entry that many places from the end is the
    one the outermost trusted proxy saw. Entries before it were written by the client
    and may be forged; without trusted proxies the header is ignored altogether."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        # Not through the proxies (or a proxy that does not set the header).
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


@dataclass(frozen=True)
class MailKind:
    """One kind of mail a visitor can have sent, with its allowance per sender (a
    signed-in user, or else an address) and per recipient."""

    name: str
    per_sender: Rate
    per_recipient: Rate


HOUR = 3600
# An owner may invite a team at once, not a mailing list; an address hears of a few
# invitations an hour, whichever companies send them.
INVITATION = MailKind("invitation", per_sender=Rate(20, HOUR), per_recipient=Rate(3, HOUR))
PASSWORD_RESET = MailKind("password-reset", per_sender=Rate(10, HOUR), per_recipient=Rate(3, HOUR))
# Sign-up, the verification link sent again, and the notice to an existing account.
SIGNUP = MailKind("signup", per_sender=Rate(10, HOUR), per_recipient=Rate(3, HOUR))


class TooManyMails(Exception):
    """The sender, or the recipient, has had its share: `retry_after` seconds to wait."""

    def __init__(self, *, retry_after: int, recipient: bool):
        super().__init__(retry_after)
        self.retry_after = retry_after
        self.recipient = recipient

    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        if self.recipient:
            # Counted whether or not the address has an account: it reveals nothing.
            text = ngettext(
                "Several messages to this address were asked for in a short time. To "
                "protect its owner no more are sent for now: please try again in "
                "%(minutes)s minute.",
                "Several messages to this address were asked for in a short time. To "
                "protect its owner no more are sent for now: please try again in "
                "%(minutes)s minutes.",
                minutes,
            )
        else:
            text = ngettext(
                "You have sent many messages in a short time. Please try again in "
                "%(minutes)s minute.",
                "You have sent many messages in a short time. Please try again in "
                "%(minutes)s minutes.",
                minutes,
            )
        return text % {"minutes": minutes}


def sender_of(request: HttpRequest) -> str:
    """Who asks: the signed-in user, or else the client's address."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"address:{client_address(request)}"


def _take(kind: MailKind, role: str, who: str, rate: Rate) -> int | None:
    """Count one against `who`'s allowance in the current window; the seconds until the
    window ends if that went over, None otherwise."""
    now = time.time()
    window = int(now // rate.seconds)
    digest = hashlib.sha256(who.encode()).hexdigest()[:32]  # no addresses in the cache
    key = f"mail-limit:{kind.name}:{role}:{digest}:{window}"
    # add() then incr() is atomic on every cache backend that matters (locmem, Redis).
    cache.add(key, 0, timeout=rate.seconds)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between the two calls
        cache.set(key, 1, timeout=rate.seconds)
        used = 1
    if used <= rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.seconds - now))


def limit_mail(kind: MailKind, *, sender: str, recipient: str) -> None:
    """Count one mail of `kind` from `sender` to `recipient`; raises TooManyMails when
    either has had its share. A refused request still counts against its sender."""
    wait = _take(kind, "sender", sender, kind.per_sender)
    if wait is not None:
        raise TooManyMails(retry_after=wait, recipient=False)
    wait = _take(kind, "recipient", recipient.strip().lower(), kind.per_recipient)
    if wait is not None:
        raise TooManyMails(retry_after=wait, recipient=True)


def refusal(
    request: HttpRequest, template_name: str, context: dict, error: TooManyMails
) -> HttpResponse:
    """The form page again, answering 429 with the wait in Retry-After; the form in
    `context` should carry `error.message()`."""
    response = render(request, template_name, context, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response
