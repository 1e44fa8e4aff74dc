"""The member's alerts: the subscription with its saved searches, the deliveries made
for it, and turning it off from the link every digest carries. The digests themselves
are built and sent by accounts.digests."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.digests import user_from_token
from accounts.models import Delivery, SavedSearch, Subscription, User


def subscription_for(user: User) -> Subscription:
    """The member's subscription, or an unsaved one with the defaults (saved on POST)."""
    subscription = Subscription.objects.filter(user=user).first()
    return subscription or Subscription(user=user, language=user.language)


def save_search(*, user: User, name: str, query: str) -> SavedSearch:
    """Follow a search: saved on the member's subscription, created if need be."""
    subscription = subscription_for(user)
    if subscription.pk is None:
        subscription.save()
    return SavedSearch.objects.create(subscription=subscription, name=name, query=query)


def deliveries_of(user: User) -> QuerySet[Delivery]:
    """The member's digests and alerts, newest period first."""
    return Delivery.objects.filter(user=user).order_by("-period_end", "-pk")


def subscription_from_token(token: str) -> Subscription | None:
    """The subscription an unsubscribe link names; None for a forged or stale link."""
    user_id = user_from_token(token)
    if user_id is None:
        return None
    return Subscription.objects.filter(user_id=user_id).select_related("user").first()


def turn_off_alerts(subscription: Subscription) -> None:
    """What the unsubscribe link does: no more digests or alerts until turned on again."""
    Subscription.objects.filter(pk=subscription.pk).update(active=False)
