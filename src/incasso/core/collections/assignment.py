"""Portfolio assignment: which collector a customer account belongs to.

Rules are tried in order; the first whose every given criterion matches wins (an empty criterion
matches anything). Size is the account's open balance in its currency, compared with inclusive
bounds. A manual override always beats the rules; the app keeps those apart and never passes them
here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class AssignmentRule:
    collector_id: int
    entity_id: int | None = None
    language: str = ""
    segment: str = ""
    country: str = ""
    min_balance: Decimal | None = None
    max_balance: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AccountProfile:
    customer_id: int
    entity_id: int
    language: str
    segment: str
    country: str
    balance: Decimal


def matches(rule: AssignmentRule, account: AccountProfile) -> bool:
    if rule.entity_id is not None and rule.entity_id != account.entity_id:
        return False
    if rule.language and rule.language.lower() != account.language.lower():
        return False
    if rule.segment and rule.segment.lower() != account.segment.lower():
        return False
    if rule.country and rule.country.upper() != account.country.upper():
        return False
    if rule.min_balance is not None and account.balance < rule.min_balance:
        return False
    return not (rule.max_balance is not None and account.balance > rule.max_balance)


def assign(rules: Sequence[AssignmentRule], account: AccountProfile) -> int | None:
    """The collector of the first matching rule, or None when no rule matches."""
    for rule in rules:
        if matches(rule, account):
            return rule.collector_id
    return None
