"""The sources CESIP never links to: copies of paywalled standards, document-sharing,
"free download" and forum pages, proxies and staging hosts, mirrors on unrelated domains.
`data/denied_sources.csv` lists their domains (a domain covers its subdomains);
`source_problem` says why a URL is refused. The catalogue's importers and admin
(standards.sources, standards.imports) and the sector importers all ask it.

Neutral: imports no app of the project.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

DENIED_SOURCES_CSV = Path(settings.BASE_DIR) / "data" / "denied_sources.csv"
# Not in a web address as CESIP stores it: spaces, tabs, line breaks, control characters.
WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")

CATEGORIES = {
    "reseller": _("reseller of standards it does not publish"),
    "document-sharing": _("document-sharing site"),
    "free-download": _("“free download” site"),
    "forum": _("forum"),
    "proxy": _("proxy or staging host"),
    "mirror": _("mirror on an unrelated domain"),
}


@dataclass(frozen=True)
class DeniedDomain:
    domain: str
    category: str
    note: str

    @property
    def category_label(self) -> str:
        return str(CATEGORIES[self.category])


@functools.cache
def denied_domains() -> dict[str, DeniedDomain]:
    """data/denied_sources.csv by domain (lower case)."""
    with DENIED_SOURCES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    found = {}
    for row in rows:
        domain = row["domain"].strip().lower()
        if row["category"] not in CATEGORIES:
            raise ValueError(f"{DENIED_SOURCES_CSV.name}: unknown category for {domain}")
        found[domain] = DeniedDomain(domain, row["category"], row.get("note", "").strip())
    return found


def host_of(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:  # an unbalanced "[" in the host part
        return ""
    return host.rstrip(".").lower()


def denied_domain(url: str) -> DeniedDomain | None:
    """The deny-list entry `url`'s host falls under (itself or a parent domain), if any."""
    labels = host_of(url).split(".")
    denied = denied_domains()
    for start in range(len(labels) - 1):
        entry = denied.get(".".join(labels[start:]))
        if entry is not None:
            return entry
    return None


def source_problem(url: str) -> str:
    """Why `url` cannot be a record's source, in the reader's language; "" when it can
    (an empty URL is fine: the official record is built from the identifier)."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        scheme = urlsplit(url).scheme.lower() if ":" in url else ""
    except ValueError:  # an unbalanced "[" in the host part
        scheme = ""
    if WHITESPACE_OR_CONTROL.search(url):  # browsers drop some, and read it otherwise
        return gettext("“%(url)s” is not a web address (http or https).") % {"url": url[:80]}
    if scheme not in ("http", "https"):
        if scheme:
            return gettext("Only http and https links are accepted, not “%(scheme)s:”.") % {
                "scheme": scheme[:20]
            }
        return gettext("“%(url)s” is not a web address (http or https).") % {"url": url[:80]}
    if not host_of(url):
        return gettext("“%(url)s” is not a web address (http or https).") % {"url": url[:80]}
    entry = denied_domain(url)
    if entry is not None:
        return gettext(
            "Links to %(domain)s are refused: it is a %(category)s (CESIP's deny-list of "
            "sources). Link the publisher's record or a page that confirms the fact."
        ) % {"domain": entry.domain, "category": entry.category_label}
    return ""


def web_url(url: str) -> str:
    """`url` when a page may link it: an http or https address with a host, nothing a
    browser would read otherwise (no whitespace or control character); "" for anything
    else (`javascript:`, `data:`, a bare word). The `web_url` template filter."""
    url = (url or "").strip()
    if not url or WHITESPACE_OR_CONTROL.search(url):
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and host else ""


def validate_source_url(url: str) -> None:
    """Form validator: the URL checks of a web address plus `source_problem`."""
    problem = source_problem(url)
    if problem:
        raise ValidationError(problem, code="refused_source")
    URLValidator(schemes=["http", "https"])(url)
