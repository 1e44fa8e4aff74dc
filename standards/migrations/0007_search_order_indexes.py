"""Indexes for the search page's orders: newest first (by issue or implementation date),
then by number, which let PostgreSQL stop after the first rows of a large result instead
of sorting every match (see standards.search.candidates_order).

Plain SQL rather than Meta.indexes: the migration state does not change, so
`makemigrations --check` stays quiet while models.py does not list them.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0006_search_columns"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS standard_newest ON standards_standard "
            "(issued_date DESC NULLS LAST, key)",
            "DROP INDEX IF EXISTS standard_newest",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS standard_newest_in_force ON standards_standard "
            "(implementation_date DESC NULLS LAST, key)",
            "DROP INDEX IF EXISTS standard_newest_in_force",
        ),
    ]
