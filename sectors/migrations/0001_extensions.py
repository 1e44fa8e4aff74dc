from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """PostgreSQL extensions the catalogue's search relies on."""

    initial = True
    dependencies = []
    operations = [TrigramExtension(), UnaccentExtension()]
