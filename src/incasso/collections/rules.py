"""Who may do what in the workbench (django-rules predicates, autodiscovered)."""

from __future__ import annotations

import rules

from incasso.accounts.choices import Role
from incasso.accounts.rules import has_any_role, may_change_ledger, owns_portfolio, roles_of, sees_all_accounts


@rules.predicate
def leads_team(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & {Role.TEAM_LEADER, Role.ADMIN})


@rules.predicate
def collects(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & {Role.COLLECTOR, Role.SENIOR_COLLECTOR, Role.TEAM_LEADER, Role.ADMIN})


rules.add_perm("collections.work_customer", may_change_ledger & (sees_all_accounts | owns_portfolio))
rules.add_perm("collections.view_worklist", collects)
rules.add_perm("collections.lead_team", leads_team)


# Payment plans. A collector proposes for an account they work; a risk approver decides, never on a
# plan they proposed themselves (the action and a check constraint hold the same line); the
# collector side starts (customer agreed) or cancels; a risk approver may cancel too. A controller
# reads every plan and changes none.


@rules.predicate
def approves_plans(user) -> bool:  # type: ignore[no-untyped-def]
    roles = roles_of(user)
    return Role.RISK_APPROVER in roles and Role.CONTROLLER not in roles


@rules.predicate
def proposed_plan(user, plan) -> bool:  # type: ignore[no-untyped-def]
    return plan is not None and plan.proposed_by_id == user.pk


@rules.predicate
def owns_plan_account(user, plan) -> bool:  # type: ignore[no-untyped-def]
    return plan is not None and plan.customer.collector_id == user.pk


rules.add_perm("collections.propose_plan", may_change_ledger & (sees_all_accounts | owns_portfolio))
rules.add_perm("collections.view_plans", has_any_role & sees_all_accounts)
rules.add_perm("collections.view_plan", has_any_role & (sees_all_accounts | owns_plan_account))
rules.add_perm("collections.approve_plan", approves_plans & ~proposed_plan)
rules.add_perm("collections.manage_plan",
               (may_change_ledger & (sees_all_accounts | owns_plan_account)) | approves_plans)
