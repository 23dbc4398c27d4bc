"""The aging page, its drill-down and the customer aging fragment, over the real aging query."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from incasso.accounts.choices import Role
from incasso.ledger.choices import ItemKind
from incasso.testing.builders import a_customer, an_entity, an_item
from incasso.web.tests.fixtures import a_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sunday_15_march_2026(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to("2026-03-15 10:00 +01:00", tick=False)


@pytest.fixture
def ledger():  # type: ignore[no-untyped-def]
    anna = a_user("anna", Role.COLLECTOR)
    bogdan = a_user("bogdan", Role.COLLECTOR)
    lead = a_user("lena", Role.TEAM_LEADER)
    paris = an_entity("FR01", timezone="Europe/Paris")
    acme = a_customer(paris, "C-100", name="Acme SARL", collector=anna)
    an_item(acme, "INV-1", amount="1200.00", due_date=date(2026, 1, 31))  # 43 days: 31-60
    an_item(acme, "INV-2", amount="800.00", due_date=date(2026, 3, 31))  # current
    an_item(acme, "PAY-1", kind=ItemKind.PAYMENT, amount="200.00", due_date=date(2026, 3, 1))  # 14 days: 1-30
    other = a_customer(paris, "C-300", name="Other SA", collector=bogdan)
    an_item(other, "INV-9", amount="70.00", due_date=date(2025, 1, 1))  # >360
    return type("Ledger", (), dict(anna=anna, bogdan=bogdan, lead=lead, acme=acme, other=other))


def test_the_aging_page_shows_buckets_totals_and_chart_data(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.lead)

    response = client.get(reverse("reports:aging"))

    assert response.status_code == 200
    (total, _params, disputed, undisputed), = response.context["totals"]
    assert total.currency == "EUR"
    assert total.amounts == [800, -200, 1200, 0, 0, 0, 70]
    assert total.total == 1870
    assert (disputed, undisputed) == (0, 1870)  # no dispute case: everything may be collected
    chart = response.context["chart"]
    assert chart["labels"][:3] == ["Not due", "1-30", "31-60"] and chart["currency"] == "EUR"
    assert chart["datasets"][0]["label"].startswith("FR01/C-100")
    assert 'id="aging-chart-data"' in response.content.decode()


def test_a_collector_ages_only_their_portfolio(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.anna)

    response = client.get(reverse("reports:aging"), {"by": "entity"})

    (total, _params, _disputed, _undisputed), = response.context["totals"]
    assert total.total == 1800
    assert "your portfolio" in response.content.decode()


def test_each_bucket_drills_down_to_its_items(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.lead)
    page = client.get(reverse("reports:aging"))
    row, params, linked, _disputed, _undisputed = next(
        r for r in page.context["rows"] if r[0].group.startswith("FR01/C-100"))
    assert linked and params["customer"] == ledger.acme.pk

    bucket = client.get(reverse("reports:aging_items"), {**params, "bucket": 2})

    assert [item.number for item in bucket.context["items"]] == ["INV-1"]
    assert bucket.context["totals"] == [("EUR", 1200)]


def test_a_collector_cannot_drill_into_another_portfolio(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.anna)

    response = client.get(reverse("reports:aging_items"), {"customer": ledger.other.pk})
    everything = client.get(reverse("reports:aging_items"))

    assert response.status_code == 403
    assert [item.number for item in everything.context["items"]] == ["INV-1", "PAY-1", "INV-2"]


def test_the_customer_aging_fragment_has_one_row_per_currency(client, ledger):  # type: ignore[no-untyped-def]
    an_item(ledger.acme, "INV-USD", amount="500.00", currency="USD", due_date=date(2026, 2, 28))
    client.force_login(ledger.anna)

    response = client.get(reverse("reports:customer_aging", args=[ledger.acme.pk]), HTTP_HX_REQUEST="true")

    assert [row.currency for row, *_ in response.context["rows"]] == ["EUR", "USD"]
    assert "<html" not in response.content.decode()  # a fragment for htmx, not a page
    assert client.get(reverse("reports:customer_aging", args=[ledger.other.pk])).status_code == 403


def test_a_bad_as_of_date_says_what_was_expected(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.lead)

    response = client.get(reverse("reports:aging"), {"as_of": "31/02/2026"})

    assert "Enter a valid date." in response.content.decode()
