"""Pack and KPI dashboards: the same numbers as the packs, controls shown, downloads, permissions,
and query-count guards so that a bigger ledger cannot turn them into a query per row."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.reports.tests.kpi_story import a_march_ledger
from incasso.testing.builders import a_customer, an_item

pytestmark = pytest.mark.django_db


def a_user(username: str, *roles: Role):  # type: ignore[no-untyped-def]
    return create_user_with_roles(username, "correct horse battery", list(roles), by=SYSTEM)


@pytest.fixture
def controller(client):  # type: ignore[no-untyped-def]
    user = a_user("clara", Role.CONTROLLER)
    client.force_login(user)
    return user


def test_daily_dashboard_shows_the_pack_with_its_checks_and_chart_data(client, controller):
    a_march_ledger()

    response = client.get(reverse("reports:pack", args=["daily"]), {"as_of": "2026-03-24"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Controls passed" in body and 'id="chart-aging"' in body
    charts = json.loads(body.split('id="pack-charts" type="application/json">')[1].split("</script>")[0])
    assert charts["aging"]["labels"] == ["FR01 Incasso France SAS EUR"]
    assert charts["aging"]["series"][0] == {"label": "current", "data": [2000.0]}
    assert [s.key for s in response.context["result"].sections] == [
        "aging", "cash", "unapplied", "promises_due", "promises_broken", "disputes_late"]


def test_a_failed_control_is_marked_on_the_dashboard(client, controller):
    story = a_march_ledger(disputes=False)
    an_item(story.dupont, "INV-X", amount="100.00", open_amount="60.00", document_date=date(2026, 3, 2))

    body = client.get(reverse("reports:pack", args=["daily"]), {"as_of": "2026-03-31"}).content.decode()

    assert "Controls failed" in body and 'class="check-failed"' in body


def test_monthly_dashboard_downloads_the_workbook_and_the_pdf(client, controller):
    a_march_ledger(disputes=False)
    url = reverse("reports:pack", args=["monthly"])

    xlsx = client.get(url, {"as_of": "2026-03-31", "format": "xlsx"})
    pdf = client.get(url, {"as_of": "2026-03-31", "format": "pdf"})

    assert xlsx["Content-Disposition"] == 'attachment; filename="incasso-monthly-2026-03-31.xlsx"'
    assert xlsx.content[:2] == b"PK"
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def _more_customers(story, first: int, count: int) -> None:  # type: ignore[no-untyped-def]
    for n in range(first, first + count):
        customer = a_customer(story.paris, f"X-{n}", name=f"Customer {n}", segment="wholesale")
        an_item(customer, f"X-INV-{n}", amount="10.00", document_date=date(2026, 3, 2), due_date=date(2026, 3, 9))


@pytest.mark.parametrize("pack", ["daily", "weekly", "monthly"])
def test_pack_dashboards_query_count_does_not_grow_with_customers(client, controller, pack):
    story = a_march_ledger()
    url = reverse("reports:pack", args=[pack])
    _more_customers(story, 0, 5)
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"as_of": "2026-03-31"})
    _more_customers(story, 5, 30)

    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"as_of": "2026-03-31"})

    assert response.status_code == 200
    assert len(many) == len(few)
    # monthly: 12 months × about a dozen set-based KPI input queries, whatever the number of customers;
    # PostgreSQL adds a savepoint and SET LOCAL (work_mem, jit) per aging and per month
    assert len(many) <= {"daily": 40, "weekly": 40, "monthly": 240}[pack]


def test_kpi_dashboard_shows_figures_with_their_inputs(client, controller, django_assert_max_num_queries):
    a_march_ledger()

    # 30 before the page also read cash targets, dunning letters, dunned items and unapplied credits
    with django_assert_max_num_queries(34):
        response = client.get(reverse("reports:kpis"), {"start": "2026-03-01", "end": "2026-03-31", "by": "entity"})

    body = response.content.decode()
    (row,) = response.context["rows"]
    assert row["group"] == "FR01 Incasso France SAS"
    assert row["values"][:3] == ["3500.00", "43.40", "59.00"]
    assert ("credit sales of the period", "2500.00") in row["inputs"]
    assert "<details>" in body


def test_collectors_see_their_portfolio_in_the_aging_but_not_the_packs(client):
    collector = a_user("anna", Role.COLLECTOR)
    client.force_login(collector)

    assert client.get(reverse("reports:pack", args=["daily"])).status_code == 403
    assert client.get(reverse("reports:kpis")).status_code == 403
    client.force_login(a_user("theo", Role.TEAM_LEADER))
    assert client.get(reverse("reports:pack", args=["yearly"])).status_code == 404
