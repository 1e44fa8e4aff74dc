"""Plain factory functions with sensible bilingual defaults; callers override any field."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.utils.text import slugify

from accounts.models import User
from sectors.models import Sector
from standards import status
from standards.bodies import body
from standards.models import (
    Adoption,
    Body,
    Citation,
    Standard,
    TechnicalRegulation,
)


def make_body(code: str = "SAC") -> Body:
    """The body from the product's table (data/bodies.csv)."""
    return body(code)


def make_standard(identifier: str, *, body: str | Body | None = None, **kw) -> Standard:
    sectors = kw.pop("sectors", None)
    # As a source stated it, unless the test says otherwise (status_confirmed_on=None).
    kw.setdefault("status_confirmed_on", datetime.date(2024, 1, 1))
    standard = Standard(**{"published": True, **kw})
    standard.set_identifier(identifier)
    if body is None:
        body = {"CN": "SAC", "EU": "CEN", "INT": identifier.split()[0].split("/")[0]}[
            standard.jurisdiction
        ]
    standard.body = body if isinstance(body, Body) else make_body(body)
    if not (standard.title_en or standard.title_zh_hans):
        standard.title_en = f"Title of {identifier}"
    standard.save()
    status.refresh_editions([standard.pk])  # what record_changes does on every write path
    if sectors:
        slugs = [s for s in sectors if isinstance(s, str)]
        standard.sectors.set(
            [s for s in sectors if not isinstance(s, str)]
            + list(Sector.objects.filter(slug__in=slugs))
        )
    return standard


def make_regulation(reference: str, **kw) -> TechnicalRegulation:
    defaults = {
        "reference": reference,
        "slug": slugify(reference.replace("/", "-").replace(":", "-").replace(".", "-")),
        "short_name_en": reference,
        "title_en": f"Title of {reference}",
        "jurisdiction": "EU",
        "kind": "eu-directive",
        "published": True,
    }
    return TechnicalRegulation.objects.create(**{**defaults, **kw})


def adopt(standard: Standard, adopted: Standard, degree: str) -> Adoption:
    return Adoption.objects.create(standard=standard, adopted=adopted, degree=degree)


def cite(regulation: TechnicalRegulation, standard: Standard, **kw) -> Citation:
    defaults = {"kind": "harmonised", "date_cited": datetime.date(2021, 1, 1)}
    return Citation.objects.create(regulation=regulation, standard=standard, **{**defaults, **kw})


def make_user(email: str, *, group: str | None = None, **kw) -> User:
    user = User.objects.create_user(email=email, password="correct horse battery", **kw)
    if group:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name=group))
    return user


def make_company(name: str = "Acme", *, owner: User | None = None, members=()):
    """A company as the site creates it (slug from the name), with `owner` (made up if
    not given) as its owner and `members` as plain members."""
    from accounts.companies import create_company

    owner = owner or make_user(f"owner-{User.objects.count() + 1}@{slugify(name)}.example")
    company = create_company(name=name, owner=owner)
    for member in members:
        add_member(company, member)
    return company


def add_member(company, user: User, role: str = "member"):
    from accounts.models import Membership

    return Membership.objects.create(company=company, user=user, role=role)


def make_watchlist(company, name: str = "Toys", *, by: User | None = None):
    from accounts.models import Watchlist, new_ical_token

    return Watchlist.objects.create(
        company=company, name=name, created_by=by, ical_token=new_ical_token()
    )


def watch(watchlist, record: Standard | TechnicalRegulation, *, by: User | None = None, note=""):
    """Put a standard or a regulation on `watchlist`."""
    from accounts.models import WatchItem

    field = "standard" if isinstance(record, Standard) else "regulation"
    return WatchItem.objects.create(watchlist=watchlist, added_by=by, note=note, **{field: record})


def make_invitation(company, email: str, *, invited_by: User | None = None, **kw):
    """An open invitation and the token of its link (`join/<token>/`)."""
    import secrets

    from django.utils import timezone

    from accounts.companies import INVITATION_MAX_AGE, invitation_token
    from accounts.models import Invitation

    defaults = {
        "nonce": secrets.token_hex(16),
        "expires_at": timezone.now() + INVITATION_MAX_AGE,
        "invited_by": invited_by,
    }
    invitation = Invitation.objects.create(company=company, email=email, **{**defaults, **kw})
    return invitation, invitation_token(invitation)
