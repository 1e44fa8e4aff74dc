"""Small helpers every app's pages, feeds and e-mails use: the site's own address, the
reader's language, page numbers asked for in a URL, and text typed by users.

Neutral: imports no app of the project.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def absolute_url(path: str = "") -> str:
    """`path` on the site's canonical address (SITE_URL), whatever host a request used;
    for e-mails, feeds and calendars read outside the site."""
    return settings.SITE_URL.rstrip("/") + path


def site_host() -> str:
    """The site's own host name, for UIDs, Atom ids and Message-IDs."""
    return urlsplit(settings.SITE_URL).hostname or "cesip"


def is_chinese(language: str | None = None) -> bool:
    """Whether `language` (default: the active one) is Chinese."""
    return (language or get_language() or "").startswith("zh")


def join_list(items: Iterable[Any]) -> str:
    """Items joined as the active language lists them: Chinese uses the enumeration comma
    (、), not a comma and a space."""
    return ("、" if is_chinese() else ", ").join(str(item) for item in items)


def headed(head: Any, text: Any) -> str:
    """“GB 4706.1-2024: text”, with the full-width colon in Chinese."""
    return f"{head}{'：' if is_chinese() else ': '}{text}"


def without_nul(text: str) -> str:
    """`text` without NUL characters: PostgreSQL text refuses them, and no one types one."""
    return text.replace("\x00", "")


def page_number(raw: str | None, num_pages: int) -> tuple[int, str]:
    """The page asked for, kept within 1..num_pages, and a note when it was not."""
    raw = "1" if raw is None else raw
    try:
        number = int(raw)
    except ValueError:
        note = _("“%(page)s” is not a page number; showing the first page.")
        return 1, note % {"page": without_nul(raw)[:20]}
    if number < 1:
        return 1, _("Pages start at 1; showing the first page.")
    if number > num_pages:
        note = _("There are only %(pages)s pages; showing the last one.")
        return num_pages, note % {"pages": num_pages}
    return number, ""
