import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("dunning", "0001_initial"),
        ("ledger", "0002_drop_fk_indexes_covered_by_composites"),
    ]

    operations = [
        migrations.AlterField(
            model_name="letterline",
            name="item",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="ledger.item"),
        ),
    ]
