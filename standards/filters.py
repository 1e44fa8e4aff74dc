"""The catalogue's FilterSet: one definition for the search page and the API.

Free text goes through `q` to standards.search; every other parameter narrows the
result. Values arrive from URLs people share and edit by hand, so an unknown value is
reported and dropped (see `StandardFilterSet.cleaned`), never a server error.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from sectors.models import Sector
from standards.models import Body, Jurisdiction, LegalForce, Standard, Status, TechnicalRegulation
from standards.search.expressions import candidates_order, pk_in
from standards.search.postgres import search_standards
from standards.search.query import Query, find_products, read_query

SORTS = {
    "relevance": _("Relevance"),
    "newest": _("Newest"),
    "implementation": _("Implementation date"),
}


class CesipFilterSet(django_filters.FilterSet):
    """Shared widgets: multiple choices as checkboxes, dates as date inputs."""

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        filter_class, params = super().filter_for_lookup(field, lookup_type)
        if filter_class is django_filters.DateFilter:
            params.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        return filter_class, params


class StandardFilterSet(CesipFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    sector = django_filters.ModelMultipleChoiceFilter(
        label=_("Sector"),
        to_field_name="slug",
        queryset=Sector.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        method="filter_sector",
    )
    # distinct=False: these filter columns of the row itself, so no row can repeat, and
    # SELECT DISTINCT would make PostgreSQL read every match before the first page.
    jurisdiction = django_filters.MultipleChoiceFilter(
        label=_("Jurisdiction"),
        choices=Jurisdiction.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Status.choices,
        widget=forms.CheckboxSelectMultiple,
        method="filter_status",
    )
    legal_force = django_filters.MultipleChoiceFilter(
        label=_("Legal force"),
        choices=LegalForce.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    document_type = django_filters.CharFilter(label=_("Document type"), method="filter_exact_list")
    body = django_filters.ModelMultipleChoiceFilter(
        label=_("Body"),
        field_name="body__code",  # the chosen bodies' codes, as the URL gives them
        to_field_name="code",
        queryset=Body.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    ics = django_filters.CharFilter(label=_("ICS"), method="filter_ics")
    regulation = django_filters.ModelChoiceFilter(
        label=_("Cited by"),
        to_field_name="slug",
        queryset=TechnicalRegulation.objects.public(),
        method="filter_regulation",
    )
    issued_after = django_filters.DateFilter(
        label=_("Issued from"), field_name="issued_date", lookup_expr="gte"
    )
    issued_before = django_filters.DateFilter(
        label=_("Issued until"), field_name="issued_date", lookup_expr="lte"
    )
    implemented_after = django_filters.DateFilter(
        label=_("In force from"), field_name="implementation_date", lookup_expr="gte"
    )
    implemented_before = django_filters.DateFilter(
        label=_("In force until"), field_name="implementation_date", lookup_expr="lte"
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=list(SORTS.items()), method="filter_sort", empty_label=None
    )

    class Meta:
        model = Standard
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.query = Query()
        for name in ("issued_after", "issued_before", "implemented_after", "implemented_before"):
            self.filters[name].field.widget = forms.DateInput(attrs={"type": "date"})

    # -- free text ----------------------------------------------------------------------

    def filter_q(self, queryset, name, value):
        # Read here, applied last in `qs`: the search takes its candidates from rows
        # that the other filters have already narrowed.
        self.read_q()
        return queryset

    def read_q(self) -> Query:
        """The query typed, read once (`q` after validation)."""
        value = self.form.cleaned_data.get("q") or ""
        if getattr(self, "_read_q", None) != value:
            self.query, self._read_q = find_products(read_query(value)), value
        return self.query

    @staticmethod
    def document_types(value: str | None) -> list[str]:
        return [v.strip() for v in (value or "").split(",") if v.strip()]

    def filter_exact_list(self, queryset, name, value):
        values = self.document_types(value)
        return queryset.filter(**{f"{name}__in": values}) if values else queryset

    # Relations are filtered with subqueries, not joins: a join would repeat a standard
    # once per matching sector, and DISTINCT does not mix with ordering by rank.
    def filter_sector(self, queryset, name, value):
        if not value:
            return queryset
        through = Standard.sectors.through.objects.filter(sector__in=value)
        return self._linked(queryset, through.values("standard_id"))

    def filter_regulation(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=value.citations.values("standard_id"))

    def filter_status(self, queryset, name, value):
        return queryset.in_status(value) if value else queryset

    def filter_ics(self, queryset, name, value):
        """An ICS code or group: "97" or "97.200" includes everything below it."""
        code = value.strip()
        through = Standard.ics_codes.through.objects.filter(
            Q(icscode__code=code) | Q(icscode__code__startswith=code + ".")
        )
        return queryset.filter(pk__in=through.values("standard_id"))

    def _linked(self, queryset, ids):
        """Standards among `ids` (a sector's): alone, see `pk_in(hashed=True)`; with words to search
        or another relation filter, a plain `pk IN (ids)`, which the planner joins with
        the word matches or the other, usually smaller, set."""
        data = self.form.cleaned_data
        if (data.get("q") or "").strip() or data.get("ics") or data.get("regulation"):
            return queryset.filter(pk__in=ids)
        return queryset.filter(pk_in(ids, hashed=True))

    def filter_sort(self, queryset, name, value):
        return queryset  # applied last, in `qs`, so that it sees the rank

    @property
    def qs(self):
        queryset = super().qs
        if "current_status" not in queryset.query.annotations:
            # Added here, not by the caller: building the status expression costs more
            # than an index search, and the search page needs it only on PostgreSQL.
            queryset = queryset.with_status()
        sort = self.form.cleaned_data.get("sort") if hasattr(self.form, "cleaned_data") else ""
        sort = sort or "relevance"
        order = candidates_order(sort)
        if self.query or self.query.products:
            queryset = search_standards(queryset, self.query, order=order)
            if sort == "relevance":
                # Among equals: a document before its parts, then by number.
                order = [
                    "-rank",
                    Length("family_key"),
                    "family_key",
                    F("issued_date").desc(nulls_last=True),
                    "key",
                ]
        return queryset.order_by(*order)

    def cleaned(self) -> tuple[StandardFilterSet, list[str]]:
        """This FilterSet without the values that are not valid, and what was dropped.

        A shared URL may name a sector that was renamed or a date typed by hand: the
        rest of the search still runs, and the page says what was ignored.
        """
        if self.is_valid():
            return self, []
        problems = []
        data = self.data.copy()
        for name, errors in self.form.errors.items():
            label = self.filters[name].label if name in self.filters else name
            problems.append(f"{label}: {' '.join(errors)}")
            data.pop(name, None)
        cleaned = type(self)(data, queryset=self.queryset, request=self.request)
        cleaned.is_valid()
        return cleaned, problems
