import secrets

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str):
        # Log-in is case-insensitive on the e-mail address.
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person using CESIP; logs in with an e-mail address."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Pages and e-mails are shown in this language."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


# ----------------------------------------------------------------------------------------
# Companies
# ----------------------------------------------------------------------------------------


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")


class Company(models.Model):
    """An exporter's company: its members share watchlists."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("permalink"), max_length=80, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["company", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["company", "user"], name="membership_unique_pair"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.role})"


class Invitation(models.Model):
    """An owner's invitation to join the company, sent as a signed link.

    The link carries the pk and `nonce` signed with a timestamp; it works once
    (`accepted_at` is set with a conditional update) and not after `expires_at`.
    """

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    invited_by = models.ForeignKey(
        User, verbose_name=_("invited by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    nonce = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, verbose_name=_("accepted by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.company}"


# ----------------------------------------------------------------------------------------
# Watchlists
# ----------------------------------------------------------------------------------------


def new_ical_token() -> str:
    """A fresh secret for a watchlist's private calendar feed."""
    return secrets.token_urlsafe(32)


class Watchlist(models.Model):
    """A company's list of standards and regulations to follow."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="watchlists"
    )
    name = models.CharField(_("name"), max_length=120)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The private iCal feed's secret; an owner can replace it (revoking the old link).
    ical_token = models.CharField(_("calendar feed token"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("watchlist")
        verbose_name_plural = _("watchlists")
        ordering = ["company", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="watchlist_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def replace_ical_token(self) -> None:
        """A new calendar feed secret: the old link stops working."""
        self.ical_token = new_ical_token()
        self.save(update_fields=["ical_token"])


class WatchItem(models.Model):
    """One standard or one regulation on a watchlist, with a note and who added it."""

    watchlist = models.ForeignKey(
        Watchlist, verbose_name=_("watchlist"), on_delete=models.CASCADE, related_name="items"
    )
    standard = models.ForeignKey(
        "standards.Standard",
        verbose_name=_("standard"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="watch_items",
    )
    regulation = models.ForeignKey(
        "standards.TechnicalRegulation",
        verbose_name=_("regulation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="watch_items",
    )
    note = models.TextField(_("note"), blank=True)
    added_by = models.ForeignKey(
        User, verbose_name=_("added by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("watched record")
        verbose_name_plural = _("watched records")
        ordering = ["watchlist", "-added_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(standard__isnull=False, regulation__isnull=True)
                | models.Q(standard__isnull=True, regulation__isnull=False),
                name="watch_item_one_record",
            ),
            models.UniqueConstraint(
                fields=["watchlist", "standard"],
                condition=models.Q(standard__isnull=False),
                name="watch_item_unique_standard",
            ),
            models.UniqueConstraint(
                fields=["watchlist", "regulation"],
                condition=models.Q(regulation__isnull=False),
                name="watch_item_unique_regulation",
            ),
        ]

    def __str__(self) -> str:
        return str(self.standard or self.regulation)


class WatchlistVisit(models.Model):
    """When a member last looked at a watchlist: "changed since your last visit"."""

    watchlist = models.ForeignKey(Watchlist, on_delete=models.CASCADE, related_name="visits")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["watchlist", "user"], name="watchlist_visit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} saw {self.watchlist} at {self.seen_at:%Y-%m-%d %H:%M}"


# ----------------------------------------------------------------------------------------
# Alerts
# ----------------------------------------------------------------------------------------


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class Subscription(models.Model):
    """What a member wants to hear about, how often and in which language.

    A digest gathers the changes to the company's watched records, to the standards and
    regulations of the subscribed sectors, and to those a saved search finds, limited to
    the chosen jurisdictions (none chosen: all).
    """

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="subscription"
    )
    sectors = models.ManyToManyField(
        "sectors.Sector", verbose_name=_("sectors"), blank=True, related_name="subscriptions"
    )
    jurisdictions = models.JSONField(_("jurisdictions"), default=list, blank=True)
    include_watchlists = models.BooleanField(_("changes to our watchlists"), default=True)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    active = models.BooleanField(_("send alerts"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(frequency__in=Frequency.values),
                name="subscription_frequency_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.frequency})"


class SavedSearch(models.Model):
    """A search URL's query string, followed in the member's digests."""

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="saved_searches",
    )
    name = models.CharField(_("name"), max_length=120)
    query = models.CharField(
        _("search"), max_length=1000, help_text=_("The search's query string.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", pgettext_lazy("delivery status", "Sent")
    EMPTY = "empty", _("Nothing to send")
    FAILED = "failed", _("Failed, will retry")
    ABANDONED = "abandoned", _("Failed, given up")


class Delivery(models.Model):
    """One digest for one member and one period: the unique constraint is what makes
    `send_digests` safe to run twice or in parallel; a run claims a row by moving it
    from pending (or failed and due) to sending with a conditional update."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="deliveries"
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "frequency", "period_start"], name="delivery_one_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.user} {self.frequency} {self.period_start:%Y-%m-%d}"
