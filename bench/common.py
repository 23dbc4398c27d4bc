"""Helpers the PostgreSQL benchmark scripts share (run as `python bench/NAME.py`, so this module is
importable as `common`)."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"


def env(url: str) -> dict[str, str]:
    """The environment for an `incasso` child process on the benchmark database ``url``."""
    return {**os.environ, "INCASSO_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "incasso.settings",
            "INCASSO_LOG_LEVEL": "ERROR"}


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` if missing, then migrate it."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([str(BIN / "incasso"), "migrate", "-v", "0"], env=env(url), check=True)


def ledger_counts(url: str) -> tuple[int, int]:
    """(customers, open items) already in the benchmark database."""
    import psycopg

    with psycopg.connect(url) as conn:
        customers = conn.execute("SELECT count(*) FROM ledger_customer").fetchone()[0]
        items = conn.execute("SELECT count(*) FROM ledger_item WHERE open_amount <> 0").fetchone()[0]
    return customers, items


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def insert_open_items(conn, customers: int, items: int, today: str) -> None:  # type: ignore[no-untyped-def]
    """``items`` invoices and payments (one in ten) spread over the benchmark's customers, due from 200
    days before to 60 days after ``today``, a fifth of them partly paid; written by PostgreSQL itself."""
    first = conn.execute("SELECT min(id) FROM ledger_customer").fetchone()[0]
    conn.execute(f"""
        INSERT INTO ledger_item (entity_id, customer_id, kind, number, document_date, posting_date, due_date,
            currency, amount, open_amount, amount_entity, reference, external_id, text, last_activity_on,
            created_at)
        SELECT c.entity_id, c.id, g.kind, g.kind_prefix || lpad(g.n::text, 8, '0'), g.due - 30, NULL, g.due,
               c.currency, g.amount, CASE WHEN g.partial THEN round(g.amount * 0.6, 2) ELSE g.amount END,
               g.amount, '', '', '', NULL, now()
        FROM (
            SELECT n, {int(first)} + (random() * ({int(customers)} - 1))::int AS customer_id,
                   CASE WHEN n %% 10 = 0 THEN 'payment' ELSE 'invoice' END AS kind,
                   CASE WHEN n %% 10 = 0 THEN 'PAY' ELSE 'INV' END AS kind_prefix,
                   %(today)s::date - (random() * 260)::int + 60 AS due,
                   round((50 + random() * 19950)::numeric, 2) AS amount,
                   random() < 0.2 AS partial
            FROM generate_series(1, %(items)s) AS n
        ) g JOIN ledger_customer c ON c.id = g.customer_id
    """, {"today": today, "items": items})
