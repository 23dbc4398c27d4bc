from django.db import models
from django.utils.translation import gettext_lazy as _


class Basis(models.TextChoices):
    """From when a level's days are counted."""

    DUE = "due", _("Days past the due date")
    MONTH_END = "month_end", _("Days after the end of the due month")
    PREVIOUS = "previous", _("Days since the previous level")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")  # HTML e-mail, the PDF attached
    LETTER = "letter", _("Letter (PDF)")  # a PDF for the print room, archived
    BOTH = "both", _("E-mail and letter")


class Tone(models.TextChoices):
    POLITE = "polite", _("Polite reminder")
    FIRM = "firm", _("Firm reminder")
    FORMAL = "formal", _("Formal notice")


class RunStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")  # letters proposed, open for review
    APPROVED = "approved", _("Approved")  # released for sending
    SENDING = "sending", _("Sending")  # the outbox is being worked off (or was interrupted)
    SENT = "sent", _("Sent")  # every letter sent, skipped or excluded
    CANCELLED = "cancelled", _("Cancelled")


class LetterStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    EXCLUDED = "excluded", _("Excluded")  # taken out at review, with a reason
    QUEUED = "queued", _("Queued")  # in the outbox after approval
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped at send time")  # nothing left to claim when re-checked
    BOUNCED = "bounced", _("Bounced")


class ExceptionCode(models.TextChoices):
    BLOCKED = "blocked", _("Blocked")
    NO_REMINDER_CONTACT = "no_reminder_contact", _("No reminder contact")
    NO_EMAIL = "no_email", _("Contact without e-mail")
    BELOW_MINIMUM = "below_minimum", _("Below minimum")
    INTERVAL = "interval", _("Too soon after the last letter")
    IN_OTHER_RUN = "in_other_run", _("In another run")
    INTEREST_UNKNOWN = "interest_unknown", _("Interest rate unknown")
    NO_PROCEDURE = "no_procedure", _("No procedure for the segment")


LANGUAGES = ("en", "fr", "es", "de", "it", "ro", "pt")
