"""Background work for the catalogue, run by the task worker (manage.py db_worker)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django_tasks import task

from standards.imports.cen import import_cen_list
from standards.imports.publications import PUBLICATION_LISTS, import_publications
from standards.imports.samr import import_samr_list

# Curated lists (hundreds of rows, links between rows): validated whole and written in
# one transaction; `dry_run=True` shows exactly what an import would do.
CURATED_LISTS = {"samr": import_samr_list, "cen": import_cen_list}
LIST_NAMES = [*PUBLICATION_LISTS, *CURATED_LISTS]


@task()
def import_publication_list(
    path: str, list_name: str, user_id: int | None, skip_invalid: bool
) -> dict:
    """Import an uploaded list (ISO, IEC, ETSI, SAMR or CEN/CENELEC); the file is removed
    afterwards."""
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        if list_name in CURATED_LISTS:
            report = CURATED_LISTS[list_name](Path(path), actor=actor)
        else:
            report = import_publications(
                Path(path), list_name, actor=actor, skip_invalid=skip_invalid
            )
    finally:
        Path(path).unlink(missing_ok=True)
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": [str(error) for error in report.skipped],
    }


@task()
def follow_search_index() -> dict:
    """Apply the search log to the search index (standards.search.engine.follow)."""
    from standards.search import engine

    report = engine.follow()
    return {
        "applied": report.applied,
        "removed": report.removed,
        "status_moved": report.status_moved,
        "built": report.built,
        "skipped": report.skipped,
    }
