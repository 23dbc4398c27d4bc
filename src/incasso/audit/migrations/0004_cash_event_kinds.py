# Cash application event kinds (hand-written: same AlterField as makemigrations produces)

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_collections_event_kinds'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='kind',
            field=models.CharField(choices=[('entity.created', 'Legal entity created'), ('entity.updated', 'Legal entity updated'), ('customer.created', 'Customer created'), ('customer.updated', 'Customer updated'), ('contact.created', 'Contact created'), ('contact.updated', 'Contact updated'), ('item.created', 'Item created'), ('item.updated', 'Item updated'), ('allocation.created', 'Allocation made'), ('allocation.reversed', 'Allocation reversed'), ('import.completed', 'File imported'), ('role.granted', 'Role granted'), ('report.aging_snapshot', 'Aging snapshot taken'), ('collections.activity', 'Contact logged'), ('collections.email_sent', 'E-mail sent'), ('collections.promise', 'Promise to pay recorded'), ('collections.promise_judged', 'Promise to pay judged'), ('collections.assigned', 'Collector assigned'), ('collections.escalated', 'Escalated to a senior collector'), ('collections.absence', 'Substitute set for an absence'), ('collections.task', 'Task assigned'), ('collections.task_done', 'Task done'), ('collections.strategy', 'Collection strategy published'), ('collections.worklist', 'Worklists built'), ('collections.entry_done', 'Worklist entry done'), ('cash.statement_imported', 'Bank file imported'), ('cash.matching_run', 'Cash matching run'), ('cash.match_applied', 'Bank line applied'), ('cash.match_rejected', 'Match proposal rejected'), ('cash.unapplied', 'Bank line unapplied'), ('cash.written_off', 'Small difference written off'), ('cash.deduction', 'Deduction recorded')], max_length=40),
        ),
    ]
