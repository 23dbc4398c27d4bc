"""Changing how boldly matching acts for one legal entity (``CashSettings``).

A cash application team lead (a user holding both the team leader and the cash application roles)
or an administrator changes them from the settings screen; every change is an audit event with
the values before and after, so a later question "why was this applied automatically?" can be
answered with the threshold that was in force.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.cashapp.errors import CashError, CashErrorCode
from incasso.cashapp.models import CashSettings
from incasso.ledger.models import LegalEntity

# field: (lowest, highest) allowed; None = no upper bound
FIELDS: dict[str, tuple[Decimal, Decimal | None]] = {
    "auto_threshold": (Decimal("0.5"), Decimal("1")),
    "amount_tolerance": (Decimal("0"), None),
    "tolerance_percent": (Decimal("0"), Decimal("10")),
    "cash_discount_percent": (Decimal("0"), Decimal("20")),
    "cash_discount_days": (Decimal("0"), Decimal("365")),
    "max_combination_items": (Decimal("1"), Decimal("50")),
}


def _text(value: Any) -> str:
    return str(value)


@transaction.atomic
def update_cash_settings(entity_id: int, values: dict[str, Any], *, by: Actor) -> CashSettings:
    """Store ``values`` (any of ``FIELDS``) for the entity; unchanged values leave no event."""
    if by.user is not None and not by.user.has_perm("cashapp.change_settings"):
        raise CashError(CashErrorCode.NOT_ALLOWED, f"{by.label} may not change cash application settings")
    entity = LegalEntity.objects.filter(pk=entity_id).first()
    if entity is None:
        raise CashError(CashErrorCode.NOT_FOUND, f"legal entity {entity_id} does not exist")
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise CashError(CashErrorCode.INVALID_SETTING, f"unknown setting(s): {', '.join(unknown)}")
    for name, value in values.items():
        low, high = FIELDS[name]
        if value is None or Decimal(value) < low or (high is not None and Decimal(value) > high):
            raise CashError(CashErrorCode.INVALID_SETTING,
                            f"{name}: {value} is outside {low}..{high if high is not None else '∞'}")
    settings, _created = CashSettings.objects.select_for_update().get_or_create(entity=entity)
    before = {name: _text(getattr(settings, name)) for name in values}
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    settings.refresh_from_db()
    after = {name: _text(getattr(settings, name)) for name in values}
    changed = {name for name in values if before[name] != after[name]}
    if changed:
        record(EventKind.CASH_SETTINGS_CHANGED, actor=by, subject_type="cash_settings", subject_id=entity.pk,
               message=f"Cash application settings of {entity.code}: "
                       + ", ".join(f"{name} {before[name]} -> {after[name]}" for name in sorted(changed)),
               before={name: before[name] for name in sorted(changed)},
               after={name: after[name] for name in sorted(changed)})
    return settings
