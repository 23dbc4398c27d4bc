"""Readable names for group keys (entity code and name, account and name, collector user name)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from incasso.ledger.models import Customer, LegalEntity

UNASSIGNED = "(unassigned)"
NO_SEGMENT = "(no segment)"


def group_labels(by: str, keys: Iterable[object]) -> dict[object, str]:
    keys = set(keys)
    if by == "entity":
        found = {e.pk: f"{e.code} {e.name}" for e in LegalEntity.objects.filter(pk__in=[k for k in keys if k])}
    elif by == "customer":
        found = {c.pk: f"{c.entity.code}/{c.account} {c.name}"
                 for c in Customer.objects.select_related("entity").filter(pk__in=[k for k in keys if k])}
    elif by == "collector":
        users = get_user_model().objects.filter(pk__in=[k for k in keys if k])
        found = {u.pk: u.get_username() for u in users}
        found[None] = UNASSIGNED
    elif by == "segment":
        found = {k: (str(k) if k else NO_SEGMENT) for k in keys}
    else:
        found = {k: str(k) for k in keys}
    return {k: found.get(k, str(k) if k is not None else UNASSIGNED) for k in keys}
