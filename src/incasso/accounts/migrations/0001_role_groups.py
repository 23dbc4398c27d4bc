from django.db import migrations

ROLES = [
    "collector", "senior_collector", "team_leader", "dispute_resolver", "cash_application",
    "risk_approver", "controller", "admin",
]


def create_groups(apps, schema_editor):
    group = apps.get_model("auth", "Group")
    for name in ROLES:
        group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
