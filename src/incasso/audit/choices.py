from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    """What happened. New kinds are added here, with a factory in ``incasso.audit.events``."""

    ENTITY_CREATED = "entity.created", _("Legal entity created")
    ENTITY_UPDATED = "entity.updated", _("Legal entity updated")
    CUSTOMER_CREATED = "customer.created", _("Customer created")
    CUSTOMER_UPDATED = "customer.updated", _("Customer updated")
    CONTACT_CREATED = "contact.created", _("Contact created")
    CONTACT_UPDATED = "contact.updated", _("Contact updated")
    ITEM_CREATED = "item.created", _("Item created")
    ITEM_UPDATED = "item.updated", _("Item updated")
    ALLOCATION_CREATED = "allocation.created", _("Allocation made")
    ALLOCATION_REVERSED = "allocation.reversed", _("Allocation reversed")
    IMPORT_COMPLETED = "import.completed", _("File imported")
    ROLE_GRANTED = "role.granted", _("Role granted")
    AGING_SNAPSHOT_TAKEN = "report.aging_snapshot", _("Aging snapshot taken")
    ACTIVITY_LOGGED = "collections.activity", _("Contact logged")
    EMAIL_SENT = "collections.email_sent", _("E-mail sent")
    PROMISE_RECORDED = "collections.promise", _("Promise to pay recorded")
    PROMISE_JUDGED = "collections.promise_judged", _("Promise to pay judged")
    PORTFOLIO_ASSIGNED = "collections.assigned", _("Collector assigned")
    ACCOUNT_ESCALATED = "collections.escalated", _("Escalated to a senior collector")
    ABSENCE_SET = "collections.absence", _("Substitute set for an absence")
    TASK_ASSIGNED = "collections.task", _("Task assigned")
    TASK_DONE = "collections.task_done", _("Task done")
    STRATEGY_PUBLISHED = "collections.strategy", _("Collection strategy published")
    WORKLIST_BUILT = "collections.worklist", _("Worklists built")
    WORKLIST_ENTRY_DONE = "collections.entry_done", _("Worklist entry done")
    STATEMENT_IMPORTED = "cash.statement_imported", _("Bank file imported")
    MATCHING_RUN = "cash.matching_run", _("Cash matching run")
    MATCH_APPLIED = "cash.match_applied", _("Bank line applied")
    MATCH_REJECTED = "cash.match_rejected", _("Match proposal rejected")
    CASH_UNAPPLIED = "cash.unapplied", _("Bank line unapplied")
    DIFFERENCE_WRITTEN_OFF = "cash.written_off", _("Small difference written off")
    DEDUCTION_RECORDED = "cash.deduction", _("Deduction recorded")
