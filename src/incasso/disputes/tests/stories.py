"""The cast of the dispute stories: a French entity, a customer of collector Anna, resolvers in
sales and billing with their managers, a team leader, a risk approver and a controller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM, Actor
from incasso.disputes.models import ResolverDepartment
from incasso.ledger.models import Customer, Item, LegalEntity
from incasso.testing.builders import a_customer, an_entity, an_item


def a_user(username: str, *roles: Role, **fields: Any) -> Any:
    fields.setdefault("email", f"{username}@incasso.test")
    return create_user_with_roles(username, "correct horse battery", list(roles), by=SYSTEM, **fields)


@dataclass
class Cast:
    anna: Any  # collector, owns Acme
    bogdan: Any  # collector, another portfolio
    rita: Any  # resolver in sales
    ben: Any  # resolver in billing
    mara: Any  # sales manager
    theo: Any  # AR team leader
    risk: Any  # risk approver
    clara: Any  # controller
    paris: LegalEntity
    acme: Customer
    invoice: Item  # INV-1 1000.00 EUR
    second: Item  # INV-2 400.00 EUR

    def as_(self, user: Any) -> Actor:
        return Actor.of(user)


def a_cast() -> Cast:
    anna = a_user("anna", Role.COLLECTOR)
    bogdan = a_user("bogdan", Role.COLLECTOR)
    rita = a_user("rita", Role.DISPUTE_RESOLVER)
    ben = a_user("ben", Role.DISPUTE_RESOLVER)
    mara = a_user("mara", Role.DISPUTE_RESOLVER)
    theo = a_user("theo", Role.TEAM_LEADER)
    risk = a_user("risk", Role.RISK_APPROVER)
    clara = a_user("clara", Role.CONTROLLER)
    for code, member in (("sales", rita), ("billing", ben)):
        department = ResolverDepartment.objects.get(code=code)
        department.members.add(member)
        department.manager, department.team_leader = mara, theo
        department.save()
    paris = an_entity("FR01", name="Incasso France SAS", country="FR", timezone="Europe/Paris")
    acme = a_customer(paris, "C-100", name="Acme Bâtiment SARL", collector=anna)
    invoice = an_item(acme, "INV-1", amount="1000.00", document_date=date(2026, 2, 1), due_date=date(2026, 3, 3))
    second = an_item(acme, "INV-2", amount="400.00", document_date=date(2026, 2, 10), due_date=date(2026, 3, 12))
    return Cast(anna, bogdan, rita, ben, mara, theo, risk, clara, paris, acme, invoice, second)
