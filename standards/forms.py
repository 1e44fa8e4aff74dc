from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from standards.identifiers import IdentifierError, describe_identifier_error, parse_identifier
from standards.models import Standard, printed_form


class StandardAdminForm(forms.ModelForm):
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
