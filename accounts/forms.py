import zoneinfo

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
from django.utils import translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from accounts.models import Company, User


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
# Sign-up, profile, account deletion, companies (accounts/views.py, accounts/companies.py)
# ----------------------------------------------------------------------------------------


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def _language_choices() -> list[tuple[str, str]]:
    # Each language in its own name ("English", "简体中文"), whatever the page's language.
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


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
    language = forms.ChoiceField(label=_("Preferred language"), choices=_language_choices)
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
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            # Say only that the address is taken, not whether it is verified or active.
            raise ValidationError(
                _(
                    "An account already uses this address. Log in, or reset your password "
                    "if you have forgotten it."
                ),
                code="registered",
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
    """Django's reset form; each e-mail is written in its recipient's language."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with translation.override(context["user"].language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=_language_choices,
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
