from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    """The roles (standards 0002_roles) on the new product scopes: curators create, edit
    and view them, administrators also delete."""
    app_config = apps.get_app_config("sectors")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    scope = Permission.objects.filter(
        content_type__app_label="sectors", content_type__model="productscope"
    )
    for group in Group.objects.filter(name="Curator"):
        group.permissions.add(*scope.exclude(codename__startswith="delete_"))
    for group in Group.objects.filter(name="Administrator"):
        group.permissions.add(*scope)


class Migration(migrations.Migration):
    dependencies = [
        ("sectors", "0007_product_hierarchy_and_scope"),
        ("standards", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
