"""Who may do what in the workbench (django-rules predicates, autodiscovered)."""

from __future__ import annotations

import rules

from incasso.accounts.choices import Role
from incasso.accounts.rules import may_change_ledger, owns_portfolio, roles_of, sees_all_accounts


@rules.predicate
def leads_team(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & {Role.TEAM_LEADER, Role.ADMIN})


@rules.predicate
def collects(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & {Role.COLLECTOR, Role.SENIOR_COLLECTOR, Role.TEAM_LEADER, Role.ADMIN})


rules.add_perm("collections.work_customer", may_change_ledger & (sees_all_accounts | owns_portfolio))
rules.add_perm("collections.view_worklist", collects)
rules.add_perm("collections.lead_team", leads_team)
