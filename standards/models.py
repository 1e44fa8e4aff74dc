import dataclasses
import datetime
from collections.abc import Sequence

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cesip.sources import validate_source_url
from sectors.models import CcsCode, HsCode, IcsCode, ProductTerm, Sector, TranslationSource
from standards import status as engine
from standards.identifiers import Identifier, IdentifierError, key_variants, parse_identifier
from standards.segmentation import segment


class Jurisdiction(models.TextChoices):
    CN = "CN", _("China")
    EU = "EU", _("European Union")
    INT = "INT", _("International")


class LegalForce(models.TextChoices):
    MANDATORY = "mandatory", _("Mandatory")
    RECOMMENDED = "recommended", _("Recommended")
    GUIDANCE = "guidance", _("Guidance")
    VOLUNTARY = "voluntary", _("Voluntary")


class Stage(models.TextChoices):
    """What a curator records. "Upcoming" and "current" are not stored: see Status."""

    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUPERSEDED = "superseded", _("Superseded")


class Status(models.TextChoices):
    """The common lifecycle shown to readers, derived from the stage and today's date."""

    DRAFT = "draft", _("Draft")
    UPCOMING = "upcoming", _("Published, not yet in force")
    CURRENT = "current", _("Current")
    # No source stated the status; not assumed current.
    UNCONFIRMED = "unconfirmed", _("Status not confirmed")
    # Replaced, but still valid until the end of a recorded transition (DOW, DOC, 实施日期).
    TRANSITION = "transition", _("Superseded, still valid")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUPERSEDED = "superseded", _("Superseded")


class DatePrecision(models.TextChoices):
    """How much of a date the source gives: lists such as ISO's give only the month."""

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class Degree(models.TextChoices):
    """Degree of correspondence, ISO/IEC Guide 21-1."""

    IDT = "IDT", _("Identical (IDT)")
    MOD = "MOD", _("Modified (MOD)")
    NEQ = "NEQ", _("Not equivalent (NEQ)")


class Extent(models.TextChoices):
    WHOLE = "whole", _("Whole")
    PARTIAL = "partial", _("Partial")


class ChoicesConstraint(models.CheckConstraint):
    """`field` holds one of `choices` (or "" when `blank`), enforced by the database.

    Validation runs in Python: Django's default CheckConstraint.validate() costs one
    query per constraint per row, which an import of thousands of rows cannot afford.
    """

    def __init__(self, *, field: str, choices: list[str], blank: bool = False, name: str, **kwargs):
        self.field, self.choices, self.blank = field, list(choices), blank
        allowed = Q(**{f"{field}__in": self.choices})
        if blank:
            allowed |= Q(**{field: ""})
        kwargs.pop("condition", None)
        super().__init__(condition=allowed, name=name, **kwargs)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs.pop("condition")
        kwargs.update(field=self.field, choices=self.choices, blank=self.blank)
        return path, args, kwargs

    def validate(self, model, instance, exclude=None, using=None):
        if exclude and self.field in exclude:
            return
        value = getattr(instance, self.field)
        if value not in self.choices and not (self.blank and value == ""):
            raise ValidationError(self.get_violation_error_message(), code="invalid_choice")


class DateOrderConstraint(models.CheckConstraint):
    """`later` is not before `earlier` when both are set; validated in Python as above."""

    def __init__(self, *, later: str, earlier: str, name: str, **kwargs):
        self.later, self.earlier = later, earlier
        kwargs.pop("condition", None)
        kwargs.setdefault("violation_error_code", "date_order")
        super().__init__(
            condition=Q(**{f"{later}__isnull": True})
            | Q(**{f"{earlier}__isnull": True})
            | Q(**{f"{later}__gte": F(earlier)}),
            name=name,
            **kwargs,
        )

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs.pop("condition")
        kwargs.update(later=self.later, earlier=self.earlier)
        return path, args, kwargs

    def validate(self, model, instance, exclude=None, using=None):
        if exclude and (self.later in exclude or self.earlier in exclude):
            return
        later, earlier = getattr(instance, self.later), getattr(instance, self.earlier)
        if later and earlier and later < earlier:
            raise ValidationError(
                self.get_violation_error_message(), code=self.violation_error_code
            )


class FilledConstraint(models.CheckConstraint):
    """At least one of `fields` is not empty; validated in Python as above."""

    def __init__(self, *, fields: list[str], name: str, **kwargs):
        self.fields = list(fields)
        kwargs.pop("condition", None)
        condition = ~Q(**{self.fields[0]: ""})
        for field in self.fields[1:]:
            condition |= ~Q(**{field: ""})
        super().__init__(condition=condition, name=name, **kwargs)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs.pop("condition")
        kwargs["fields"] = self.fields
        return path, args, kwargs

    def validate(self, model, instance, exclude=None, using=None):
        if exclude and any(field in exclude for field in self.fields):
            return
        if not any(getattr(instance, field) for field in self.fields):
            raise ValidationError(self.get_violation_error_message(), code="filled")


class NotOwnParentConstraint(models.CheckConstraint):
    """The foreign key `field` does not point at the row itself; validated in Python."""

    def __init__(self, *, field: str, name: str, **kwargs):
        self.field = field
        kwargs.pop("condition", None)
        super().__init__(condition=~Q(**{field: F("pk")}), name=name, **kwargs)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs.pop("condition")
        kwargs["field"] = self.field
        return path, args, kwargs

    def validate(self, model, instance, exclude=None, using=None):
        if exclude and self.field in exclude:
            return
        target = getattr(instance, f"{self.field}_id")
        if instance.pk is not None and target == instance.pk:
            raise ValidationError(self.get_violation_error_message(), code="own_parent")


def _choices_check(field: str, choices: type[models.Choices], *, blank: bool = False):
    return ChoicesConstraint(
        field=field, choices=choices.values, blank=blank, name=f"%(class)s_{field}_valid"
    )


def _not_before(later: str, earlier: str, name: str, message: str):
    return DateOrderConstraint(
        later=later, earlier=earlier, name=f"%(class)s_{name}", violation_error_message=message
    )


class Body(models.Model):
    """A standards body or authority: SAC, CEN, CENELEC, ETSI, ISO, IEC, MIIT, NMPA…"""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=3, choices=Jurisdiction.choices)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("standards body")
        verbose_name_plural = _("standards bodies")
        ordering = ["code"]
        constraints = [_choices_check("jurisdiction", Jurisdiction)]

    def __str__(self) -> str:
        return self.code


class CuratedRecord(models.Model):
    """What every public record carries: how far to trust each translation, where the
    facts come from, who curates it, and whether the public may see it."""

    title_en_source = models.CharField(
        _("source of the English title"),
        max_length=10,
        choices=TranslationSource.choices,
        blank=True,
    )
    title_zh_hans_source = models.CharField(
        _("source of the Chinese title"),
        max_length=10,
        choices=TranslationSource.choices,
        blank=True,
    )
    scope_en_source = models.CharField(
        _("source of the English scope"),
        max_length=10,
        choices=TranslationSource.choices,
        blank=True,
    )
    scope_zh_hans_source = models.CharField(
        _("source of the Chinese scope"),
        max_length=10,
        choices=TranslationSource.choices,
        blank=True,
    )
    translation_verified = models.BooleanField(
        _("translation verified"),
        default=False,
        help_text=_("A curator has checked the title and scope in both languages."),
    )
    # http(s) only, and not a denied domain, however the row is written (issue 15, item 9).
    source_url = models.URLField(
        _("source URL"), max_length=500, blank=True, validators=[validate_source_url]
    )
    last_verified = models.DateField(_("last verified"), null=True, blank=True)
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("curator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published records appear on public pages.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Derived for search (standards.segmentation): the Chinese title and scope as
    # segmented words. Kept right by save() and by refresh_search_text() on bulk paths;
    # `manage.py rebuild_search` recomputes every row.
    search_zh_title = models.TextField(editable=False, blank=True, default="")
    search_zh_scope = models.TextField(editable=False, blank=True, default="")

    SEARCH_TEXT_FIELDS = ["search_zh_title", "search_zh_scope"]

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.refresh_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *self.SEARCH_TEXT_FIELDS}
        super().save(*args, **kwargs)

    def chinese_title_text(self) -> str:
        return self.title_zh_hans or ""

    def refresh_search_text(self) -> None:
        self.search_zh_title = segment(self.chinese_title_text())
        self.search_zh_scope = segment(self.scope_zh_hans)

    @staticmethod
    def source_constraints() -> list[models.CheckConstraint]:
        return [
            _choices_check(field, TranslationSource, blank=True)
            for field in ("title_en_source", "title_zh_hans_source", "scope_en_source",
                          "scope_zh_hans_source")
        ]  # fmt: skip


_slug_urls: dict[tuple[str, str, str], tuple[str, str]] = {}


def slug_url(name: str, slug: str) -> str:
    """reverse(name, args=[slug]) for a record's slug, with the address around the slug
    reversed once per language (a results page links each row two or three times)."""
    key = (name, get_language() or "", get_script_prefix())
    if key not in _slug_urls:
        marker = "slug0marker"
        before, _marker, after = reverse(name, args=[marker]).partition(marker)
        _slug_urls[key] = (before, after)
    before, after = _slug_urls[key]
    return f"{before}{slug}{after}"


def _search_vector(*english: tuple[str, str]):
    """The stored search column: English words (stemmed) and the segmented Chinese
    words, titles weighted A and scope B."""
    vector = SearchVector("search_zh_title", config="simple", weight="A") + SearchVector(
        "search_zh_scope", config="simple", weight="B"
    )
    for field_name, weight in english:
        vector += SearchVector(field_name, config="english", weight=weight)
    return vector


SEARCH_HISTORY_EXCLUDED = ["updated_at", "search_zh_title", "search_zh_scope", "search_vector"]
# Columns no page shows: the derived search text, for `.defer()` wherever records are read.
SEARCH_COLUMNS = ["search_zh_title", "search_zh_scope", "search_vector"]
# What a list of records (editions, counterparts, an act's successor) never shows: the
# search columns and the scope, every language's column named (a queryset of a model
# without translated fields does not add them, across a relation).
LIST_DEFERRED = [*SEARCH_COLUMNS, "scope", "scope_en", "scope_zh_hans"]


def printed_form(parsed: Identifier) -> str:
    """How a typed identifier is stored: as printed (after full-width characters and
    dashes are normalised), except that an all-lower-case prefix ("gb", "en") becomes the
    canonical one."""
    return parsed.canonical if parsed.prefix.islower() else str(parsed)


class CuratedQuerySet(models.QuerySet):
    """Filters shared by standards and regulations (CuratedRecord)."""

    def public(self):
        """What public pages, feeds and alerts may show: published records."""
        return self.filter(published=True)

    def missing_title(self, language: str):
        field = f"title_{language.replace('-', '_')}"
        return self.filter(Q(**{field: ""}) | Q(**{f"{field}__isnull": True}))

    def needs_translation(self):
        """Records for the translation queue: a title missing in either language, or
        not yet verified by a curator."""
        return (
            self.missing_title("en")
            | self.missing_title("zh-hans")
            | self.filter(translation_verified=False)
        )


class StandardQuerySet(CuratedQuerySet):
    def with_status(self, today: datetime.date | None = None):
        """Annotate `current_status`, the status engine's answer (standards.status) in SQL.

        Today's date comes from Django (the site's time zone), not from the database clock.
        """
        return self.annotate(current_status=engine.status_case(today or timezone.localdate()))

    def with_current_status(self, *statuses: str):
        return self.with_status().filter(current_status__in=statuses)

    def in_status(self, statuses, today: datetime.date | None = None):
        """Rows whose `current_status` is one of `statuses`, written on the stored columns
        (the planner can estimate these, and use indexes, where it cannot see through
        the CASE of with_status)."""
        return self.filter(status_condition(statuses, today or timezone.localdate()))

    def matching_identifier(self, parsed: Identifier):
        """Standards that a typed identifier may mean: the exact edition when a year is
        given, else every edition of the family, GB, GB/T and GB/Z for each other (see
        identifiers.key_variants)."""
        variants = key_variants(parsed)
        if parsed.year:
            return self.filter(key__in=[key for key, _family in variants])
        return self.filter(family_key__in=[family for _key, family in variants])


def status_condition(statuses, today: datetime.date) -> Q:
    """The condition for `Standard.status_on(today) in statuses` (see standards.status)."""
    return engine.status_condition(statuses, today)


class Standard(CuratedRecord):
    """A standard as published by its body, in both languages."""

    identifier = models.CharField(
        _("identifier"), max_length=150, help_text=_("As printed, e.g. GB/T 6675.1-2014.")
    )
    key = models.CharField(_("normalised key"), max_length=150, unique=True, editable=False)
    family_key = models.CharField(
        _("family key"),
        max_length=150,
        db_index=True,
        editable=False,
        help_text=_("The identifier without year or amendments; groups the editions."),
    )
    slug = models.SlugField(_("permalink"), max_length=160, unique=True, editable=False)
    document_type = models.CharField(_("document type"), max_length=40, db_index=True)
    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="standards"
    )
    jurisdiction = models.CharField(_("jurisdiction"), max_length=3, choices=Jurisdiction.choices)
    legal_force = models.CharField(_("legal force"), max_length=12, choices=LegalForce.choices)

    # Either language may be missing (ISO lists are English only); a check constraint
    # requires at least one.
    title = models.CharField(_("title"), max_length=600, blank=True)
    scope = models.TextField(_("scope"), blank=True)
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.PUBLISHED
    )
    status_label = models.CharField(
        _("status as labelled by the source"),
        max_length=60,
        blank=True,
        help_text=_("The source's own words, e.g. 现行, 即将实施, 废止, or a CEN stage code."),
    )

    issued_date = models.DateField(_("issued (发布)"), null=True, blank=True)
    issued_precision = models.CharField(
        _("precision of the issue date"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("When the source gives only a month or a year, the date is its first day."),
    )
    implementation_date = models.DateField(_("implementation (实施)"), null=True, blank=True)
    first_issued_date = models.DateField(_("first issued"), null=True, blank=True)
    confirmed_date = models.DateField(_("review confirmed"), null=True, blank=True)
    withdrawn_date = models.DateField(_("withdrawn (废止)"), null=True, blank=True)
    dor = models.DateField(_("DOR: date of ratification"), null=True, blank=True)
    dav = models.DateField(_("DAV: date of availability"), null=True, blank=True)
    doa = models.DateField(_("DOA: date of announcement"), null=True, blank=True)
    dop = models.DateField(_("DOP: latest date of publication"), null=True, blank=True)
    dow = models.DateField(_("DOW: latest date of withdrawal"), null=True, blank=True)

    ics_codes = models.ManyToManyField(
        IcsCode, verbose_name=_("ICS codes"), blank=True, related_name="standards"
    )
    ccs_codes = models.ManyToManyField(
        CcsCode, verbose_name=_("CCS codes"), blank=True, related_name="standards"
    )
    hs_codes = models.ManyToManyField(
        HsCode, verbose_name=_("HS codes"), blank=True, related_name="standards"
    )
    sectors = models.ManyToManyField(
        Sector, verbose_name=_("sectors"), blank=True, related_name="standards"
    )
    committee_code = models.CharField(_("technical committee"), max_length=60, blank=True)
    committee_name = models.CharField(_("committee name"), max_length=300, blank=True)
    proposing_body = models.CharField(
        _("proposed by (提出单位)"),
        max_length=300,
        blank=True,
        help_text=_("The ministry or body that proposed the standard; 归口单位 is the committee."),
    )
    status_confirmed_on = models.DateField(
        _("status confirmed on"),
        null=True,
        blank=True,
        help_text=_(
            "The day a source last stated this edition's status. Empty when no source "
            "gave one: the record then reads “status not confirmed”."
        ),
    )
    # Derived by standards.status from the family (editions, replacements, citations) and
    # kept right by standards.changes; `manage.py recompute_status` recomputes every row.
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="superseded_editions",
    )
    superseded_from = models.DateField(_("superseded from"), null=True, blank=True, editable=False)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, editable=False)

    amendment_of = models.ForeignKey(
        "self",
        verbose_name=_("amendment of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
    )
    replaces = models.ManyToManyField(
        "self",
        verbose_name=_("replaces"),
        through="Replacement",
        symmetrical=False,
        through_fields=("new", "old"),
        related_name="replaced_by",
        blank=True,
    )
    adopts = models.ManyToManyField(
        "self",
        verbose_name=_("adopts"),
        through="Adoption",
        symmetrical=False,
        through_fields=("standard", "adopted"),
        related_name="adopted_by",
        blank=True,
    )
    search_vector = models.GeneratedField(
        expression=_search_vector(("title_en", "A"), ("scope_en", "B")),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    history = HistoricalRecords(excluded_fields=SEARCH_HISTORY_EXCLUDED)
    objects = StandardQuerySet.as_manager()

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["key"]
        indexes = [
            GinIndex(fields=["search_vector"], name="standard_search_vector"),
            GinIndex(OpClass("key", name="gin_trgm_ops"), name="standard_key_trgm"),
            GinIndex(OpClass("title_en", name="gin_trgm_ops"), name="standard_title_en_trgm"),
            GinIndex(OpClass("title_zh_hans", name="gin_trgm_ops"), name="standard_title_zh_trgm"),
        ]
        constraints = [
            _choices_check("jurisdiction", Jurisdiction),
            _choices_check("legal_force", LegalForce),
            _choices_check("stage", Stage),
            _choices_check("issued_precision", DatePrecision),
            *CuratedRecord.source_constraints(),
            _not_before(
                "withdrawn_date",
                "issued_date",
                "withdrawn_not_before_issued",
                _("The withdrawal date cannot be before the issue date."),
            ),
            _not_before(
                "implementation_date",
                "issued_date",
                "implemented_not_before_issued",
                _("The implementation date cannot be before the issue date."),
            ),
            _not_before(
                "dow",
                "dav",
                "dow_not_before_dav",
                _("The DOW cannot be before the DAV."),
            ),
            NotOwnParentConstraint(field="amendment_of", name="standard_not_amendment_of_itself"),
            FilledConstraint(fields=["key"], name="standard_key_not_empty"),
            FilledConstraint(fields=["title_en", "title_zh_hans"], name="standard_has_a_title"),
        ]

    def __str__(self) -> str:
        return self.identifier

    def get_absolute_url(self) -> str:
        return slug_url("standards:standard_detail", self.slug)

    def set_identifier(self, text: str) -> None:
        """Parse `text` and set the identifier with everything derived from it.

        Raises IdentifierError naming the part that could not be read. Jurisdiction and
        legal force follow from the document type unless a curator has set them.
        """
        parsed = parse_identifier(text)
        self.identifier = printed_form(parsed)
        self.key = parsed.key
        self.family_key = parsed.family_key
        self.slug = parsed.slug
        self.document_type = parsed.document_type
        self.jurisdiction = self.jurisdiction or parsed.jurisdiction
        self.legal_force = self.legal_force or parsed.legal_force

    @property
    def status(self) -> str:
        """The reader-facing status on `timezone.localdate()`; see StandardQuerySet.with_status."""
        return self.status_on(timezone.localdate())

    DATE_FIELDS = (
        "issued_date", "implementation_date", "withdrawn_date", "first_issued_date",
        "confirmed_date", "dor", "dav", "doa", "dop", "dow",
    )  # fmt: skip

    @property
    def has_dates(self) -> bool:
        """Whether any date of this edition is recorded (many list rows give none)."""
        return any(getattr(self, name) for name in self.DATE_FIELDS)

    @property
    def issued_text(self) -> str:
        """The issue date as precisely as the source gives it: "2024", "2015-09", "2016-03-02"."""
        if not self.issued_date:
            return ""
        if self.issued_precision == DatePrecision.YEAR:
            return f"{self.issued_date.year}"
        if self.issued_precision == DatePrecision.MONTH:
            return self.issued_date.strftime("%Y-%m")
        return self.issued_date.isoformat()

    @property
    def in_force_from(self) -> datetime.date | None:
        """The implementation date, or the issue date when none is given."""
        return self.implementation_date or self.issued_date

    def status_on(self, day: datetime.date) -> str:
        return engine.status_on(self, day)

    def get_status_display(self) -> str:
        return Status(self.status).label

    def counterparts(self, fields: Sequence[str] | None = None) -> list["Counterpart"]:
        """Standards in other jurisdictions linked to this one through adoptions.

        Direct links (this adopts it, or it adopts this) and shared ones: GB 4706.1 and
        EN 60335-1 both adopt IEC 60335-1, so each is the other's counterpart "via" it,
        and both degrees are kept since neither alone says how close the two are.

        `fields`, when given, are the only columns read of the linked standards (a page
        that shows a link and a title need not read, and compile, the whole rows); they
        must include "jurisdiction".
        """

        def linked(queryset, *sides: str):
            if fields is None:
                return queryset.defer(*(f"{s}__{name}" for s in sides for name in LIST_DEFERRED))
            named = (f"{s}__{name}" for s in sides for name in fields)
            return queryset.only("standard", "adopted", "degree", "named_as", *named)

        found: dict[int, Counterpart] = {}
        own = {a.adopted_id: a for a in linked(self.adoptions.select_related("adopted"), "adopted")}
        for adoption in own.values():
            found[adoption.adopted_id] = Counterpart(
                adoption.adopted, adoption.degree, own_named_as=adoption.named_as
            )
        for adoption in linked(self.adoptions_of.select_related("standard"), "standard"):
            found.setdefault(
                adoption.standard_id,
                Counterpart(adoption.standard, adoption.degree, named_as=adoption.named_as),
            )
        shared = (
            Adoption.objects.filter(adopted__adoptions_of__standard=self)
            .exclude(standard=self)
            .select_related("standard", "adopted")
        )
        for sibling in linked(shared, "standard", "adopted"):
            mine = own.get(sibling.adopted_id)
            found.setdefault(
                sibling.standard_id,
                Counterpart(
                    sibling.standard,
                    sibling.degree,
                    via=sibling.adopted,
                    own_degree=mine.degree if mine else "",
                    named_as=sibling.named_as,
                    own_named_as=mine.named_as if mine else "",
                ),
            )
        return [c for c in found.values() if c.standard.jurisdiction != self.jurisdiction]


@dataclasses.dataclass(frozen=True)
class Counterpart:
    standard: Standard
    degree: str
    via: Standard | None = None
    own_degree: str = ""
    # How each side's source names the adopted standard, where that differs from the record
    # it is linked to (a consolidated version's date): the counterpart's and this one's.
    named_as: str = ""
    own_named_as: str = ""


class Replacement(models.Model):
    new = models.ForeignKey(
        Standard,
        verbose_name=_("new standard"),
        on_delete=models.CASCADE,
        related_name="replacements",
    )
    old = models.ForeignKey(
        Standard,
        verbose_name=_("replaced standard"),
        on_delete=models.PROTECT,
        related_name="replaced_by_links",
    )
    extent = models.CharField(
        _("extent"), max_length=8, choices=Extent.choices, default=Extent.WHOLE
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("replacement")
        verbose_name_plural = _("replacements")
        constraints = [
            models.UniqueConstraint(fields=["new", "old"], name="replacement_unique_pair"),
            models.CheckConstraint(
                condition=~Q(new=F("old")), name="standard_cannot_replace_itself"
            ),
            _choices_check("extent", Extent),
        ]

    def __str__(self) -> str:
        return f"{self.new} ← {self.old}"


class Adoption(models.Model):
    """`standard` adopts `adopted` with a degree of correspondence (ISO/IEC Guide 21-1)."""

    standard = models.ForeignKey(
        Standard,
        verbose_name=_("adopting standard"),
        on_delete=models.CASCADE,
        related_name="adoptions",
    )
    adopted = models.ForeignKey(
        Standard,
        verbose_name=_("adopted standard"),
        on_delete=models.PROTECT,
        related_name="adoptions_of",
    )
    degree = models.CharField(_("degree"), max_length=3, choices=Degree.choices)
    named_as = models.CharField(
        _("named as"),
        max_length=160,
        blank=True,
        help_text=_(
            "How the adopting standard’s source names the adopted one, where it differs: "
            "a consolidated version such as “IEC 60335-1:2016” for the 2010 edition with its "
            "amendments."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("adoption")
        verbose_name_plural = _("adoptions")
        constraints = [
            models.UniqueConstraint(fields=["standard", "adopted"], name="adoption_unique_pair"),
            models.CheckConstraint(
                condition=~Q(standard=F("adopted")), name="standard_cannot_adopt_itself"
            ),
            _choices_check("degree", Degree),
        ]

    def __str__(self) -> str:
        return f"{self.standard} {self.degree} {self.adopted}"


class RegulationKind(models.TextChoices):
    EU_DIRECTIVE = "eu-directive", _("EU directive")
    EU_REGULATION = "eu-regulation", _("EU regulation")
    EU_DECISION = "eu-decision", _("EU decision")
    CN_LAW = "cn-law", _("Chinese law or state regulation")
    CN_CCC = "cn-ccc", _("CCC compulsory certification rule")
    CN_REGISTRATION = "cn-registration", _("Chinese registration or filing rule")
    CN_MANDATORY = "cn-mandatory", _("Chinese mandatory requirement")


class ConformityRoute(models.TextChoices):
    CE_MODULES = "ce-modules", _("CE marking through conformity assessment modules")
    CCC_CERTIFICATION = "ccc-certification", _("CCC certification by a designated body")
    CCC_SELF_DECLARATION = "ccc-self-declaration", _("CCC self-declaration")
    CCC_EITHER = "ccc-either", _("CCC certification or self-declaration")
    REGISTRATION = "registration", _("Registration or filing with the authority")
    DECLARATION = "declaration", _("Manufacturer's declaration, no marking")
    NONE = "none", _("No specific route")


class ThirdParty(models.TextChoices):
    """Whether the route needs a third-party body: an EU notified body, a CCC certification
    body designated by CNCA."""

    NEEDED = "needed", _("Needed")
    DEPENDS = "depends", _("Depends on the product or the procedure chosen")
    NOT_NEEDED = "not-needed", _("Not needed")


class Formality(models.TextChoices):
    """What an exporter must do or show under an act, beyond meeting its requirements: the
    curated kinds, each explained in standards.formalities. The order is the order of the
    sheet: the EU's, then China's."""

    EU_DECLARATION = "eu-declaration", _("EU declaration of conformity")
    TECHNICAL_DOCUMENTATION = "technical-documentation", _("Technical documentation")
    NOTIFIED_BODY = "notified-body", _("Assessment by a notified body")
    EU_OPERATOR = "eu-operator", _("Economic operator established in the EU")
    CE_MARKING = "ce-marking", _("CE marking")
    EU_INSTRUCTIONS = (
        "eu-instructions",
        _("Instructions and safety information in the buyer's language"),
    )
    FIBRE_LABEL = "fibre-label", _("Fibre composition label")
    CCC_CERTIFICATE = "ccc-certificate", _("CCC certificate from a designated certification body")
    CCC_SELF_DECLARATION = "ccc-self-declaration", _("CCC self-declaration")
    CCC_MARK = "ccc-mark", _("CCC mark")
    CHINESE_LABEL = "chinese-label", _("Chinese labelling")
    NMPA_FILING = "nmpa-filing", _("Filing of a Class I medical device")
    NMPA_REGISTRATION = "nmpa-registration", _("Registration of a Class II or III medical device")
    CHINA_AGENT = "china-agent", _("Legal agent in China")
    HAZARDOUS_SUBSTANCE_MARKING = (
        "hazardous-substance-marking",
        _("Hazardous-substance marking (China RoHS)"),
    )


class TechnicalRegulationQuerySet(CuratedQuerySet):
    def in_force(self, on: datetime.date | None = None):
        """Acts not repealed on `on` (default today): in force, or adopted and not yet
        applicable."""
        on = on or timezone.localdate()
        return self.filter(Q(repealed_date__isnull=True) | Q(repealed_date__gt=on))


class TechnicalRegulation(CuratedRecord):
    """An EU act or a Chinese rule that makes standards matter."""

    reference = models.CharField(
        _("reference"),
        max_length=120,
        unique=True,
        help_text=_("As published, e.g. Directive 2009/48/EC or CNCA-C07-01:2017."),
    )
    slug = models.SlugField(_("permalink"), max_length=140, unique=True)
    short_name = models.CharField(_("short name"), max_length=200)
    title = models.CharField(_("title"), max_length=600)
    scope = models.TextField(_("scope"), blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=3, choices=Jurisdiction.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=RegulationKind.choices)
    authority = models.CharField(_("authority"), max_length=200, blank=True)
    adopted_date = models.DateField(_("adopted"), null=True, blank=True)
    in_force_date = models.DateField(_("in force"), null=True, blank=True)
    applies_from = models.DateField(_("applies from"), null=True, blank=True)
    transition_ends = models.DateField(_("transition ends"), null=True, blank=True)
    repealed_date = models.DateField(_("repealed"), null=True, blank=True)
    conformity_route = models.CharField(
        _("conformity route"), max_length=24, choices=ConformityRoute.choices, blank=True
    )
    conformity_notes = models.TextField(
        _("conformity assessment"),
        blank=True,
        help_text=_("Modules, certification bodies, documents to keep, in plain words."),
    )
    marking = models.CharField(_("marking"), max_length=60, blank=True)
    # The route as a requirement sheet gives it (issue 17): who assesses and enforces,
    # the modules or procedures, whether a third-party body is needed, and the source
    # these facts were read in (the act's own text where possible).
    competent_authority = models.CharField(_("competent authority"), max_length=300, blank=True)
    conformity_modules = models.CharField(
        _("modules or procedures"),
        max_length=120,
        blank=True,
        help_text=_("The conformity assessment modules or procedures, e.g. A; B + C."),
    )
    third_party = models.CharField(
        _("third-party body"), max_length=12, choices=ThirdParty.choices, blank=True
    )
    route_source_url = models.URLField(
        _("source of the route"), max_length=500, blank=True, validators=[validate_source_url]
    )
    sectors = models.ManyToManyField(
        Sector, verbose_name=_("sectors"), blank=True, related_name="regulations"
    )
    hs_codes = models.ManyToManyField(
        HsCode, verbose_name=_("HS codes"), blank=True, related_name="regulations"
    )
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
    )
    search_vector = models.GeneratedField(
        expression=_search_vector(("short_name_en", "A"), ("title_en", "A"), ("scope_en", "B")),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    history = HistoricalRecords(excluded_fields=SEARCH_HISTORY_EXCLUDED)
    objects = TechnicalRegulationQuerySet.as_manager()

    class Meta:
        verbose_name = _("technical regulation")
        verbose_name_plural = _("technical regulations")
        ordering = ["jurisdiction", "reference"]
        indexes = [GinIndex(fields=["search_vector"], name="regulation_search_vector")]
        constraints = [
            _choices_check("jurisdiction", Jurisdiction),
            _choices_check("kind", RegulationKind),
            _choices_check("conformity_route", ConformityRoute, blank=True),
            _choices_check("third_party", ThirdParty, blank=True),
            *CuratedRecord.source_constraints(),
            _not_before(
                "in_force_date",
                "adopted_date",
                "in_force_not_before_adopted",
                _("The entry-into-force date cannot be before the adoption date."),
            ),
            _not_before(
                "repealed_date",
                "adopted_date",
                "repealed_not_before_adopted",
                _("The repeal date cannot be before the adoption date."),
            ),
            NotOwnParentConstraint(field="successor", name="regulation_not_own_successor"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.short_name})" if self.short_name else self.reference

    def get_absolute_url(self) -> str:
        return slug_url("standards:regulation_detail", self.slug)

    def chinese_title_text(self) -> str:
        return " ".join(filter(None, [self.short_name_zh_hans, self.title_zh_hans]))


class RegulationFormality(models.Model):
    """A formality an act requires (a curated kind), when it applies, the provision it
    rests on and where that was read."""

    regulation = models.ForeignKey(
        TechnicalRegulation,
        verbose_name=_("regulation"),
        on_delete=models.CASCADE,
        related_name="formalities",
    )
    formality = models.CharField(_("formality"), max_length=32, choices=Formality.choices)
    # "Regulation (EU) 2019/1020, Art. 4" where the duty comes from another act.
    basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    condition = models.TextField(
        _("when it applies"), blank=True, help_text=_("Left empty, it always applies.")
    )
    source_url = models.URLField(_("source URL"), max_length=500, validators=[validate_source_url])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("formality")
        verbose_name_plural = _("formalities")
        ordering = ["regulation", "formality"]
        constraints = [
            models.UniqueConstraint(
                fields=["regulation", "formality"], name="regulation_formality_unique"
            ),
            _choices_check("formality", Formality),
        ]

    def __str__(self) -> str:
        return f"{self.regulation.reference}: {self.get_formality_display()}"


class CitationKind(models.TextChoices):
    HARMONISED = "harmonised", _("Harmonised standard cited in the Official Journal")
    COMPULSORY = "compulsory", _("Made compulsory by the rule")
    CCC_TESTING = "ccc-testing", _("Named for CCC testing")
    REFERENCED = "referenced", _("Referenced")


class CitationQuerySet(models.QuerySet):
    def public(self):
        """Citations between a published act and a published standard."""
        return self.filter(regulation__published=True, standard__published=True)


class Citation(models.Model):
    """A regulation citing a standard: an OJ listing or a Chinese rule naming it."""

    regulation = models.ForeignKey(
        TechnicalRegulation,
        verbose_name=_("regulation"),
        on_delete=models.CASCADE,
        related_name="citations",
    )
    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.PROTECT, related_name="citations"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CitationKind.choices)
    oj_reference = models.CharField(_("OJ reference"), max_length=200, blank=True)
    date_cited = models.DateField(_("date cited"), null=True, blank=True)
    presumption_ends = models.DateField(
        _("end of presumption of conformity"), null=True, blank=True
    )
    restrictions = models.TextField(_("restrictions"), blank=True)
    replaces = models.ForeignKey(
        Standard,
        verbose_name=_("replaces in the list"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()
    objects = CitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        ordering = ["regulation", "standard"]
        constraints = [
            models.UniqueConstraint(fields=["regulation", "standard"], name="citation_unique_pair"),
            _choices_check("kind", CitationKind),
            _not_before(
                "presumption_ends",
                "date_cited",
                "presumption_ends_not_before_cited",
                _("The end of presumption of conformity cannot be before the citation date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.regulation.reference} → {self.standard.identifier}"


class StandardTranslationQueue(Standard):
    """The admin's translation queue: same rows, a list made for translators."""

    class Meta:
        proxy = True
        verbose_name = _("standard to translate")
        verbose_name_plural = _("translation queue: standards")


class RegulationTranslationQueue(TechnicalRegulation):
    class Meta:
        proxy = True
        verbose_name = _("regulation to translate")
        verbose_name_plural = _("translation queue: regulations")


class ChangeKind(models.TextChoices):
    NEW = "new", _("New")
    STATUS = "status", _("Status changed")
    DATES = "dates", _("Dates changed")
    REPLACED = "replaced", _("Replaced")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CITED = "cited", _("Cited")
    CITATION_ENDING = "citation-ending", _("Citation ending")
    TRANSLATION = "translation", _("Translation updated")
    UPDATED = "updated", _("Details updated")


class ChangeVia(models.TextChoices):
    ADMIN = "admin", _("Admin")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    SYSTEM = "system", _("System")


class Change(models.Model):
    """One meaningful change to a public record, with the fields that changed (old → new).

    What's new, feeds, watchlists and digests all read these rows; standards.changes
    writes them for every write path.
    """

    standard = models.ForeignKey(
        Standard,
        verbose_name=_("standard"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="changes",
    )
    regulation = models.ForeignKey(
        TechnicalRegulation,
        verbose_name=_("regulation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="changes",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ChangeKind.choices)
    fields = models.JSONField(_("changed fields"), default=dict, blank=True)
    sectors = models.ManyToManyField(
        Sector, verbose_name=_("sectors"), blank=True, related_name="changes"
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    occurred_on = models.DateField(
        _("event date"),
        default=timezone.localdate,
        db_index=True,
        help_text=_(
            "When the event happened (publication, application, citation, withdrawal); "
            "`created_at` is when the catalogue learnt it."
        ),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    via = models.CharField(_("via"), max_length=8, choices=ChangeVia.choices)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["-created_at", "-id"]
        indexes = [
            # What's new, feeds and the home page read changes latest event first.
            models.Index(
                fields=["-occurred_on", "-created_at", "-id"], name="change_occurred_order"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(standard__isnull=False) | Q(regulation__isnull=False),
                name="change_has_a_record",
            ),
            _choices_check("kind", ChangeKind),
            _choices_check("via", ChangeVia),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.standard or self.regulation}"


def _current_transaction_id():
    """PostgreSQL's id of the writing transaction (xid8), as a bigint."""
    return models.functions.Cast(
        models.functions.Cast(
            models.Func(function="pg_current_xact_id", output_field=models.TextField()),
            models.TextField(),
        ),
        models.BigIntegerField(),
    )


class SearchLogEntry(models.Model):
    """One standard to index again: written in the same transaction as the write that
    changed what search shows of it (standards.search.log), read by the index follower
    (standards.search.engine.follow) in the order of the transactions that wrote them.

    `transaction_id` is the writer's transaction id: once PostgreSQL's oldest running
    transaction is younger, every entry below it is final (committed or rolled back),
    which is how the follower's cursor can never step over an entry still being
    written."""

    standard_id = models.BigIntegerField()  # no foreign key: a deleted standard's entry stays
    transaction_id = models.BigIntegerField(db_default=_current_transaction_id(), editable=False)
    created_at = models.DateTimeField(db_default=models.functions.Now(), editable=False)

    class Meta:
        indexes = [models.Index(fields=["transaction_id"], name="searchlog_transaction")]

    def __str__(self) -> str:
        return f"standard {self.standard_id} (transaction {self.transaction_id})"


class ProductScope(models.Model):
    """A curated scoping decision for one product term: an act or a standard family its HS
    code brings to the sheet although it does not apply to the product (exclude: plush
    toys are not children's vehicles), or one the code misses (include: the Footwear
    Labelling Directive for leather shoes). Each decision names the page it rests on.

    Acts are named by reference, or by a rule number without its edition year
    ("CNCA-C22-01" for every edition); standards by their family without a year
    ("GB 6675.12"), stored as the family's key ("GB6675.12") that every edition's key
    begins with (see standards.products.Scope)."""

    class Effect(models.TextChoices):
        INCLUDE = "include", pgettext_lazy("product scope", "Include")
        EXCLUDE = "exclude", pgettext_lazy("product scope", "Exclude")

    class Record(models.TextChoices):
        ACT = "act", _("Act or rule")
        STANDARD = "standard", _("Standard")

    term = models.ForeignKey(
        ProductTerm,
        verbose_name=_("product term"),
        on_delete=models.CASCADE,
        related_name="scopes",
    )
    effect = models.CharField(_("effect"), max_length=7, choices=Effect.choices)
    record = models.CharField(_("record"), max_length=8, choices=Record.choices)
    reference = models.CharField(
        _("reference"),
        max_length=120,
        help_text=_(
            "An act's reference (Regulation (EU) 2016/425), a rule without its edition "
            "(CNCA-C22-01), or a standard without its year (GB 6675.12)."
        ),
    )
    key = models.CharField(
        _("key"),
        max_length=120,
        help_text=_("The reference as matched: a standard family's key, an act's reference."),
    )
    reason = models.TextField(_("reason"))
    source_url = models.URLField(_("source URL"), max_length=500, validators=[validate_source_url])

    class Meta:
        verbose_name = _("product scope")
        verbose_name_plural = _("product scopes")
        ordering = ["term", "effect", "record", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["term", "record", "key"], name="productscope_one_decision_per_record"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term}: {self.get_effect_display()} {self.reference}"

    def clean(self) -> None:
        """The key from the reference (a standard family must read as a standard number
        without its year)."""
        try:
            self.key = scope_key(self.record, self.reference)
        except ValueError as problem:
            raise ValidationError({"reference": str(problem)}) from problem


def scope_key(record: str, reference: str) -> str:
    """What a scoping decision matches: an act's reference as written (spaces collapsed),
    a standard family's key ("GB/T 14747" → "GBT14747"). ValueError when a standard
    reference is not a standard number, or names an edition."""
    reference = " ".join(reference.split())
    if record != ProductScope.Record.STANDARD:
        return reference
    try:
        parsed = parse_identifier(reference)
    except IdentifierError as error:
        raise ValueError(str(error)) from error
    if ":" in parsed.key:
        raise ValueError(_("Name the standard without its year: every edition is meant."))
    return parsed.key
