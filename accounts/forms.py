from django.contrib.auth.forms import AdminUserCreationForm, AuthenticationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User


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
