"""Operator settings of dispute management, read from Django settings with documented defaults.

- ``INCASSO_DISPUTE_WRITE_OFF_LIMIT``: the largest residual (in the case currency) that may be
  written off, with approval (default 50.00);
- ``INCASSO_DISPUTE_ESCALATION_STEP_DAYS``: business days between escalation levels (default 2);
- ``INCASSO_DISPUTE_REMIND_DAYS``: business days before the deadline the resolver is reminded (2).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from incasso.core.disputes import EscalationPolicy
from incasso.core.money import D


def write_off_limit() -> Decimal:
    return D(str(getattr(settings, "INCASSO_DISPUTE_WRITE_OFF_LIMIT", "50.00")))


def escalation_policy() -> EscalationPolicy:
    return EscalationPolicy(
        step_business_days=int(getattr(settings, "INCASSO_DISPUTE_ESCALATION_STEP_DAYS", 2)),
        remind_before_business_days=int(getattr(settings, "INCASSO_DISPUTE_REMIND_DAYS", 2)),
    )
