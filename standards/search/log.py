"""The search log: which standards the search index must read again.

Every write to what search shows of a standard goes through
`standards.changes.record_changes`, which calls `standards_changed` with the standards it
touched (their own rows, their citations, the acts citing them, the editions whose status
moved); deleting a standard or a citation logs it through the signals below. The entries
are written in the writer's transaction, so they commit or roll back with the write: the
index follower (`engine.follow`) can never miss a committed change, whatever crashes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from standards.models import Citation, SearchLogEntry, Standard, TechnicalRegulation

logger = logging.getLogger(__name__)

BATCH = 5000


def standards_changed(pks: Iterable[int]) -> None:
    """Log these standards for the index (in the current transaction), and have the
    task worker apply the log once it commits."""
    entries = [SearchLogEntry(standard_id=pk) for pk in sorted({pk for pk in pks if pk})]
    if entries:
        SearchLogEntry.objects.bulk_create(entries, batch_size=BATCH)
        transaction.on_commit(request_follow)


def request_follow() -> None:
    """Queue one run of the follower (standards.tasks.follow_search_index)."""
    from standards.tasks import follow_search_index

    if settings.SEARCH_ENGINE != "index":
        return
    try:
        follow_search_index.enqueue()
    except Exception:  # the write has committed; the next write or search asks again
        logger.warning("The search index follower could not be queued", exc_info=True)


def records_changed(model, pks: Iterable[int]) -> None:
    """Log the standards a write to `model` rows `pks` changes in search: a standard
    itself, the standard a citation cites, every standard an act cites (the "cited by"
    filter and facet show only published acts)."""
    pks = list(pks)
    if model is Standard:
        standards_changed(pks)
    elif model is Citation:
        rows = Citation.objects.filter(pk__in=pks).values_list("standard_id", "replaces_id")
        standards_changed(pk for row in rows for pk in row)
    elif model is TechnicalRegulation:
        cited = Citation.objects.filter(regulation_id__in=pks).values_list("standard_id")
        standards_changed(pk for (pk,) in cited)


@receiver(post_delete, sender=Standard, dispatch_uid="search_log_standard_deleted")
def _standard_deleted(sender, instance, **kwargs):
    standards_changed([instance.pk])


@receiver(post_delete, sender=Citation, dispatch_uid="search_log_citation_deleted")
def _citation_deleted(sender, instance, **kwargs):
    standards_changed([instance.standard_id])
