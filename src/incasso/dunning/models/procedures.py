from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incasso.dunning.choices import Basis, Channel, Tone
from incasso.ledger.models import LegalEntity


class Procedure(models.Model):
    """How one legal entity dunns one customer segment (blank segment: every segment without its own).

    Its ordered levels say when an item reaches them and what the letter claims; ``min_interval_days``
    keeps two letters to the same customer apart; ``four_eyes`` means the proposer may not approve.
    """

    entity = models.ForeignKey(LegalEntity, on_delete=models.CASCADE, related_name="dunning_procedures")
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=120)
    min_interval_days = models.PositiveSmallIntegerField(_("minimum days between letters"), default=7)
    four_eyes = models.BooleanField(_("four-eyes approval"), default=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=4, default="EU")
    compensation_amount = models.DecimalField(
        _("fixed compensation per invoice"), max_digits=18, decimal_places=2, default=40,
        help_text=_("EUR 40 or its equivalent in the entity currency"),
    )
    compensation_currency = models.CharField(max_length=3, default="EUR")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["entity", "segment"]
        constraints = [models.UniqueConstraint(fields=["entity", "segment"], name="dunning_procedure_per_segment",
                                               violation_error_message=_("This segment already has a procedure."))]

    def __str__(self) -> str:
        return self.name


class Level(models.Model):
    """A step of a procedure: reached ``days`` after its basis, above minimums, with a channel, tone,
    fee and (usually only for the formal notice) the statutory interest and compensation."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField(_("level"))
    days = models.PositiveSmallIntegerField(_("days"))
    basis = models.CharField(_("counted from"), max_length=10, choices=Basis.choices, default=Basis.DUE)
    min_amount = models.DecimalField(_("minimum amount"), max_digits=18, decimal_places=2, default=0)
    min_share_percent = models.DecimalField(_("minimum share of open total (%)"), max_digits=5, decimal_places=2,
                                            default=0)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    tone = models.CharField(_("tone"), max_length=8, choices=Tone.choices, default=Tone.POLITE)
    fee = models.DecimalField(_("fee"), max_digits=18, decimal_places=2, default=0)
    claim_interest = models.BooleanField(_("claim statutory interest"), default=False)
    claim_compensation = models.BooleanField(_("claim fixed compensation"), default=False)

    class Meta:
        ordering = ["procedure", "number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="dunning_level_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="dunning_level_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure} L{self.number}"


class LetterTemplate(models.Model):
    """An administrator's version of a letter text for a tone and language (Jinja2, sandboxed).

    Without a row the built-in text of ``incasso.dunning.letters.texts`` is used.
    """

    tone = models.CharField(max_length=8, choices=Tone.choices)
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tone", "language"], name="dunning_template_unique")]

    def __str__(self) -> str:
        return f"{self.tone} ({self.language})"
