"""Every form of the accounts app: the admin's user forms, log-in and password reset,
sign-up, profile, companies, watchlists and alerts."""

import logging
import zoneinfo
from urllib.parse import unquote_plus

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    PasswordResetForm,
    UserChangeForm,
)
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _

from accounts.digests import normalise_search
from accounts.models import (
    Company,
    Subscription,
    User,
    WatchItem,
    Watchlist,
    new_ical_token,
)
from accounts.watchlists import SHEET_WATCH_LIMIT
from cesip.mail import build_message
from sectors.models import Sector
from standards.models import Jurisdiction

logger = logging.getLogger(__name__)


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)


class UserAdminChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class EmailAuthenticationForm(AuthenticationForm):
    """Django's log-in form; its username field is the e-mail address."""

    error_messages = {
        "invalid_login": _("Please enter a correct e-mail address and password."),
        "inactive": _("This account is inactive."),
    }


# ----------------------------------------------------------------------------------------
# Sign-up, profile, account deletion, companies (accounts/views/accounts.py,
# accounts/views/companies.py)
# ----------------------------------------------------------------------------------------


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def _language_choices() -> list[tuple[str, str]]:
    # Each language in its own name ("English", "简体中文"), whatever the page's language.
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class LanguageSelect(forms.Select):
    """A choice of languages, each option marked with its own `lang` (it is written in it)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            option["attrs"]["lang"] = get_language_info(str(value))["code"].replace(
                "zh-hans", "zh-Hans"
            )
        return option


class SignupForm(forms.Form):
    """A new account: e-mail, password twice, language, and a company to create unless
    the person arrives through an invitation (the view passes `invitation`)."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    language = forms.ChoiceField(
        label=_("Preferred language"), choices=_language_choices, widget=LanguageSelect
    )
    company_name = forms.CharField(
        label=_("Company name"),
        max_length=200,
        help_text=_("You become the owner of this company and can invite colleagues."),
        error_messages={
            "required": _("Give your company's name, or use the link in an invitation to join one.")
        },
    )

    def __init__(self, *args, invitation=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request so the rules read in the active language.
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()
        self.invitation = invitation
        if invitation is not None:
            # The company already exists: the invitee joins it instead of creating one.
            del self.fields["company_name"]
            self.fields["email"].initial = invitation.email

    def clean_email(self) -> str:
        # Whether an account has the address is not said here: the sign-up answers alike
        # and the mail tells the address's owner (accounts.registration).
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        invitation = self.invitation
        if invitation is not None and invitation.email.lower() != email:
            raise ValidationError(
                _(
                    "This invitation is for %(invited)s. Sign up with that address, or ask "
                    "an owner of %(company)s to invite the address you want to use."
                ),
                code="not_invited",
                params={"invited": invitation.email, "company": invitation.company.name},
            )
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1 and cleaned.get("email"):
            user = User(email=cleaned["email"])
            try:
                password_validation.validate_password(password1, user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)


class LocalizedPasswordResetForm(PasswordResetForm):
    """Django's reset form; each e-mail is built from `template_prefix` (cesip.mail) in
    its recipient's language, so the template names Django passes are not used."""

    template_prefix = "emails/accounts/password_reset"

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        message = build_message(
            self.template_prefix,
            context,
            to=[to_email],
            language=user.language,
            from_email=from_email,
        )
        try:
            message.send()
        except Exception:
            # As Django's form does: the page says the same whether or not mail went out.
            logger.exception("Failed to send password reset email to %s", user.pk)


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=_language_choices,
        widget=LanguageSelect,
        help_text=_("Pages and e-mails are shown in this language."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_time_zone_choices,
        help_text=_("Dates and times are shown in this time zone."),
        error_messages={"invalid_choice": _("Choose a time zone from the list.")},
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "language", "time_zone"]
        labels = {"first_name": _("First name"), "last_name": _("Last name")}

    def clean_time_zone(self) -> str:
        # The choices come from the same set; checked again so a stale list cannot pass.
        time_zone = self.cleaned_data["time_zone"]
        if time_zone not in zoneinfo.available_timezones():
            raise ValidationError(_("Choose a time zone from the list."), code="invalid")
        return time_zone


class PasswordConfirmForm(forms.Form):
    """Asks for the current password before an irreversible step."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("The password is not correct."), code="password_incorrect")
        return password


class CompanyForm(forms.Form):
    name = forms.CharField(
        label=_("Company name"),
        max_length=200,
        error_messages={"required": _("Give your company's name.")},
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if self.company.memberships.filter(user__email__iexact=email).exists():
            raise ValidationError(
                _("This person is already a member of the company."), code="member"
            )
        return email


# ----------------------------------------------------------------------------------------
# Watchlists (accounts/views/watchlists.py)
# ----------------------------------------------------------------------------------------


class WatchlistForm(forms.ModelForm):
    """Create or rename a watchlist; names are unique within the company. A new list
    belongs to `company`, made by `created_by`, with its own calendar feed secret."""

    class Meta:
        model = Watchlist
        fields = ["name"]
        labels = {"name": _("Name")}

    def __init__(self, *args, company: Company, created_by: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        if self.instance.pk is None:
            self.instance.company = company
            self.instance.created_by = created_by
            self.instance.ical_token = new_ical_token()

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the watchlist a name."))
        taken = Watchlist.objects.filter(company=self.company, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Your company already has a watchlist with this name."))
        return name


class NoteForm(forms.ModelForm):
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Visible to everyone in your company."),
    )

    class Meta:
        model = WatchItem
        fields = ["note"]


class WatchForm(forms.Form):
    """What the watch button posts: a watchlist and exactly one record."""

    watchlist = forms.IntegerField(min_value=1)
    standard = forms.IntegerField(min_value=1, required=False)
    regulation = forms.IntegerField(min_value=1, required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("standard")) == bool(data.get("regulation")):
            raise forms.ValidationError("Give a standard or a regulation.")
        return data


class SheetWatchForm(forms.Form):
    """What a requirement sheet's "watch all its standards" form posts: the sheet's
    standards (their ids, comma-separated) and a watchlist, or `new` and the name of a
    list to create in one of the member's companies."""

    standards = forms.CharField(max_length=20000)
    watchlist = forms.CharField(max_length=20)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    company = forms.SlugField(required=False)

    def clean_standards(self) -> list[int]:
        parts = [part.strip() for part in self.cleaned_data["standards"].split(",")]
        if not parts or not all(part.isdigit() for part in parts) or len(parts) > SHEET_WATCH_LIMIT:
            raise forms.ValidationError(_("The sheet's list of standards could not be read."))
        return [int(part) for part in parts]

    def clean_watchlist(self) -> int | None:
        """A watchlist's pk, or None for a new list."""
        value = self.cleaned_data["watchlist"].strip()
        if value == "new":
            return None
        if not value.isdigit():
            raise forms.ValidationError(_("Choose a watchlist."))
        return int(value)

    def clean(self):
        data = super().clean()
        if "watchlist" in data and data["watchlist"] is None:
            data["name"] = " ".join((data.get("name") or "").split())
            if not data["name"]:
                self.add_error("name", _("Give the watchlist a name."))
        return data


# ----------------------------------------------------------------------------------------
# Alerts (accounts/views/alerts.py)
# ----------------------------------------------------------------------------------------

JURISDICTION_CHOICES = [
    (Jurisdiction.CN, Jurisdiction.CN.label),
    (Jurisdiction.EU, Jurisdiction.EU.label),
]


class SubscriptionForm(forms.ModelForm):
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"),
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    jurisdictions = forms.MultipleChoiceField(
        label=_("Markets"),
        choices=JURISDICTION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave both unticked to hear about both markets."),
    )

    class Meta:
        model = Subscription
        fields = [
            "active",
            "frequency",
            "language",
            "include_watchlists",
            "sectors",
            "jurisdictions",
        ]
        widgets = {"frequency": forms.RadioSelect}


class SavedSearchForm(forms.Form):
    query = forms.CharField(
        label=_("Search address"),
        max_length=2000,
        help_text=_(
            "Paste the address of a search page, or its query string such as q=toys&sector=toys."
        ),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        required=False,
        help_text=_("Shown in your digests; the search words if left blank."),
    )

    def clean(self):
        cleaned = super().clean()
        raw = cleaned.get("query")
        if raw is None:
            return cleaned
        query, problems = normalise_search(raw)
        if problems:
            raise forms.ValidationError(
                [
                    gettext("This search has a problem: %(problem)s") % {"problem": p}
                    for p in problems
                ]
            )
        if not query:
            raise forms.ValidationError(gettext("This search has no words or filters to follow."))
        cleaned["query"] = query
        if not cleaned.get("name"):
            # The search words name it; a filter-only search is named by its filters.
            params = QueryDict(query)
            cleaned["name"] = (params.get("q") or unquote_plus(query))[:120]
        return cleaned
