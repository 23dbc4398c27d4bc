"""Cash collection targets: the business verb that sets one (locked, audited) and the lookup the KPIs use.

A target is per entity, currency and calendar month, optionally per collector. Setting a target that
exists replaces its amount; the audit event keeps the amount before and after.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.core.money import D, quantize
from incasso.ledger.models import LegalEntity
from incasso.reports.models import CashTarget


class TargetError(ValueError):
    """A target that cannot be set (negative, unknown currency for the entity, not a month)."""


@transaction.atomic
def set_cash_target(entity_id: int, currency: str, month: date, amount: Decimal | str, *, by: Actor,
                    collector_id: int | None = None) -> CashTarget:
    """Set the cash to collect in ``month`` (any day of it) for the entity and currency, or for one
    collector of the entity when ``collector_id`` is given. Returns the saved target."""
    amount = D(amount)
    currency = currency.upper()
    if amount < 0:
        raise TargetError(_("A target cannot be negative."))
    if len(currency) != 3 or not currency.isalpha():
        raise TargetError(_("A currency is three letters (ISO 4217)."))
    entity = LegalEntity.objects.select_for_update().get(pk=entity_id)  # one writer per entity at a time
    amount = quantize(amount, currency)
    first = month.replace(day=1)
    target = CashTarget.objects.filter(entity=entity, currency=currency, month=first,
                                       collector_id=collector_id).first()
    before = {"amount": str(target.amount)} if target else None
    if target is None:
        target = CashTarget(entity=entity, currency=currency, month=first, collector_id=collector_id)
    target.amount, target.updated_at, target.updated_by = amount, timezone.now(), by.user
    target.save()
    who = f" for collector #{collector_id}" if collector_id else ""
    record(EventKind.CASH_TARGET_SET, actor=by, subject_type="cash_target", subject_id=target.pk,
           message=f"cash target {entity.code} {first:%Y-%m}{who}: {amount} {currency}",
           before=before, after={"entity": entity.code, "currency": currency, "month": first.isoformat(),
                                 "collector_id": collector_id, "amount": str(amount)})
    return target
