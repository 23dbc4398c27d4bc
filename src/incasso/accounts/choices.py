from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of an AR shared-service centre; each is a Django group of the same name."""

    COLLECTOR = "collector", _("Collector")  # works their own portfolio
    SENIOR_COLLECTOR = "senior_collector", _("Senior collector")  # escalated accounts, all portfolios
    TEAM_LEADER = "team_leader", _("Team leader")  # assigns portfolios, approves within limits
    DISPUTE_RESOLVER = "dispute_resolver", _("Dispute resolver")  # resolves routed dispute cases
    CASH_APPLICATION = "cash_application", _("Cash application")  # bank files, matches, refunds
    RISK_APPROVER = "risk_approver", _("Risk approver")  # payment plans, write-offs, legal
    CONTROLLER = "controller", _("Controller")  # reads everything, changes nothing
    ADMIN = "admin", _("Administrator")  # configuration and users


# Roles that see every customer account (the others see their portfolio only).
SEES_ALL = frozenset({
    Role.SENIOR_COLLECTOR, Role.TEAM_LEADER, Role.CASH_APPLICATION, Role.RISK_APPROVER,
    Role.CONTROLLER, Role.ADMIN, Role.DISPUTE_RESOLVER,
})
# Roles that may change ledger data through the UI (import, allocate, flag).
CHANGES_LEDGER = frozenset({
    Role.COLLECTOR, Role.SENIOR_COLLECTOR, Role.TEAM_LEADER, Role.CASH_APPLICATION, Role.ADMIN,
})
