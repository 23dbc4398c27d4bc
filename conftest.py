"""Suite-wide test set-up: which database we run on, and that it is the one CI asked for."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("INCASSO_VAR_DIR", os.path.join(os.path.dirname(__file__), "var", "test"))


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    url = os.environ.get("INCASSO_DATABASE_URL") or "sqlite (embedded)"
    return f"incasso database: {url.split('@')[-1]}"


@pytest.fixture(scope="session", autouse=True)
def _required_database(django_db_blocker):  # type: ignore[no-untyped-def]
    """With INCASSO_REQUIRE_DB=postgresql a run that is not on PostgreSQL fails rather than passes."""
    required = os.environ.get("INCASSO_REQUIRE_DB")
    if required:
        from django.db import connection

        assert connection.vendor == required, (
            f"INCASSO_REQUIRE_DB={required} but the suite is connected to {connection.vendor}"
        )


@pytest.fixture
def on_postgres():  # type: ignore[no-untyped-def]
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is proven on PostgreSQL (this run is on SQLite)")


@pytest.fixture
def smtp(settings):  # type: ignore[no-untyped-def]
    """A real SMTP server on loopback; Django sends to it. Yields its Inbox (see incasso.testing.smtp)."""
    from incasso.testing.smtp import local_smtp_server

    with local_smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.DEFAULT_FROM_EMAIL = "credit@incasso.example"
        yield inbox
