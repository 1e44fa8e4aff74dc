"""Accounts, companies, watchlists and alerts, under each language prefix.

/accounts/… sign-up, log-in and the person's own account; /company/… companies and their
watchlists (members only); /account/alerts/… the member's alerts.
"""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts.forms import EmailAuthenticationForm
from accounts.views import accounts as views
from accounts.views import alerts, companies, watchlists

app_name = "accounts"

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=EmailAuthenticationForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Sign-up and e-mail verification
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/verify/sent/", views.verification_sent, name="verification_sent"),
    path("accounts/verify/resend/", views.resend_verification, name="resend_verification"),
    path("accounts/verify/<str:token>/", views.verify_email, name="verify_email"),
    # Password reset and change: Django's views, our templates; the form builds the e-mail
    # (emails/accounts/password_reset.*) in the user's language, the reset page limits them.
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change_form.html",
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    # Profile and deletion
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/delete/", views.account_delete, name="account_delete"),
    # Companies: every page is for members only
    path("company/", companies.my_companies, name="my_companies"),
    path("company/new/", companies.company_create, name="company_create"),
    path("company/join/<str:token>/", companies.invitation_accept, name="invitation_accept"),
    # The private calendar feed: the token is the key, so no log-in.
    path("company/watchlists/<str:token>.ics", watchlists.watchlist_ical, name="watchlist_ical"),
    # The watch button names the watchlist in the form (it may be another company's).
    path("company/watchlists/add/", watchlists.watch_add, name="watch_add"),
    path("company/watchlists/remove/", watchlists.watch_remove, name="watch_remove"),
    # A requirement sheet's standards, all at once.
    path("company/watchlists/add-sheet/", watchlists.sheet_watch_add, name="sheet_watch_add"),
    path("company/<slug:slug>/", companies.company_detail, name="company_detail"),
    path("company/<slug:slug>/members/", companies.company_members, name="company_members"),
    path("company/<slug:slug>/invite/", companies.company_invite, name="company_invite"),
    path(
        "company/<slug:slug>/invitations/<int:pk>/withdraw/",
        companies.invitation_cancel,
        name="invitation_cancel",
    ),
    path(
        "company/<slug:slug>/members/<int:pk>/remove/",
        companies.member_remove,
        name="member_remove",
    ),
    path(
        "company/<slug:slug>/members/<int:pk>/make-owner/",
        companies.ownership_transfer,
        name="ownership_transfer",
    ),
    path("company/<slug:slug>/leave/", companies.company_leave, name="company_leave"),
    path("company/<slug:slug>/watchlists/", watchlists.watchlist_list, name="watchlist_list"),
    path(
        "company/<slug:slug>/watchlists/<int:pk>/",
        watchlists.watchlist_detail,
        name="watchlist_detail",
    ),
    path(
        "company/<slug:slug>/watchlists/<int:pk>/rename/",
        watchlists.watchlist_rename,
        name="watchlist_rename",
    ),
    path(
        "company/<slug:slug>/watchlists/<int:pk>/delete/",
        watchlists.watchlist_delete,
        name="watchlist_delete",
    ),
    path(
        "company/<slug:slug>/watchlists/<int:pk>/export/",
        watchlists.watchlist_export,
        name="watchlist_export",
    ),
    path(
        "company/<slug:slug>/watchlists/<int:pk>/calendar-link/",
        watchlists.watchlist_token_reset,
        name="watchlist_token_reset",
    ),
    path(
        "company/<slug:slug>/watchlists/<int:pk>/items/<int:item_pk>/note/",
        watchlists.watch_note,
        name="watch_note",
    ),
    # The member's alerts
    path("account/alerts/", alerts.alert_settings, name="alert_settings"),
    path("account/alerts/searches/add/", alerts.saved_search_add, name="saved_search_add"),
    path(
        "account/alerts/searches/<int:pk>/delete/",
        alerts.saved_search_delete,
        name="saved_search_delete",
    ),
    path("account/alerts/history/", alerts.delivery_history, name="delivery_history"),
    path("account/alerts/unsubscribe/<str:token>/", alerts.unsubscribe, name="unsubscribe"),
]
