from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from incasso.collections.choices import LIVE_PLAN_STATUSES, InstalmentStatus, PlanFrequency, PlanStatus
from incasso.ledger.models import Customer, Item


class PaymentPlan(models.Model):
    """A payment plan: the customer pays what it owes on some items in instalments on set dates.

    Proposed by a collector (the covered items and the amount of each, a down payment, the number
    of instalments, their frequency and first date), approved or rejected by a risk approver who is
    never the proposer, started once the customer agrees, then judged every day from the cash that
    reaches the covered items: completed when every instalment was kept, broken at the first missed
    one. While it is active its items are not dunned.

    ``total_amount`` is the covered total; the instalments sum to it to the cent. ``fee_amount`` and
    ``interest_amount`` record what was agreed on top; they are charged through the ERP as their own
    items and are not part of the schedule that is judged.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="payment_plans")
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.PROPOSED)
    total_amount = models.DecimalField(_("covered total"), max_digits=18, decimal_places=2)
    down_payment = models.DecimalField(_("down payment"), max_digits=18, decimal_places=2, default=0)
    down_payment_due = models.DateField(_("down payment due"), null=True, blank=True)
    instalment_count = models.PositiveSmallIntegerField(_("instalments"))
    frequency = models.CharField(_("frequency"), max_length=12, choices=PlanFrequency.choices)
    first_due_date = models.DateField(_("first instalment"))
    fee_amount = models.DecimalField(_("fee"), max_digits=18, decimal_places=2, default=0)
    interest_amount = models.DecimalField(_("interest"), max_digits=18, decimal_places=2, default=0)
    tolerance_days = models.PositiveSmallIntegerField(_("tolerance days"), default=3)
    note = models.TextField(_("note"), blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_on = models.DateField(_("proposed on"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    activated_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=300, blank=True)
    judged_on = models.DateField(_("last judged on"), null=True, blank=True)
    paid_amount = models.DecimalField(_("paid"), max_digits=18, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-proposed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gt=0), name="plan_total_positive",
                                   violation_error_message=_("A payment plan covers a positive amount.")),
            models.CheckConstraint(condition=Q(down_payment__gte=0) & Q(down_payment__lt=F("total_amount")),
                                   name="plan_down_payment_below_total",
                                   violation_error_message=_("The down payment must be less than the covered total.")),
            models.CheckConstraint(condition=Q(instalment_count__gte=1), name="plan_has_instalments",
                                   violation_error_message=_("A payment plan has at least one instalment.")),
            # Four-eyes where it cannot be skipped: whoever decided is not whoever proposed.
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                                   name="plan_four_eyes",
                                   violation_error_message=_("A payment plan is decided by someone other than "
                                                             "its proposer.")),
        ]
        indexes = [
            models.Index(fields=["status", "proposed_on"], name="plan_status_idx"),
            models.Index(fields=["customer", "status"], name="plan_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"plan {self.pk}: {self.total_amount} {self.currency} in {self.instalment_count}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_PLAN_STATUSES


class PlanItem(models.Model):
    """An item covered by a plan and the amount of it the plan covers (at most its open amount when
    proposed). ``is_live`` mirrors the plan (proposed, approved or active) so that the database
    itself refuses to put one item in two live plans."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="plan_lines")
    amount = models.DecimalField(_("covered amount"), max_digits=18, decimal_places=2)
    is_live = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item"], condition=Q(is_live=True), name="plan_one_live_per_item",
                                    violation_error_message=_("This item is already in a payment plan.")),
            models.CheckConstraint(condition=Q(amount__gt=0), name="plan_item_amount_positive",
                                   violation_error_message=_("A plan covers a positive amount of each item.")),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.item_id} {self.amount}"


class Instalment(models.Model):
    """One line of a plan's schedule: number 0 is the down payment, 1..N the instalments.

    ``status`` and ``paid_amount`` (the cash counted for the plan by this instalment's deadline,
    cumulative) are written by the daily judgement.
    """

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    status = models.CharField(_("status"), max_length=8, choices=InstalmentStatus.choices,
                              default=InstalmentStatus.PENDING)
    paid_amount = models.DecimalField(_("paid by the deadline"), max_digits=18, decimal_places=2, default=0)
    judged_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="instalment_number_unique",
                                    violation_error_message=_("Each instalment of a plan has its own number.")),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive",
                                   violation_error_message=_("An instalment is for a positive amount.")),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.number}: {self.amount} on {self.due_date}"

    @property
    def is_down_payment(self) -> bool:
        return self.number == 0
