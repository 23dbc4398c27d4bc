from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incasso.core.collections.strategy import Condition
from incasso.ledger.models import LegalEntity

CONDITION_CHOICES = [
    (Condition.OVERDUE_AMOUNT.value, _("Overdue amount at least")),
    (Condition.DAYS_PAST_DUE.value, _("Days past due at least")),
    (Condition.DUE_SOON_AMOUNT.value, _("Amount due soon at least")),
    (Condition.BROKEN_PROMISES.value, _("Broken promises at least")),
    (Condition.OPEN_DISPUTES.value, _("Open disputes at least")),
    (Condition.CREDIT_LIMIT_USE.value, _("Credit limit use (%) at least")),
    (Condition.RISK_CLASS.value, _("Risk class at least (1 low … 4 critical)")),
    (Condition.DAYS_SINCE_CONTACT.value, _("Days since last contact at least")),
    (Condition.DUNNING_LEVEL.value, _("Dunning level at least")),
    (Condition.CUSTOMER_VALUE.value, _("Customer value (12 months) at least")),
]


class Strategy(models.Model):
    """One version of a collection strategy for a segment and/or entity (blank = any).

    Strategies are versioned: editing publishes a new version with the same ``code`` and retires
    the previous one (``is_current`` false), so the priority of a past worklist can be explained
    by the version that built it.
    """

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=120)
    entity = models.ForeignKey(LegalEntity, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    lowered_percent = models.PositiveSmallIntegerField(
        _("priority kept when lowered (%)"), default=50,
        help_text=_("Accounts with an active promise, a payment plan or only disputed overdue items keep "
                    "this share of their points."),
    )
    due_soon_days = models.PositiveSmallIntegerField(_("due soon = due within (days)"), default=7)
    is_current = models.BooleanField(default=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        verbose_name_plural = "strategies"
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="strategy_version_unique"),
            models.UniqueConstraint(fields=["code"], condition=Q(is_current=True), name="strategy_one_current",
                                    violation_error_message=_("Only one version of a strategy is current.")),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class StrategyRule(models.Model):
    """A rule of a strategy version: when ``condition`` reaches ``threshold``, add ``points``."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(_("position"))
    condition = models.CharField(_("condition"), max_length=24, choices=CONDITION_CHOICES)
    threshold = models.DecimalField(_("threshold"), max_digits=18, decimal_places=2)
    points = models.IntegerField(_("points"))
    window_days = models.PositiveSmallIntegerField(_("window (days)"), null=True, blank=True)
    label = models.CharField(_("reason shown"), max_length=120, blank=True)

    class Meta:
        ordering = ["strategy", "position"]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} {self.threshold}: +{self.points}"
