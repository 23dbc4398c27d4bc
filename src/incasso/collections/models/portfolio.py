from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from incasso.collections.choices import TaskPriority
from incasso.ledger.models import Customer, LegalEntity


class AssignmentRule(models.Model):
    """A portfolio rule: accounts matching every given criterion go to ``collector``.

    Rules are tried by ascending ``position``; the first match wins. Empty criteria match anything;
    size is the account's open balance between ``min_balance`` and ``max_balance`` (inclusive).
    """

    position = models.PositiveIntegerField(_("position"))
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entity = models.ForeignKey(LegalEntity, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(_("language"), max_length=8, blank=True)
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    min_balance = models.DecimalField(_("minimum balance"), max_digits=18, decimal_places=2, null=True, blank=True)
    max_balance = models.DecimalField(_("maximum balance"), max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"#{self.position} → {self.collector}"


class ManualAssignment(models.Model):
    """A team leader's decision that an account belongs to a collector, whatever the rules say."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="manual_assignment")
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.customer} → {self.collector}"


class Absence(models.Model):
    """A collector away from ``starts_on`` to ``ends_on`` (inclusive); ``substitute`` works their
    accounts meanwhile, marked as such in the substitute's worklist."""

    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences")
    substitute = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="substitutions")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="absence_ends_after_start",
                                   violation_error_message=_("An absence ends on or after its first day.")),
            models.CheckConstraint(condition=~Q(substitute=F("collector")), name="absence_substitute_is_other",
                                   violation_error_message=_("A collector cannot substitute for themselves.")),
        ]

    def __str__(self) -> str:
        return f"{self.collector} {self.starts_on}–{self.ends_on} → {self.substitute}"


class Escalation(models.Model):
    """An account handed to a senior collector ("second voice") by rule or by hand; while active,
    its worklist entry goes to the senior, marked escalated."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="escalations")
    senior = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    by_rule = models.BooleanField(default=False)
    escalated_on = models.DateField(_("escalated on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-escalated_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(closed_on__isnull=True),
                                    name="escalation_one_active_per_customer",
                                    violation_error_message=_("This account is already escalated.")),
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.senior}"


class Task(models.Model):
    """Work a team leader gives a collector, with a due date and priority; shown in the worklist."""

    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collection_tasks")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("task"), max_length=200)
    due_on = models.DateField(_("due date"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=TaskPriority.choices,
                                                default=TaskPriority.NORMAL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "-priority", "id"]
        indexes = [models.Index(fields=["assigned_to", "done_at"], name="task_open_idx")]

    def __str__(self) -> str:
        return self.title
