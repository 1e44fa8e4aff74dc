from django.contrib.auth.management import create_permissions
from django.db import migrations

CATALOGUE_APPS = ["sectors", "standards"]
ADMIN_APPS = ["sectors", "standards", "accounts", "auth", "axes"]


def create_roles(apps, schema_editor):
    """Curator: create, edit and view the catalogue (imports need "change"); no deletes,
    no user management. Administrator: everything in the catalogue and the accounts."""
    # Permissions are normally created after the last migration; roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    curator, _ = Group.objects.get_or_create(name="Curator")
    curator.permissions.set(
        Permission.objects.filter(content_type__app_label__in=CATALOGUE_APPS)
        .exclude(codename__startswith="delete_")
        # Change rows are written by the system only; curators read them.
        .exclude(codename__in=["add_change", "change_change"])
    )
    administrator, _ = Group.objects.get_or_create(name="Administrator")
    administrator.permissions.set(
        Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Curator", "Administrator"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0001_initial"),
        ("accounts", "0001_initial"),
        ("axes", "0010_accessattemptexpiration"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
