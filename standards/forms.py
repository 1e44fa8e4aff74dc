from collections.abc import Iterable, Sequence

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sectors.models import Sector
from standards.entries import Filters
from standards.identifiers import IdentifierError, describe_identifier_error, parse_identifier
from standards.models import Jurisdiction, Standard, TechnicalRegulation, printed_form
from standards.sources import validate_source_url


class CheckedSourceForm(forms.ModelForm):
    """A record's source URL must be http(s) and not on the deny-list of sources
    (standards.sources): the field's own URL check is replaced by that one, so that a
    refused link says why."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "source_url" in self.fields:
            self.fields["source_url"].validators = [validate_source_url]
            self.fields["source_url"].help_text = _(
                "The page that confirmed the facts (a test lab's or a national body's page). "
                "The official record is linked from the identifier; copies of standards, "
                "document-sharing and download sites are refused."
            )


class RegulationAdminForm(CheckedSourceForm):
    class Meta:
        model = TechnicalRegulation
        fields = ["reference"]


class StandardAdminForm(CheckedSourceForm):
    """The admin form: the identifier is parsed, its key checked for duplicates, and the
    document type, jurisdiction and legal force filled from it when left empty."""

    class Meta:
        model = Standard
        # The admin passes the full field list from its fieldsets.
        fields = ["identifier"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("document_type", "jurisdiction", "legal_force"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = _("Left empty, it follows from the identifier.")

    def clean_identifier(self) -> str:
        text = self.cleaned_data["identifier"]
        try:
            parsed = parse_identifier(text)
        except IdentifierError as exc:
            raise forms.ValidationError(describe_identifier_error(exc), code="unparseable") from exc
        duplicate = Standard.objects.filter(key=parsed.key).exclude(pk=self.instance.pk).first()
        if duplicate:
            raise forms.ValidationError(
                _("%(identifier)s is already in the catalogue."),
                code="duplicate",
                params={"identifier": duplicate.identifier},
            )
        return printed_form(parsed)

    def _post_clean(self):
        # Derived fields are set before the model's own validation runs on them.
        identifier = self.cleaned_data.get("identifier")
        if identifier:
            for name in ("jurisdiction", "legal_force"):
                setattr(self.instance, name, self.cleaned_data.get(name) or "")
            self.instance.set_identifier(identifier)
            for name in ("document_type", "jurisdiction", "legal_force"):
                if not self.cleaned_data.get(name):
                    self.cleaned_data[name] = getattr(self.instance, name)
        super()._post_clean()


class PublicationListForm(forms.Form):
    """Upload of a publisher's list in the admin: ISO, IEC, ETSI, SAMR or CEN/CENELEC."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX."),
        validators=[FileExtensionValidator(["csv", "xlsx"])],
    )
    list_name = forms.ChoiceField(
        label=_("Layout"),
        choices=[("iso", _("ISO publications")), ("iec", _("IEC publications")),
                 ("etsi", _("ETSI European Standards")),
                 ("samr", _("SAMR national-standard list (标准号, 中文标准名称, …)")),
                 ("cen", _("CEN/CENELEC published standards"))],
    )  # fmt: skip
    skip_invalid = forms.BooleanField(
        label=_("Leave out rows with errors instead of refusing the file"),
        help_text=_("ISO, IEC and ETSI lists only: SAMR and CEN lists are imported whole."),
        required=False,
    )


class HarmonisedListForm(forms.Form):
    """Upload of the Commission's summary list of harmonised standards for one act."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX."),
        validators=[FileExtensionValidator(["csv", "xlsx"])],
    )


class ListedValuesField(forms.Field):
    """The values a query parameter is given (?sector=toys&sector=leather), stripped, blank
    ones and repeats left out; checking them is the form's job."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        seen: list[str] = []
        for item in values:
            item = str(item).strip()
            if item and item not in seen:
                seen.append(item)
        return seen


def _shown(value: str) -> str:
    """A user-typed value, short enough to quote back in a message."""
    return value if len(value) <= 40 else value[:40] + "…"


class TimelineFilterForm(forms.Form):
    """The filters of the calendar and of what's new: ?sector=…&jurisdiction=cn|eu&kind=…
    &past=1. They come from URLs people share and edit, so a value the form does not
    understand is dropped and said in `problems` while the rest still applies: the form is
    never invalid, and `filters()` gives what it understood."""

    sector = ListedValuesField(required=False)
    jurisdiction = ListedValuesField(required=False)
    kind = ListedValuesField(required=False)
    past = ListedValuesField(required=False)

    MARKETS = {"cn": Jurisdiction.CN, "eu": Jurisdiction.EU}
    TRUE_VALUES = {"1", "on", "true", "yes"}
    FALSE_VALUES = {"", "0", "off", "false", "no"}

    def __init__(self, data, *, kinds: Iterable[str], sectors: Sequence[Sector]):
        """`kinds`: the values allowed for `kind` (date kinds on the calendar, change kinds
        on what's new); `sectors`: the list the page shows anyway, so slugs are checked
        without another query."""
        super().__init__(data)
        self.kinds = list(kinds)
        self.by_slug = {sector.slug: sector for sector in sectors}
        self.problems: list[str] = []

    def clean_sector(self) -> list[Sector]:
        kept = []
        for slug in self.cleaned_data["sector"]:
            if slug in self.by_slug:
                kept.append(self.by_slug[slug])
            else:
                self.problems.append(
                    gettext("Unknown sector “%(value)s”.") % {"value": _shown(slug)}
                )
        return kept

    def clean_jurisdiction(self) -> list[str]:
        kept: list[str] = []
        for code in self.cleaned_data["jurisdiction"]:
            market = self.MARKETS.get(code.lower())
            if market is None:
                self.problems.append(
                    gettext("Unknown market “%(value)s”: use cn or eu.") % {"value": _shown(code)}
                )
            elif market not in kept:
                kept.append(market)
        return kept

    def clean_kind(self) -> list[str]:
        kept = []
        for kind in self.cleaned_data["kind"]:
            if kind in self.kinds:
                kept.append(kind)
            else:
                self.problems.append(gettext("Unknown kind “%(value)s”.") % {"value": _shown(kind)})
        return kept

    def clean_past(self) -> bool:
        values = [value.lower() for value in self.cleaned_data["past"]]
        if values and values[-1] in self.TRUE_VALUES:
            return True
        if values and values[-1] not in self.FALSE_VALUES:
            self.problems.append(
                gettext("“%(value)s” is not a yes or no for past dates.")
                % {"value": _shown(values[-1])}
            )
        return False

    def filters(self) -> Filters:
        self.is_valid()  # never invalid: what was not understood is in `problems`
        data = self.cleaned_data
        return Filters(
            sectors=data["sector"],
            jurisdictions=data["jurisdiction"],
            kinds=data["kind"],
            past=data["past"],
            problems=self.problems,
        )
