"""Named states and codes of cash application, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LineState(models.TextChoices):
    """Where a bank line is in cash application."""

    UNMATCHED = "unmatched", _("Unmatched")  # a credit nobody has applied yet (may sit in suspense)
    PROPOSED = "proposed", _("Proposed")  # a match proposal waits for a person's decision
    APPLIED = "applied", _("Applied")  # the whole amount is allocated to items (or written off)
    PARTIALLY_APPLIED = "partial", _("Partially applied")  # allocated in part; the rest is unapplied cash
    IGNORED = "ignored", _("Ignored")  # a debit (refund, fee, return): not cash application's business


class Application(models.TextChoices):
    """How an applied line was applied; the export's ``status`` column."""

    AUTO = "auto", _("Automatic")  # the matching run applied a proposal above the threshold
    ACCEPTED = "accepted", _("Accepted")  # a person accepted the proposal
    MANUAL = "manual", _("Manual")  # a person allocated by hand


class ProposalStatus(models.TextChoices):
    """The decision on a match proposal."""

    PROPOSED = "proposed", _("Proposed")  # waiting in the queue
    ACCEPTED = "accepted", _("Accepted")  # applied by a person
    REJECTED = "rejected", _("Rejected")  # turned down by a person, with a reason
    AUTO = "auto", _("Applied automatically")  # applied by the matching run
    SUPERSEDED = "superseded", _("Superseded")  # the line was allocated by hand or unapplied instead


class ResidualKind(models.TextChoices):
    """What is left of a line once the proposal's allocations are made (the matching engine's words)."""

    NONE = "none", _("None")  # line and items match to the cent
    SHORT_PAYMENT = "short_payment", _("Short payment")  # paid less: the rest of the invoice stays open
    OVERPAYMENT = "overpayment", _("Overpayment")  # paid more: the rest is unapplied cash
    WITHIN_TOLERANCE = "within_tolerance", _("Within tolerance")  # a small difference, written off
    UNIDENTIFIED = "unidentified", _("Unidentified")  # no customer found: the cash waits in suspense


class DeductionStatus(models.TextChoices):
    """A payer's deduction, until a dispute case takes it over."""

    OPEN = "open", _("Open")  # recorded, not yet investigated
    DISPUTED = "disputed", _("Disputed")  # a dispute case was opened for it
    CANCELLED = "cancelled", _("Cancelled")  # the payment was unapplied


class WriteOffReason(models.TextChoices):
    """Why a small difference was written off when a line was applied."""

    TOLERANCE = "tolerance", _("Difference within tolerance")
    CASH_DISCOUNT = "cash_discount", _("Cash discount taken")
