"""Customers and items over the API: the customer list's rules, balances per currency, filters, paging."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incasso.testing.builders import a_customer, an_item

pytestmark = pytest.mark.django_db


def test_a_collector_sees_only_their_portfolio_with_balances_per_currency(world):  # type: ignore[no-untyped-def]
    body = world.client(world.anna).get("/api/v1/customers").json()

    assert body["count"] == 2 and body["page"] == 1
    acme, dupont = body["results"]
    assert (acme["account"], dupont["account"]) == ("C-100", "C-200")
    assert acme["collector"] == "anna" and acme["entity"] == "FR01"
    assert acme["balance"] == "1800.00" and acme["overdue"] == "1000.00"  # PAY-1 was due on 1 March
    assert acme["balances"] == [
        {"currency": "EUR", "open": "1800.00", "overdue": "1000.00", "not_due": "800.00", "credits": "200.00",
         "items": 3},
        {"currency": "USD", "open": "500.00", "overdue": "500.00", "not_due": "0.00", "credits": "0.00",
         "items": 1},
    ]


def test_a_controller_reads_every_account_and_a_user_without_role_none(world):  # type: ignore[no-untyped-def]
    assert world.client(world.clara).get("/api/v1/customers").json()["count"] == 3
    assert world.client(world.nobody).get("/api/v1/customers").json()["count"] == 0


def test_another_collectors_customer_is_not_found_as_if_it_did_not_exist(world):  # type: ignore[no-untyped-def]
    client = world.client(world.anna)

    hidden = client.get(f"/api/v1/customers/{world.other.pk}")
    unknown = client.get("/api/v1/customers/999999")

    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["code"] == "not_found"


def test_customer_detail_has_the_account_data_and_contacts(world):  # type: ignore[no-untyped-def]
    body = world.client(world.anna).get(f"/api/v1/customers/{world.acme.pk}").json()

    assert body["name"] == "Acme Bâtiment SARL"
    assert body["payment_terms_days"] == 30 and body["credit_limit"] == "0.00"
    assert [b["currency"] for b in body["balances"]] == ["EUR", "USD"]
    assert body["contacts"] == []


def test_search_filters_and_sorting(world):  # type: ignore[no-untyped-def]
    client = world.client(world.theo)

    def accounts(query: str) -> list[str]:
        return [c["account"] for c in client.get(f"/api/v1/customers?{query}").json()["results"]]

    assert accounts("q=dupont") == ["C-200"]
    assert accounts("has_overdue=true") == ["C-100", "C-300"]
    assert accounts(f"collector={world.bogdan.pk}") == ["C-300"]
    assert accounts("segment=CONSTRUCTION") == ["C-100"]
    assert accounts("sort=-balance") == ["C-100", "C-300", "C-200"]


def test_validation_errors_name_the_field(world):  # type: ignore[no-untyped-def]
    client = world.client(world.theo)

    bad_page = client.get("/api/v1/customers?page=0")
    bad_sort = client.get("/api/v1/customers?sort=colour")
    bad_collector = client.get("/api/v1/customers?collector=999999")

    assert bad_page.status_code == 422
    assert bad_page.json()["code"] == "invalid" and bad_page.json()["field"] == "page"
    assert bad_sort.json()["field"] == "sort"
    assert bad_collector.status_code == 404 and bad_collector.json()["field"] == "collector"


def test_paging(world):  # type: ignore[no-untyped-def]
    body = world.client(world.theo).get("/api/v1/customers?page=2&page_size=2").json()

    assert body["count"] == 3 and body["page_size"] == 2
    assert [c["account"] for c in body["results"]] == ["C-300"]


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_customer_and_item_lists_cost_the_same_queries_for_many_rows(world):  # type: ignore[no-untyped-def]
    client = world.client(world.theo)
    client.get("/api/v1/me")  # the token's first use of the minute writes last_used_at; not part of the lists
    few_customers, few_items = _queries(client, "/api/v1/customers"), _queries(client, "/api/v1/items")
    for n in range(12):
        customer = a_customer(world.paris, f"C-9{n:02d}", collector=world.bogdan)
        an_item(customer, f"INV-9{n:02d}", amount="10.00")
        an_item(customer, f"INV-9{n:02d}-USD", amount="10.00", currency="USD")

    assert _queries(client, "/api/v1/customers") == few_customers
    assert _queries(client, "/api/v1/items") == few_items


def test_items_filtered_by_customer_status_and_overdue(world):  # type: ignore[no-untyped-def]
    client = world.client(world.anna)

    def numbers(query: str) -> list[str]:
        response = client.get(f"/api/v1/items?{query}")
        assert response.status_code == 200, response.json()
        return [i["number"] for i in response.json()["results"]]

    assert numbers(f"customer={world.acme.pk}") == ["INV-1", "INV-USD", "PAY-1", "INV-2"]
    assert numbers(f"customer={world.acme.pk}&overdue=true") == ["INV-1", "INV-USD", "PAY-1"]
    assert numbers(f"customer={world.acme.pk}&overdue=false") == ["INV-2"]
    assert numbers(f"customer={world.acme.pk}&status=cleared") == ["INV-PAID"]
    assert numbers("kind=payment") == ["PAY-1"]
    assert "INV-4" not in numbers("status=all")  # Bogdan's customer
    item = client.get(f"/api/v1/items?customer={world.acme.pk}").json()["results"][0]
    assert (item["days_past_due"], item["signed_open_amount"]) == (43, "1200.00")
    payment = client.get("/api/v1/items?kind=payment").json()["results"][0]
    assert payment["signed_open_amount"] == "-200.00"
    assert client.get(f"/api/v1/items?customer={world.other.pk}").status_code == 404
