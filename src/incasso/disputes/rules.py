"""Who may take which step on a dispute case (django-rules predicates, autodiscovered).

- opening a case: whoever may change the customer's ledger (collectors on their portfolio,
  seniors, team leaders, cash application) - never a controller;
- routing (assign) and bulk routing: the case owner, team leaders, seniors, and resolvers picking a
  case of their department up;
- investigating and resolving: the case's resolver, a member of its department, or a team leader;
- confirming a resolution with the customer (close) and reopening: the collector side;
- approving a write-off: a risk approver or team leader who did not propose it (checked in the action).
A controller reads everything and changes nothing: every change predicate excludes that role.
"""

from __future__ import annotations

import rules

from incasso.accounts.choices import Role
from incasso.accounts.rules import has_any_role, may_change_ledger, owns_portfolio, roles_of, sees_all_accounts

COLLECTOR_SIDE = frozenset({Role.COLLECTOR, Role.SENIOR_COLLECTOR, Role.TEAM_LEADER, Role.ADMIN})
LEADS = frozenset({Role.TEAM_LEADER, Role.SENIOR_COLLECTOR, Role.ADMIN})


@rules.predicate
def is_controller(user) -> bool:  # type: ignore[no-untyped-def]
    return Role.CONTROLLER in roles_of(user)


@rules.predicate
def is_resolver(user) -> bool:  # type: ignore[no-untyped-def]
    return Role.DISPUTE_RESOLVER in roles_of(user)


@rules.predicate
def is_lead(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & LEADS)


@rules.predicate
def is_team_leader(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & {Role.TEAM_LEADER, Role.ADMIN})


@rules.predicate
def on_collector_side(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & COLLECTOR_SIDE)


@rules.predicate
def is_write_off_approver(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & {Role.RISK_APPROVER, Role.TEAM_LEADER, Role.ADMIN})


@rules.predicate
def owns_case(user, case) -> bool:  # type: ignore[no-untyped-def]
    return case is not None and (case.owner_id == user.pk or case.customer.collector_id == user.pk)


@rules.predicate
def resolves_case(user, case) -> bool:  # type: ignore[no-untyped-def]
    if case is None:
        return False
    if case.resolver_id == user.pk:
        return True
    return case.department.members.filter(pk=user.pk).exists()


@rules.predicate
def sees_case(user, case) -> bool:  # type: ignore[no-untyped-def]
    return case is not None and (sees_all_accounts(user) or owns_portfolio(user, case.customer))


rules.add_perm("disputes.view_case", has_any_role & sees_case)
# open_case is asked about a customer (the case does not exist yet).
rules.add_perm("disputes.open_case", ~is_controller & may_change_ledger & (sees_all_accounts | owns_portfolio))
rules.add_perm("disputes.assign_case", ~is_controller & (is_lead | owns_case | (is_resolver & resolves_case)))
rules.add_perm("disputes.investigate_case", ~is_controller & (is_lead | (is_resolver & resolves_case)))
rules.add_perm("disputes.resolve_case", ~is_controller & (is_lead | (is_resolver & resolves_case)))
rules.add_perm("disputes.confirm_case", ~is_controller & on_collector_side & (is_lead | owns_case))
rules.add_perm("disputes.reopen_case", ~is_controller & on_collector_side & (is_lead | owns_case))
rules.add_perm("disputes.note_case", ~is_controller & has_any_role & sees_case)
rules.add_perm("disputes.approve_write_off", ~is_controller & is_write_off_approver)
# A new deadline: whoever may resolve the case (its resolver, department members, leads).
rules.add_perm("disputes.extend_deadline", ~is_controller & (is_lead | (is_resolver & resolves_case)))
# Taking a late case down a level by hand: team leaders (and admins) only.
rules.add_perm("disputes.deescalate_case", ~is_controller & is_team_leader)
rules.add_perm("disputes.view_analytics", has_any_role)
rules.add_perm("disputes.bulk_assign", ~is_controller & (is_lead | is_resolver))
rules.add_perm("disputes.bulk_resolve", ~is_controller & (is_lead | is_resolver))
