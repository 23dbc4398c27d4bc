"""A small French entity with customers at different stages of lateness, and the people who act."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM, Actor
from incasso.ledger.choices import ContactPurpose
from incasso.ledger.models import Contact, Customer, EntityBankAccount, Item, LegalEntity
from incasso.testing.builders import a_customer, an_entity, an_item

AS_OF = date(2026, 3, 31)


@dataclass
class Story:
    entity: LegalEntity
    acme: Customer  # French, three invoices: 11, 30 and 60 days late
    bravo: Customer  # German contact, one invoice 20 days late
    nocontact: Customer  # no reminders contact
    acme_invoices: list[Item]
    clerk: Any
    lead: Any

    def as_(self, user: Any) -> Actor:
        return Actor.of(user)


def reminders_contact(customer: Customer, email: str, language: str, name: str = "") -> Contact:
    return Contact.objects.create(customer=customer, purpose=ContactPurpose.REMINDERS, email=email,
                                  language=language, name=name)


@pytest.fixture
def story(db, settings) -> Story:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users in tests
    entity = an_entity(code="FR01", name="Incasso Demo France SAS", country="FR",
                       address="1 rue de la Paix\n75002 Paris", vat_id="FR12345678901")
    EntityBankAccount.objects.create(entity=entity, iban="FR7630006000011234567890189", bic="AGRIFRPP",
                                     currency="EUR")
    clerk = create_user_with_roles("clara", "pw", [Role.COLLECTOR], by=SYSTEM)
    lead = create_user_with_roles("leo", "pw", [Role.TEAM_LEADER], by=SYSTEM)
    acme = a_customer(entity, account="C100", name="Acme SARL", language="fr", collector=clerk)
    reminders_contact(acme, "compta@acme.example", "fr", "Jeanne Martin")
    invoices = [an_item(acme, "F-1", amount="1000.00", due_date=date(2026, 3, 20)),
                an_item(acme, "F-2", amount="500.00", due_date=date(2026, 3, 1)),
                an_item(acme, "F-3", amount="250.00", due_date=date(2026, 1, 30))]
    bravo = a_customer(entity, account="C200", name="Bravo GmbH", language="de", country="DE")
    reminders_contact(bravo, "buchhaltung@bravo.example", "de")
    an_item(bravo, "F-10", amount="800.00", due_date=date(2026, 3, 11))
    nocontact = a_customer(entity, account="C300", name="Charlie SA")
    an_item(nocontact, "F-20", amount="300.00", due_date=date(2026, 3, 1))
    return Story(entity, acme, bravo, nocontact, invoices, clerk, lead)
