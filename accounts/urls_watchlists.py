"""Company watchlists, included at /<lang>/company/."""

from django.urls import path

from accounts import watchlists

urlpatterns = [
    # The private calendar feed: the token is the key, so no log-in.
    path("watchlists/<str:token>.ics", watchlists.watchlist_ical, name="watchlist_ical"),
    # The watch button names the watchlist in the form (it may be another company's).
    path("watchlists/add/", watchlists.watch_add, name="watch_add"),
    path("watchlists/remove/", watchlists.watch_remove, name="watch_remove"),
    path("<slug:slug>/watchlists/", watchlists.watchlist_list, name="watchlist_list"),
    path("<slug:slug>/watchlists/<int:pk>/", watchlists.watchlist_detail, name="watchlist_detail"),
    path(
        "<slug:slug>/watchlists/<int:pk>/rename/",
        watchlists.watchlist_rename,
        name="watchlist_rename",
    ),
    path(
        "<slug:slug>/watchlists/<int:pk>/delete/",
        watchlists.watchlist_delete,
        name="watchlist_delete",
    ),
    path(
        "<slug:slug>/watchlists/<int:pk>/export/",
        watchlists.watchlist_export,
        name="watchlist_export",
    ),
    path(
        "<slug:slug>/watchlists/<int:pk>/calendar-link/",
        watchlists.watchlist_token_reset,
        name="watchlist_token_reset",
    ),
    path(
        "<slug:slug>/watchlists/<int:pk>/items/<int:item_pk>/note/",
        watchlists.watch_note,
        name="watch_note",
    ),
]
