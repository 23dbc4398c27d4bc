from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    """Where a dispute case is in its workflow; transitions happen only in ``incasso.disputes.actions``."""

    NEW = "new", _("New")  # opened, nobody routed it yet
    ASSIGNED = "assigned", _("Assigned")  # routed to a resolver department (and person)
    IN_INVESTIGATION = "investigating", _("In investigation")  # the resolver is working on it
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")  # proof, PO, return asked from them
    WAITING_INTERNAL = "waiting_internal", _("Waiting for internal")  # another department must answer
    RESOLVED = "resolved", _("Resolved")  # decided; the collector confirms it with the customer
    CLOSED = "closed", _("Closed")  # confirmed and settled; reopening needs a reason


# States in which the disputed amount is under investigation (the case counts as open).
OPEN_STATUSES = (
    CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.IN_INVESTIGATION,
    CaseStatus.WAITING_CUSTOMER, CaseStatus.WAITING_INTERNAL,
)
# States whose deadline runs (escalation applies).
DEADLINE_STATUSES = OPEN_STATUSES


class Resolution(models.TextChoices):
    """How a resolver decided a case."""

    ACCEPTED = "accepted", _("Accepted: credit note requested")  # the customer is right in full
    PARTIALLY_ACCEPTED = "partial", _("Partially accepted")  # credit for part, the rest is collectable
    REJECTED = "rejected", _("Rejected: invoice valid")  # collect the full amount
    WRITTEN_OFF = "written_off", _("Written off")  # a small residual not worth chasing, approved
    WITHDRAWN = "withdrawn", _("Withdrawn")  # the claim fell away (the short payment it came from was unapplied)


# Resolutions that say the customer's claim was (at least partly) valid: "valid disputes" in analytics.
VALID_RESOLUTIONS = (Resolution.ACCEPTED, Resolution.PARTIALLY_ACCEPTED)


class Priority(models.TextChoices):
    """How urgently the resolver should look at a case (set by the collector, shown in the inbox)."""

    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class CaseSource(models.TextChoices):
    """Where a case was opened from."""

    MANUAL = "manual", _("Item or customer page")
    ACTIVITY = "activity", _("Collector activity")
    CASH_APPLICATION = "cash_application", _("Short payment in cash application")
    IMPORT = "import", _("Imported file")
    API = "api", _("API")


class EscalationLevel(models.IntegerChoices):
    """Who has been told that a case is late."""

    NONE = 0, _("Not escalated")
    RESOLVER = 1, _("Resolver")  # the deadline passed
    MANAGER = 2, _("Resolver's manager")
    TEAM_LEADER = 3, _("Team leader")


class SettlementKind(models.TextChoices):
    """What the ERP must post to settle a resolved case."""

    CREDIT_NOTE = "credit_note", _("Credit note")
    WRITE_OFF = "write_off", _("Write-off")


class SettlementStatus(models.TextChoices):
    """A credit note or write-off request from its request to its clearing in the ledger."""

    REQUESTED = "requested", _("Requested")  # sent to billing / the ERP
    CLEARED = "cleared", _("Cleared")  # the posted document arrived from the ERP and cleared the items
    CANCELLED = "cancelled", _("Cancelled")  # the case was reopened before it was posted


class WriteOffStatus(models.TextChoices):
    """A proposal to write a small residual off, waiting for an approver who is not the proposer."""

    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
