"""Background work for the catalogue, run by the task worker (manage.py db_worker)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django_tasks import task

from standards.imports import import_publications


@task()
def import_publication_list(
    path: str, list_name: str, user_id: int | None, skip_invalid: bool
) -> dict:
    """Import an uploaded ISO, IEC or ETSI list; the file is removed afterwards."""
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        report = import_publications(Path(path), list_name, actor=actor, skip_invalid=skip_invalid)
    finally:
        Path(path).unlink(missing_ok=True)
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": [str(error) for error in report.skipped],
    }
