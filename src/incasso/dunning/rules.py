"""Who sees dunning: runs cover every portfolio, so the roles that see all accounts."""

import rules

from incasso.accounts.rules import has_any_role, sees_all_accounts

rules.add_perm("dunning.view_runs", has_any_role & sees_all_accounts)
