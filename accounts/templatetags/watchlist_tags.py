"""The watch button's state, loaded once per request (see accounts.watchlists.watch_state)."""

from django import template

from accounts import watchlists

register = template.Library()


@register.simple_tag(takes_context=True)
def watch_state(context, record, next_url: str = "") -> watchlists.WatchState:
    """`next_url`: where a plain POST returns (default: this page)."""
    return watchlists.watch_state(context.get("request"), record, next_url=next_url or "")


@register.simple_tag(takes_context=True)
def sheet_watch_state(context, next_url: str = "") -> watchlists.SheetWatchState:
    """What the requirement sheet's "watch all its standards" form offers the visitor."""
    return watchlists.sheet_watch_state(context.get("request"), next_url=next_url or "")
