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
