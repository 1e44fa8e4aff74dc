"""A copy of the test database's rows, taken once and put back in a second.

Loading the demo catalogue runs every importer over hundreds of records (half a minute);
the tests that need it (its own test, the browser journeys) get the rows it wrote from a
snapshot taken once per session instead: every table's rows copied out with COPY, and on
restore the tables emptied and copied back in, with their sequences moved past the rows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

# Columns a COPY can write: not dropped, not generated (PostgreSQL computes those).
COLUMNS_SQL = """
SELECT a.attname FROM pg_attribute a
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attnum
"""


@dataclass
class TableSnapshot:
    rows: dict[str, tuple[list[str], bytes]]  # table → (columns, COPY text)
    output: str = ""  # what the command that filled the tables printed

    @classmethod
    def take(cls, *, output: str = "") -> TableSnapshot:
        """Every table of the project's models and Django's own, as this connection sees
        them now (uncommitted rows included)."""
        rows = {}
        with connection.cursor() as cursor:
            for table in connection.introspection.django_table_names(include_views=False):
                cursor.execute(COLUMNS_SQL, [table])
                columns = [name for (name,) in cursor.fetchall()]
                buffer = io.BytesIO()
                quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
                cursor.copy_expert(
                    f"COPY {connection.ops.quote_name(table)} ({quoted}) TO STDOUT", buffer
                )
                rows[table] = (columns, buffer.getvalue())
        return cls(rows, output)

    def restore(self) -> None:
        """Make the tables hold exactly the snapshot's rows (foreign keys are checked at
        the end of the transaction: Django declares them deferrable)."""
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(quote(table) for table in self.rows))
            for table, (columns, data) in self.rows.items():
                if data:
                    quoted = ", ".join(quote(c) for c in columns)
                    cursor.copy_expert(
                        f"COPY {quote(table)} ({quoted}) FROM STDIN", io.BytesIO(data)
                    )
            models = [
                model
                for model in apps.get_models(include_auto_created=True)
                if model._meta.db_table in self.rows
            ]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
