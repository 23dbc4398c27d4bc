from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    """How the collector was in touch with the customer."""

    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")  # internal note, no contact with the customer


class Outcome(models.TextChoices):
    """What the contact gave."""

    REACHED = "reached", _("Reached")  # spoke to the right person
    NO_ANSWER = "no_answer", _("No answer")
    LEFT_MESSAGE = "left_message", _("Left a message")
    WRONG_CONTACT = "wrong_contact", _("Wrong contact")
    PROMISED = "promised", _("Promised to pay")  # a promise to pay was recorded with it
    DISPUTED = "disputed", _("Disputed")  # the customer contests items
    REFUSED = "refused", _("Refused to pay")
    PAID_ALREADY = "paid_already", _("Says paid already")  # cash application should look for it
    SENT = "sent", _("Sent")  # an e-mail that went out


# Outcomes that mean the customer was actually talked to (they reset "days since contact").
CONTACT_MADE = frozenset({
    Outcome.REACHED, Outcome.PROMISED, Outcome.DISPUTED, Outcome.REFUSED, Outcome.PAID_ALREADY, Outcome.SENT,
})


class PromiseStatus(models.TextChoices):
    """A promise to pay from recording to judgement (after promised date + tolerance days)."""

    OPEN = "open", _("Open")  # promised date + tolerance not yet passed
    KEPT = "kept", _("Kept")  # the promised amount arrived in time
    PARTIALLY_KEPT = "partially_kept", _("Partially kept")  # some cash arrived, not enough
    BROKEN = "broken", _("Broken")  # nothing arrived by the deadline
    CANCELLED = "cancelled", _("Cancelled")  # withdrawn by the collector (wrong entry, superseded)


class EntryStatus(models.TextChoices):
    """A worklist entry is open until the collector completes it (or snoozes it to a follow-up)."""

    OPEN = "open", _("To do")
    DONE = "done", _("Done")


class TaskPriority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class EmailTemplate(models.TextChoices):
    """Customer e-mails a collector can send; each exists in every customer language."""

    PAYMENT_REMINDER = "payment_reminder", _("Payment reminder")
    PROMISE_CONFIRMATION = "promise_confirmation", _("Promise confirmation")


EMAIL_LANGUAGES = ("en", "fr", "es", "de", "it", "ro", "pt")


class PlanStatus(models.TextChoices):
    """A payment plan from the collector's proposal to its end."""

    PROPOSED = "proposed", _("Proposed")  # waits for a risk approver
    APPROVED = "approved", _("Approved")  # approved by risk; waits for the customer's agreement to start
    REJECTED = "rejected", _("Rejected")  # refused by risk; the items are free again
    ACTIVE = "active", _("Active")  # running: its items are not dunned; instalments are judged daily
    COMPLETED = "completed", _("Completed")  # every instalment was kept
    BROKEN = "broken", _("Broken")  # an instalment was missed: dunning resumes, the collector is told
    CANCELLED = "cancelled", _("Cancelled")  # withdrawn before its end (wrong entry, superseded)


# Plans that hold their items: an item is in at most one of these at a time.
LIVE_PLAN_STATUSES = frozenset({PlanStatus.PROPOSED, PlanStatus.APPROVED, PlanStatus.ACTIVE})


class PlanFrequency(models.TextChoices):
    """How often an instalment falls due (the values are the pure core's ``Frequency``)."""

    WEEKLY = "weekly", _("Weekly")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")  # same day each month, or the month's last day when shorter
    QUARTERLY = "quarterly", _("Quarterly")


class InstalmentStatus(models.TextChoices):
    """An instalment as of the last judgement (cumulative: the cash must cover it and all before it)."""

    PENDING = "pending", _("Pending")  # its due date plus tolerance has not passed yet
    KEPT = "kept", _("Kept")  # paid by its due date plus tolerance (or ahead)
    MISSED = "missed", _("Missed")  # not paid by its due date plus tolerance: the plan broke
