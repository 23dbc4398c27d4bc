"""Who may see and work cash application (autodiscovered by django-rules at start-up).

The cash application specialists and administrators act; the controller reads everything and
changes nothing; team leaders and senior collectors may look at the queue and unapplied cash.
The matching settings (thresholds, tolerances) are changed by a cash application team lead - a
user with both the team leader and the cash application roles - or an administrator.
"""

from __future__ import annotations

import rules

from incasso.accounts.choices import Role
from incasso.accounts.rules import roles_of

_READERS = frozenset({Role.CASH_APPLICATION, Role.ADMIN, Role.CONTROLLER, Role.TEAM_LEADER, Role.SENIOR_COLLECTOR})
_ACTORS = frozenset({Role.CASH_APPLICATION, Role.ADMIN})


@rules.predicate
def reads_cash(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & _READERS)


@rules.predicate
def applies_cash(user) -> bool:  # type: ignore[no-untyped-def]
    roles = roles_of(user)
    return bool(roles & _ACTORS) and Role.CONTROLLER not in roles


@rules.predicate
def leads_cash_application(user) -> bool:  # type: ignore[no-untyped-def]
    roles = roles_of(user)
    if Role.CONTROLLER in roles:
        return False
    return Role.ADMIN in roles or {Role.TEAM_LEADER, Role.CASH_APPLICATION} <= roles


rules.add_perm("cashapp.view_cash", reads_cash)
rules.add_perm("cashapp.change_settings", leads_cash_application)
rules.add_perm("cashapp.apply_cash", applies_cash)
