"""A small collections team and portfolio shared by the collections tests."""

from __future__ import annotations

from datetime import date, timedelta

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.testing.builders import a_customer, an_entity, an_item

AS_OF = date(2026, 3, 16)  # a Monday
PASSWORD = "correct horse battery"


def a_user(username: str, *roles: Role, **fields):  # type: ignore[no-untyped-def]
    return create_user_with_roles(username, PASSWORD, list(roles), by=SYSTEM, **fields)


def a_team():  # type: ignore[no-untyped-def]
    """Anna and Bogdan collect, Sara is the senior collector, Tudor leads the team."""
    return type("Team", (), dict(
        anna=a_user("anna", Role.COLLECTOR, first_name="Anna", last_name="Popescu"),
        bogdan=a_user("bogdan", Role.COLLECTOR, first_name="Bogdan"),
        sara=a_user("sara", Role.SENIOR_COLLECTOR, first_name="Sara"),
        tudor=a_user("tudor", Role.TEAM_LEADER, first_name="Tudor"),
    ))


def a_portfolio(team, as_of: date = AS_OF):  # type: ignore[no-untyped-def]
    """Anna: Acme (large and old), Dupont (small, recent), Zen (nothing due yet but a big amount soon),
    Paid (everything paid). Bogdan: Berg (old)."""
    paris = an_entity("FR01", name="Incasso France SAS", timezone="Europe/Paris", language="fr")
    acme = a_customer(paris, "C-100", name="Acme Bâtiment SARL", collector=team.anna, email="compta@acme.example")
    an_item(acme, "INV-1", amount="12000.00", document_date=as_of - timedelta(days=125),
            due_date=as_of - timedelta(days=95))
    an_item(acme, "INV-2", amount="3000.00", document_date=as_of - timedelta(days=40),
            due_date=as_of - timedelta(days=10))
    dupont = a_customer(paris, "C-200", name="Boulangerie Dupont", collector=team.anna)
    an_item(dupont, "INV-3", amount="1500.00", document_date=as_of - timedelta(days=50),
            due_date=as_of - timedelta(days=20))
    zen = a_customer(paris, "C-300", name="Zen Studio", collector=team.anna)
    an_item(zen, "INV-4", amount="8000.00", document_date=as_of - timedelta(days=25),
            due_date=as_of + timedelta(days=3))
    paid = a_customer(paris, "C-400", name="Paid Up SA", collector=team.anna)
    an_item(paid, "INV-5", amount="700.00", open_amount="0", due_date=as_of - timedelta(days=60))
    berg = a_customer(paris, "C-500", name="Berg GmbH", collector=team.bogdan, language="de")
    an_item(berg, "INV-6", amount="2500.00", document_date=as_of - timedelta(days=100),
            due_date=as_of - timedelta(days=70))
    return type("Portfolio", (), dict(paris=paris, acme=acme, dupont=dupont, zen=zen, paid=paid, berg=berg))
