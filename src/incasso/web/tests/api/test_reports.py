"""Aging and KPIs over the API: the aging page's restriction, the KPI dashboard's audience."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_aging_of_a_collector_covers_their_portfolio(world):  # type: ignore[no-untyped-def]
    body = world.client(world.anna).get("/api/v1/aging?as_of=2026-03-15&by=customer").json()

    assert body["restricted_to_portfolio"] is True
    assert body["buckets"][0] == "current"
    groups = {(row["group"], row["currency"]) for row in body["results"]}
    assert groups == {("FR01/C-100 Acme Bâtiment SARL", "EUR"), ("FR01/C-100 Acme Bâtiment SARL", "USD"),
                      ("FR01/C-200 Boulangerie Dupont", "EUR")}
    eur = {row["currency"]: row for row in body["totals"]}["EUR"]
    assert eur["total"] == "1850.00"


def test_the_aging_by_collector_for_a_team_leader(world):  # type: ignore[no-untyped-def]
    body = world.client(world.theo).get("/api/v1/aging?as_of=2026-03-15&by=collector").json()

    assert body["restricted_to_portfolio"] is False
    totals = {(row["group"], row["currency"]): row["total"] for row in body["results"]}
    assert totals[("anna", "EUR")] == "1850.00" and totals[("bogdan", "EUR")] == "70.00"


def test_aging_parameters_are_validated(world):  # type: ignore[no-untyped-def]
    client = world.client(world.theo)

    bad_by = client.get("/api/v1/aging?by=planet")
    bad_entity = client.get("/api/v1/aging?entity=999999")

    assert (bad_by.status_code, bad_by.json()["field"]) == (422, "by")
    assert (bad_entity.status_code, bad_entity.json()["code"], bad_entity.json()["field"]) == (404, "not_found",
                                                                                               "entity")


def test_kpis_for_an_entity_and_a_period(world):  # type: ignore[no-untyped-def]
    body = world.client(world.clara).get("/api/v1/kpis?start=2026-02-01&end=2026-02-28&entity=FR01").json()

    assert body["params"]["from"] == "2026-02-01" and body["params"]["entity_ids"] == [world.paris.pk]
    assert {row["group"] for row in body["rows"]} == {"FR01 Incasso France SAS"}
    assert all("dso_simple" in row for row in body["rows"])


def test_kpis_are_refused_to_a_collector_and_a_reversed_period_is_an_error(world):  # type: ignore[no-untyped-def]
    refused = world.client(world.anna).get("/api/v1/kpis?start=2026-02-01&end=2026-02-28")
    reversed_period = world.client(world.clara).get("/api/v1/kpis?start=2026-03-01&end=2026-02-01")
    unknown = world.client(world.clara).get("/api/v1/kpis?start=2026-02-01&end=2026-02-28&entity=XX99")

    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")
    assert (reversed_period.status_code, reversed_period.json()["code"]) == (422, "invalid_parameters")
    assert (unknown.status_code, unknown.json()["field"]) == (404, "entity")
