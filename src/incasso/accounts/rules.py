"""Object permissions as predicates (django-rules), autodiscovered at start-up.

Roles are read once per request from the user's groups (cached on the user object).
"""

from __future__ import annotations

import rules

from incasso.accounts.choices import CHANGES_LEDGER, SEES_ALL, Role


def roles_of(user) -> frozenset[str]:  # type: ignore[no-untyped-def]
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_incasso_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMIN}
        user._incasso_roles = cached
    return cached


@rules.predicate
def sees_all_accounts(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & SEES_ALL)


@rules.predicate
def owns_portfolio(user, customer) -> bool:  # type: ignore[no-untyped-def]
    return customer is not None and customer.collector_id == user.pk


@rules.predicate
def may_change_ledger(user) -> bool:  # type: ignore[no-untyped-def]
    roles = roles_of(user)
    return bool(roles & CHANGES_LEDGER) and Role.CONTROLLER not in roles


@rules.predicate
def has_any_role(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user))


rules.add_perm("ledger.view_customer", has_any_role & (sees_all_accounts | owns_portfolio))
rules.add_perm("ledger.change_customer", may_change_ledger & (sees_all_accounts | owns_portfolio))
rules.add_perm("ledger.import_files", may_change_ledger & sees_all_accounts)
rules.add_perm("reports.view_aging", has_any_role)
