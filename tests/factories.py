"""Plain factory functions with sensible bilingual defaults; callers override any field."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.utils.text import slugify

from accounts.models import User
from sectors.models import Sector
from standards.models import (
    Adoption,
    Body,
    Citation,
    Standard,
    TechnicalRegulation,
)

BODIES = {
    "SAC": ("Standardization Administration of China", "国家标准化管理委员会", "CN"),
    "CEN": ("European Committee for Standardization", "欧洲标准化委员会", "EU"),
    "CENELEC": (
        "European Committee for Electrotechnical Standardization",
        "欧洲电工标准化委员会",
        "EU",
    ),
    "ISO": ("International Organization for Standardization", "国际标准化组织", "INT"),
    "IEC": ("International Electrotechnical Commission", "国际电工委员会", "INT"),
}


def make_body(code: str = "SAC", **kw) -> Body:
    name_en, name_zh, jurisdiction = BODIES.get(code, (code, code, "INT"))
    defaults = {"name_en": name_en, "name_zh_hans": name_zh, "jurisdiction": jurisdiction}
    return Body.objects.get_or_create(code=code, defaults={**defaults, **kw})[0]


def make_standard(identifier: str, *, body: str | Body | None = None, **kw) -> Standard:
    sectors = kw.pop("sectors", None)
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
