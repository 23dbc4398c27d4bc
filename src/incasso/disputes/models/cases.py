"""Dispute cases and what hangs off them: disputed items, attachments, settlements, write-offs.

A case disputes *part* of one or more open items of one customer, in one currency. Each line keeps
the amount originally disputed, the amount disputed now (it follows credits, payments and write-offs
on the item: it never exceeds the item's open amount), and the amount *blocked*: the part dunning
must leave alone. While the case is open the blocked amount is the disputed amount; once resolved
it is the part a credit note or write-off will settle, until that document clears the item; a
rejected case blocks nothing. The undisputed rest of each item stays collectable throughout.

The case's timeline is its audit trail (``AuditEvent`` with ``subject_type="dispute"``): notes,
emails, assignments, status changes and escalations are all events written by the actions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from incasso.disputes.choices import (
    OPEN_STATUSES,
    CaseSource,
    CaseStatus,
    EscalationLevel,
    Priority,
    Resolution,
    SettlementKind,
    SettlementStatus,
    WriteOffStatus,
)
from incasso.disputes.models.catalogues import ReasonCode, ResolverDepartment, RootCauseCode
from incasso.ledger.models import Customer, Item, LegalEntity

MONEY = {"max_digits": 18, "decimal_places": 2}
_REOPENABLE = [CaseStatus.RESOLVED, CaseStatus.CLOSED]
_WORKING = [CaseStatus.ASSIGNED, CaseStatus.IN_INVESTIGATION, CaseStatus.WAITING_CUSTOMER,
            CaseStatus.WAITING_INTERNAL]


class DisputeCase(ConcurrentTransitionMixin, models.Model):
    """A customer's dispute of (part of) one or more invoices, investigated by a resolver department.

    ``original_amount`` is what the customer disputed when the case was opened, ``disputed_amount``
    what is disputed now (the sum of its lines). ``deadline`` is in business days of the entity's
    country from the reason's target time; ``escalation_level`` climbs when it passes. ``cycle_days``
    (calendar days from opening to resolution) is stored at resolution for set-based analytics.
    """

    entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="dispute_cases")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="dispute_cases", db_index=False)
    currency = models.CharField(_("currency"), max_length=3)
    original_amount = models.DecimalField(_("original disputed amount"), **MONEY)
    disputed_amount = models.DecimalField(_("disputed amount"), **MONEY)
    accepted_amount = models.DecimalField(_("accepted amount"), default=0, **MONEY)
    reason = models.ForeignKey(ReasonCode, on_delete=models.PROTECT, related_name="cases", verbose_name=_("reason"),
                               db_index=False)
    description = models.TextField(_("description"), blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    source = models.CharField(_("source"), max_length=20, choices=CaseSource.choices, default=CaseSource.MANUAL)
    external_reference = models.CharField(_("external reference"), max_length=80, null=True, blank=True,
                                          help_text=_("the customer's or the import file's case reference"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="owned_dispute_cases", verbose_name=_("owner (collector)"), db_index=False)
    department = models.ForeignKey(ResolverDepartment, on_delete=models.PROTECT, related_name="cases",
                                   verbose_name=_("resolver department"), db_index=False)
    resolver = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="resolving_dispute_cases", verbose_name=_("resolver"), db_index=False)
    status = FSMField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW,
                      protected=True)
    opened_on = models.DateField(_("opened on"))
    deadline = models.DateField(_("deadline"))
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), choices=EscalationLevel.choices,
                                                        default=EscalationLevel.NONE)
    escalated_on = models.DateField(_("last escalated on"), null=True, blank=True)
    # Set by a team leader's manual de-escalation: from then on the case climbs one level per step
    # again instead of jumping to the level its lateness calls for; cleared when the deadline moves.
    deescalated_on = models.DateField(_("last de-escalated on"), null=True, blank=True)
    # The highest level the case ever reached (the level itself goes back to 0 when the case is
    # resolved, waits for the customer or gets a new deadline): what the analytics count.
    highest_escalation_level = models.PositiveSmallIntegerField(
        _("highest escalation level"), choices=EscalationLevel.choices, default=EscalationLevel.NONE)
    reminded_on = models.DateField(_("reminder sent on"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=12, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    root_cause = models.ForeignKey(RootCauseCode, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="cases", verbose_name=_("root cause"), db_index=False)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", db_index=False)
    cycle_days = models.PositiveIntegerField(_("cycle time (days)"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Few indexes on purpose: the daily pass rewrites the escalation columns of up to every open case,
    # and each index would be rewritten with it (PostgreSQL: the table's fillfactor leaves room for
    # HOT updates, see migration 0003). The composite indexes below serve the foreign-key lookups.
    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("dispute case")
        verbose_name_plural = _("dispute cases")
        constraints = [
            models.CheckConstraint(
                condition=Q(original_amount__gt=0) & Q(disputed_amount__gte=0) & Q(accepted_amount__gte=0),
                name="dispute_amounts_valid",
                violation_error_message=_("Disputed amounts are positive and accepted amounts not negative."),
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=F("opened_on")), name="dispute_deadline_after_opening",
                violation_error_message=_("A deadline cannot be before the case was opened."),
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("opened_on")),
                name="dispute_resolved_after_opening",
                violation_error_message=_("A case cannot be resolved before it was opened."),
            ),
            models.UniqueConstraint(
                fields=["entity", "external_reference"], name="dispute_external_reference_unique",
                condition=Q(external_reference__isnull=False),
                violation_error_message=_("A case with this external reference already exists in the entity."),
            ),
        ]
        indexes = [
            # The escalation pass and the worklists read open cases by deadline.
            models.Index(fields=["deadline"], name="dispute_open_deadline_idx",
                         condition=Q(status__in=list(OPEN_STATUSES))),
            models.Index(fields=["customer", "status"], name="dispute_customer_status_idx"),
            models.Index(fields=["resolver", "status"], name="dispute_resolver_status_idx"),
            models.Index(fields=["department", "status"], name="dispute_department_status_idx"),
            models.Index(fields=["resolved_on"], name="dispute_resolved_on_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"DC-{self.pk:06d}" if self.pk else "DC-new"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def residual_amount(self) -> object:
        return self.disputed_amount - self.accepted_amount

    # Transitions. Their side effects (amounts, audit, notifications) live in the actions, which are
    # the only callers; the FSM guards the graph, the actions guard who may walk it.
    @transition(field=status, source=[CaseStatus.NEW, *_WORKING], target=CaseStatus.ASSIGNED)
    def assign(self) -> None:
        pass

    @transition(field=status, source=[CaseStatus.ASSIGNED, CaseStatus.WAITING_CUSTOMER,
                                      CaseStatus.WAITING_INTERNAL], target=CaseStatus.IN_INVESTIGATION)
    def start_investigation(self) -> None:
        pass

    @transition(field=status, source=[CaseStatus.IN_INVESTIGATION, CaseStatus.WAITING_INTERNAL],
                target=CaseStatus.WAITING_CUSTOMER)
    def wait_for_customer(self) -> None:
        pass

    @transition(field=status, source=[CaseStatus.IN_INVESTIGATION, CaseStatus.WAITING_CUSTOMER],
                target=CaseStatus.WAITING_INTERNAL)
    def wait_for_internal(self) -> None:
        pass

    @transition(field=status, source=_WORKING, target=CaseStatus.RESOLVED)
    def resolve(self) -> None:
        pass

    @transition(field=status, source=CaseStatus.RESOLVED, target=CaseStatus.CLOSED)
    def close(self) -> None:
        pass

    @transition(field=status, source=_REOPENABLE, target=CaseStatus.ASSIGNED)
    def reopen(self) -> None:
        pass

    @transition(field=status, source=[CaseStatus.NEW, *_WORKING], target=CaseStatus.CLOSED)
    def withdraw(self) -> None:
        pass


class DisputeLine(models.Model):
    """One disputed item of a case: the disputed part of it, and the part dunning must not touch.

    ``blocked_amount`` is capped by the item's open amount when read (``queries.disputed_amounts``),
    so a payment or credit note on the item lowers what is blocked without touching this row.
    """

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="dispute_lines")
    original_amount = models.DecimalField(_("originally disputed"), **MONEY)
    disputed_amount = models.DecimalField(_("disputed"), **MONEY)
    accepted_amount = models.DecimalField(_("accepted"), default=0, **MONEY)
    blocked_amount = models.DecimalField(_("blocked from dunning"), **MONEY)

    class Meta:
        ordering = ["case", "item"]
        constraints = [
            models.UniqueConstraint(fields=["case", "item"], name="dispute_line_item_once_per_case",
                                    violation_error_message=_("An item appears once in a case.")),
            models.CheckConstraint(
                condition=Q(original_amount__gt=0) & Q(disputed_amount__gte=0)
                & Q(disputed_amount__lte=F("original_amount")) & Q(accepted_amount__gte=0)
                & Q(accepted_amount__lte=F("disputed_amount")) & Q(blocked_amount__gte=0)
                & Q(blocked_amount__lte=F("disputed_amount")),
                name="dispute_line_amounts_consistent",
                violation_error_message=_("0 <= accepted, blocked <= disputed <= originally disputed."),
            ),
        ]
        indexes = [
            # disputed_amounts() and dunning read only the lines still blocking something.
            models.Index(fields=["item"], name="dispute_line_blocking_idx", condition=Q(blocked_amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.disputed_amount}"


class CaseAttachment(models.Model):
    """A document on a case: proof of delivery, the customer's letter, a photo of damaged goods.

    Kept in the database so that a case is complete in any backup and on both database engines.
    """

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="attachments")
    file_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.file_name


class Settlement(models.Model):
    """A credit note (or write-off) Incasso asks the ERP to post for a resolved case.

    Billing quotes ``number`` in the credit note's reference; when the credit note is imported from
    the ERP it is allocated against the disputed items and the request is cleared.
    """

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="settlements")
    kind = models.CharField(_("kind"), max_length=12, choices=SettlementKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=SettlementStatus.choices,
                              default=SettlementStatus.REQUESTED)
    requested_on = models.DateField(_("requested on"))
    credit_item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cleared_on = models.DateField(_("cleared on"), null=True, blank=True)

    class Meta:
        ordering = ["requested_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="settlement_amount_positive")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        prefix = "CNR" if self.kind == SettlementKind.CREDIT_NOTE else "WOR"
        return f"{prefix}-{self.pk:06d}"


class WriteOffProposal(models.Model):
    """A proposal to write off a small residual of a case, approved by someone other than the proposer."""

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="write_off_proposals")
    amount = models.DecimalField(_("amount"), **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=WriteOffStatus.choices, default=WriteOffStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_on = models.DateField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["proposed_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="write_off_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} ({self.get_status_display()})"
