"""The cast of the API tests: two collectors' portfolios, a team leader, a controller, cash application."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.accounts.tokens import create_api_token
from incasso.audit.events import SYSTEM
from incasso.ledger.choices import ItemKind
from incasso.testing.builders import a_customer, an_entity, an_item


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sunday_15_march_2026(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to("2026-03-15 10:00 +01:00", tick=False)


def a_user(username: str, *roles: Role, **fields: Any) -> Any:
    fields.setdefault("email", f"{username}@incasso.test")
    return create_user_with_roles(username, "correct horse battery", list(roles), by=SYSTEM, **fields)


def token_client(user: Any) -> Client:
    """A client that authenticates with a fresh personal API token of ``user`` (no session)."""
    _token, raw = create_api_token(user, "tests", by=SYSTEM)
    return Client(headers={"Authorization": f"Bearer {raw}"})


class World:
    """Anna collects Acme (EUR and USD items) and Dupont; Bogdan collects Other; Theo leads the team."""

    def __init__(self) -> None:
        self.anna = a_user("anna", Role.COLLECTOR)
        self.bogdan = a_user("bogdan", Role.COLLECTOR)
        self.theo = a_user("theo", Role.TEAM_LEADER)
        self.clara = a_user("clara", Role.CONTROLLER)
        self.carla = a_user("carla", Role.CASH_APPLICATION)
        self.nobody = a_user("nobody")
        self.paris = an_entity("FR01", name="Incasso France SAS", timezone="Europe/Paris")
        self.acme = a_customer(self.paris, "C-100", name="Acme Bâtiment SARL", collector=self.anna,
                               segment="construction")
        self.inv1 = an_item(self.acme, "INV-1", amount="1200.00", document_date=date(2026, 1, 1),
                            due_date=date(2026, 1, 31))  # 43 days late
        self.inv2 = an_item(self.acme, "INV-2", amount="800.00", document_date=date(2026, 3, 1),
                            due_date=date(2026, 3, 31))  # not yet due
        self.pay1 = an_item(self.acme, "PAY-1", kind=ItemKind.PAYMENT, amount="200.00", due_date=date(2026, 3, 1))
        self.inv_usd = an_item(self.acme, "INV-USD", amount="500.00", currency="USD", due_date=date(2026, 2, 28))
        self.paid = an_item(self.acme, "INV-PAID", amount="300.00", open_amount="0", due_date=date(2025, 12, 31))
        self.dupont = a_customer(self.paris, "C-200", name="Boulangerie Dupont", collector=self.anna)
        an_item(self.dupont, "INV-3", amount="50.00", due_date=date(2026, 4, 30))
        self.other = a_customer(self.paris, "C-300", name="Other Portfolio GmbH", collector=self.bogdan)
        self.inv4 = an_item(self.other, "INV-4", amount="70.00", due_date=date(2026, 1, 1))

    def client(self, user: Any) -> Client:
        return token_client(user)


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    return World()
