"""Who sets cash targets: team leaders (and administrators), the ones the targets judge the team for."""

import rules

from incasso.accounts.choices import Role
from incasso.accounts.rules import roles_of


@rules.predicate
def leads_a_team(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(roles_of(user) & {Role.TEAM_LEADER, Role.ADMIN})


rules.add_perm("reports.change_cashtarget", leads_a_team)
