"""The OpenAPI schema, the docs page without a CDN, and schemathesis over every GET endpoint."""

from __future__ import annotations

import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from incasso.accounts.tokens import create_api_token
from incasso.audit.events import SYSTEM

pytestmark = pytest.mark.django_db


def test_the_schema_describes_every_endpoint_its_errors_and_both_authentications(client):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "Incasso API"
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "BrowserSession"}
    expected = {
        ("get", "/api/v1/customers"), ("get", "/api/v1/customers/{customer_id}"), ("get", "/api/v1/items"),
        ("get", "/api/v1/aging"), ("get", "/api/v1/kpis"), ("get", "/api/v1/worklist"),
        ("post", "/api/v1/customers/{customer_id}/activities"), ("post", "/api/v1/customers/{customer_id}/promises"),
        ("get", "/api/v1/disputes"), ("post", "/api/v1/disputes"), ("get", "/api/v1/disputes/{case_id}"),
        ("post", "/api/v1/disputes/{case_id}/transitions"), ("post", "/api/v1/disputes/{case_id}/notes"),
        ("get", "/api/v1/cash/files"), ("post", "/api/v1/cash/files"), ("get", "/api/v1/cash/lines"),
        ("post", "/api/v1/cash/proposals/{proposal_id}/apply"), ("post", "/api/v1/cash/proposals/{proposal_id}/reject"),
        ("post", "/api/v1/cash/lines/{line_id}/unapply"), ("get", "/api/v1/dunning/runs"),
        ("post", "/api/v1/dunning/runs"), ("get", "/api/v1/dunning/runs/{run_id}"),
        ("post", "/api/v1/dunning/runs/{run_id}/approve"), ("post", "/api/v1/dunning/runs/{run_id}/send"),
        ("get", "/api/v1/jobs/{job_id}"), ("get", "/api/v1/me"),
    }
    operations = {(method, path): op for path, ops in schema["paths"].items() for method, op in ops.items()}
    assert expected <= set(operations)
    for (method, path), operation in operations.items():
        assert {"401", "403", "404", "422"} <= set(operation["responses"]), (method, path)
        assert operation["security"], (method, path)
    error = schema["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"code", "message", "field"}


def test_the_docs_page_loads_swagger_from_our_static_files_not_a_cdn(client):  # type: ignore[no-untyped-def]
    page = client.get("/api/v1/docs").content.decode()

    assert "/static/ninja/swagger-ui-bundle.js" in page and "/static/ninja/swagger-ui.css" in page
    assert "cdn" not in page.lower() and "https://" not in page


@pytest.fixture
def wsgi_app():  # type: ignore[no-untyped-def]
    """The Django application as WSGI, called in this thread, so it sees the test's transaction; the
    request hooks that close old connections are held back for the duration, as Django's test
    client does (on PostgreSQL they would close the connection inside the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ["collector", "controller"])
def test_schemathesis_over_every_get_endpoint(world, wsgi_app, role):  # type: ignore[no-untyped-def]
    """Generated requests (valid and invalid parameters) against every GET operation: no 500, the
    status, content type and body conform to the schema, invalid parameters are refused, and a call
    without the token is a 401. Not checked: that every schema-valid request succeeds, since some
    are refused by business rules the schema cannot state (an aging in a currency without exchange
    rates, a KPI period that ends before it starts: 422 with a stable code)."""
    user = world.anna if role == "collector" else world.clara
    _token, raw = create_api_token(user, "schemathesis", by=SYSTEM)
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app).include(method="GET")
    started = time.monotonic()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def conforms(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        conforms()
    assert operations >= 14
    assert time.monotonic() - started < 60
