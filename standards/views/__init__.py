"""The public pages of the catalogue: search, records, sectors and the product finder,
the calendar, what's new and the glossary."""
