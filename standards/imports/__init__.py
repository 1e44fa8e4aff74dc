"""The catalogue's importers, one module per source layout.

- `admin_resource`: the admin's own CSV/XLSX format (django-import-export).
- `publications`: the ISO, IEC and ETSI publication lists (bulk, streamed).
- `samr`: SAMR's national-standard lists.
- `cen`: CEN and CENELEC published-standards lists.
- `harmonised`: the Commission's summary lists of harmonised standards.
- `regulations`: curated lists of regulations and of the standards Chinese rules name.
- `common`: what they share once a row is read (sectors from ICS codes, saving only
  what changed, European publishers, replacement and adoption links).

Every importer follows one contract, built on cesip.tabular: every row is checked
before anything is written; errors name the row, the column and the reason; a file with
any error writes nothing; importing the same file again changes nothing; each change goes
through standards.changes. `dry_run=True` runs the import in a transaction that is
rolled back, so that the admin can show exactly what it would do.
"""
