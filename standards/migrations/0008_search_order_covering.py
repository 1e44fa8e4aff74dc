"""The newest-first indexes of 0007, covering the columns a search lists and counts
(status, facets), so that a search by filters alone reads the index and not the table
(an index-only scan, for pages the visibility map marks all-visible, which VACUUM keeps).

Plain SQL, as in 0007: the migration state does not change.
"""

from django.db import migrations

COLUMNS = (
    "id, published, body_id, jurisdiction, document_type, legal_force, stage, "
    "withdrawn_date, issued_date, implementation_date"
)


def _replace(name: str, order: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        [
            f"DROP INDEX IF EXISTS {name}",
            f"CREATE INDEX {name} ON standards_standard ({order}, key) INCLUDE ({COLUMNS})",
        ],
        [
            f"DROP INDEX IF EXISTS {name}",
            f"CREATE INDEX {name} ON standards_standard ({order}, key)",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0007_search_order_indexes"),
    ]

    operations = [
        _replace("standard_newest", "issued_date DESC NULLS LAST"),
        _replace("standard_newest_in_force", "implementation_date DESC NULLS LAST"),
    ]
