"""Catalogues of dispute management: resolver departments, reason codes, root-cause codes.

They are data, not code: an administrator adds a reason or renames one in the admin without a
release. That is why their labels are stored per language in the row (``labels`` = ``{"en": ...,
"fr": ..., ...}``) instead of going through gettext, which needs a deploy for every new code; the
label shown is the one of the user's language, falling back to English, then to the code.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class LabelledCatalogue(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    labels = models.JSONField(_("labels"), default=dict, help_text='per language: {"en": "Pricing", "fr": "Prix"}')
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label()

    def label(self, language: str | None = None) -> str:
        language = (language or get_language() or "en").split("-")[0]
        return self.labels.get(language) or self.labels.get("en") or self.code


class ResolverDepartment(LabelledCatalogue):
    """A team that investigates disputes (sales, logistics, billing, customer service...).

    ``manager`` receives the second escalation level of its late cases and ``team_leader`` (of the
    AR team that owns the customers) the third; ``members`` are the resolvers who may pick cases up.
    """

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="managed_dispute_departments", verbose_name=_("manager"))
    team_leader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("team leader"))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="dispute_departments",
                                     verbose_name=_("resolvers"))

    class Meta(LabelledCatalogue.Meta):
        verbose_name = _("resolver department")
        verbose_name_plural = _("resolver departments")


class ReasonCode(LabelledCatalogue):
    """Why the customer disputes (pricing, quantity, not delivered...): routes the case to its
    default resolver department and sets its deadline (target resolution time in business days)."""

    default_department = models.ForeignKey(ResolverDepartment, on_delete=models.PROTECT, related_name="reasons",
                                           verbose_name=_("default resolver department"))
    target_business_days = models.PositiveSmallIntegerField(_("target resolution time (business days)"), default=10)

    class Meta(LabelledCatalogue.Meta):
        verbose_name = _("dispute reason")
        verbose_name_plural = _("dispute reasons")


class RootCauseCode(LabelledCatalogue):
    """Why the dispute happened on our side (or theirs), recorded at resolution; separate from the
    reason the customer gave, so the Pareto of root causes points at the process to fix."""

    class Meta(LabelledCatalogue.Meta):
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
