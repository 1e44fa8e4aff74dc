from django.db import migrations, models


class Migration(migrations.Migration):
    """What's new, feeds and the home page read changes latest event first."""

    dependencies = [
        ("standards", "0010_status_engine_fields"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="change",
            index=models.Index(
                fields=["-occurred_on", "-created_at", "-id"], name="change_occurred_order"
            ),
        ),
    ]
