"""Match proposals, per-entity matching settings, and the deductions payers take."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incasso.cashapp.choices import DeductionStatus, ProposalStatus, ResidualKind, WriteOffReason
from incasso.cashapp.models.statements import BankLine
from incasso.disputes.models import DisputeCase
from incasso.ledger.models import Allocation, Customer, Item, LegalEntity


class MatchProposal(models.Model):
    """What the matching engine proposes for one bank line: the customer, the items and amounts,
    how sure it is and why.

    ``allocations`` is ``[{"item_id", "amount", "discount"}, ...]`` (amounts as strings). A proposal
    at or above the entity's threshold is applied by the run (``auto``); the others wait in the
    queue for a person to accept or reject. The ledger's allocations, not this row, say what was
    actually applied.
    """

    line = models.ForeignKey(BankLine, on_delete=models.PROTECT, related_name="proposals")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    allocations = models.JSONField(default=list, blank=True)
    confidence = models.DecimalField(_("confidence"), max_digits=4, decimal_places=3)
    reason = models.TextField(_("reason"), blank=True)
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    residual = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    residual_kind = models.CharField(max_length=20, choices=ResidualKind.choices, default=ResidualKind.NONE)
    status = models.CharField(_("status"), max_length=10, choices=ProposalStatus.choices,
                              default=ProposalStatus.PROPOSED)
    as_of = models.DateField()
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "confidence"], name="proposal_status_idx")]

    def __str__(self) -> str:
        return f"proposal {self.pk} for line {self.line_id} ({self.confidence})"

    @property
    def allocated_total(self) -> Decimal:
        return sum((Decimal(a["amount"]) for a in self.allocations), Decimal("0"))


class CashSettings(models.Model):
    """How boldly matching may act for one legal entity; entities without a row use the defaults."""

    entity = models.OneToOneField(LegalEntity, on_delete=models.CASCADE, related_name="cash_settings")
    auto_threshold = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.950"),
                                         help_text="proposals at or above this confidence are applied without review")
    amount_tolerance = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("1.00"),
                                           help_text="largest difference written off, in the line's currency")
    tolerance_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.50"))
    cash_discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("2.00"))
    cash_discount_days = models.PositiveIntegerField(default=10)
    max_combination_items = models.PositiveIntegerField(default=20)

    class Meta:
        verbose_name_plural = "cash settings"

    def __str__(self) -> str:
        return f"cash settings of {self.entity_id}"


class Deduction(models.Model):
    """A payer's short payment on an invoice: the invoice stays open for ``amount``, and the
    deduction waits here with its reason until a dispute case takes it over (``case``, with the
    dispute reason code, status disputed). Unapplying the payment cancels the deduction and
    withdraws the deducted amount from the case."""

    line = models.ForeignKey(BankLine, on_delete=models.PROTECT, related_name="deductions")
    proposal = models.ForeignKey(MatchProposal, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=DeductionStatus.choices, default=DeductionStatus.OPEN)
    case = models.ForeignKey(DisputeCase, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason_code = models.CharField(max_length=40, blank=True, help_text="the dispute reason code of the case")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"deduction {self.amount} {self.currency} on {self.item_id}"


class WriteOff(models.Model):
    """A small difference closed when a line was applied (within tolerance, or a cash discount).

    The ledger sees it as an item plus an allocation: a short difference is a ``credit_note`` item
    allocated to the invoice, an overpaid difference a debit ``adjustment`` item the payment is
    allocated to. Unapplying the line reverses the allocation and cancels the item against an
    opposite one, so nothing is ever deleted.
    """

    line = models.ForeignKey(BankLine, on_delete=models.PROTECT, related_name="write_offs")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    reason = models.CharField(max_length=20, choices=WriteOffReason.choices)
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"write-off {self.amount} ({self.reason})"
