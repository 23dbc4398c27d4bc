"""Benchmark of ``incasso import items`` on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_import.py --items 1000000            # synthetic extract, fixed seed
    .venv/bin/python bench/bench_import.py --dir var/generated/large  # entities/customers/items CSVs

For each database it builds a fresh one (SQLite file under var/bench/, PostgreSQL database
``bench_import`` dropped and created), runs ``incasso migrate``, imports the entities and customers,
then times the items import in its own process and prints one JSON line per database with rows,
seconds, rows/s, whether the bulk-load path was taken, the CPU seconds of the importing Python
process and, on PostgreSQL, of its server backend (utime + stime from /proc/<pg_backend_pid()>/stat,
so the server must run on this machine), the rows per CPU-second of client + server (the figure
that does not depend on how loaded the shared machine is), the peak RSS of the Python process and
the 1-minute load average before and after. The import runs with PGOPTIONS
``max_parallel_maintenance_workers`` set from ``--maintenance-workers``.
A second, identical import is timed too (``reimport``): it must report every row unchanged.

``--paths rows,columns`` (the default) times the import paths in the same run, each on its own fresh
database, so the ratio between them does not depend on the machine's load: ``columns`` (the
default path for plain CSV files: on PostgreSQL a first import is checked and written through
Arrow, ``ledger.actions.import_arrow``; otherwise blocks checked and written column by column,
``ledger.actions.import_columns``), ``blocks`` (the column-wise path without Arrow, forced with
``arrow=False``), ``rows`` (the per-row check with COPY/executemany writes, forced with
``columnar=False``) and, on request, ``staged`` (the file loaded into a staging table and checked
set-based, ``ledger.actions.import_staged``). ``arrow`` in the output says whether Arrow took the file.

``--maintenance-workers N`` lets PostgreSQL build each index with up to N parallel workers; the
default, 2, is the server's own default (what an installation gets), and 0 keeps every index build's
CPU in the backend (how the bench ran before 2026-11-23). The workers' CPU is polled from /proc and
printed as ``workers_cpu_s``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCASSO = ROOT / ".venv" / "bin" / "incasso"
PYTHON = ROOT / ".venv" / "bin" / "python"
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")

ENTITIES = [("FR01", "Incasso France SAS", "FR", "EUR", "Europe/Paris", "fr"),
            ("DE01", "Incasso Deutschland GmbH", "DE", "EUR", "Europe/Berlin", "de"),
            ("RO01", "Incasso Romania SRL", "RO", "RON", "Europe/Bucharest", "ro")]


def write_synthetic(folder: Path, items: int, customers_per_entity: int = 5000, seed: int = 20260101) -> None:
    """A synthetic extract: three entities, their customers, and ``items`` items (a third part-cleared)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "entities.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "name", "country", "currency", "timezone", "language"])
        writer.writerows(ENTITIES)
    with open(folder / "customers.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["entity", "account", "name", "currency", "payment_terms_days"])
        for code, _name, _country, currency, _tz, _lang in ENTITIES:
            for n in range(customers_per_entity):
                writer.writerow([code, f"C{n:06d}", f"Customer {code}-{n}", currency, rng.choice([30, 45, 60])])
    kinds = ["invoice"] * 14 + ["credit_note", "credit_note", "payment", "payment", "debit_note", "fee"]
    start = date(2025, 1, 1)
    with open(folder / "items.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["entity", "account", "kind", "number", "document_date", "due_date", "currency", "amount",
                         "open_amount", "reference"])
        for n in range(items):
            code, _name, _country, currency, _tz, _lang = ENTITIES[n % 3]
            cents = rng.randint(1000, 5_000_000)
            open_cents = cents if rng.random() < 0.67 else rng.randint(0, cents)
            document_date = start + timedelta(days=rng.randint(0, 540))
            writer.writerow([
                code, f"C{rng.randrange(customers_per_entity):06d}", rng.choice(kinds), f"D{n:09d}",
                document_date.isoformat(), (document_date + timedelta(days=30)).isoformat(), currency,
                f"{cents // 100}.{cents % 100:02d}", f"{open_cents // 100}.{open_cents % 100:02d}", f"PO-{n}",
            ])


TIMED = """
import json, os, resource, sys, threading, time
from datetime import date
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incasso.settings")
django.setup()
from django.db import connection
from incasso.audit.events import Actor
from incasso.ledger.actions import import_erp_file

def backend_cpu(pid):
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

backend = None
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
seen, stopping, poller = {}, threading.Event(), None

def poll_workers():
    # The parallel workers of the backend (index builds), polled every 50 ms from a connection of its
    # own; each one's last CPU reading from /proc (its last few ms may be missed: a slight underestimate).
    started = time.thread_time()
    with psycopg.connect(os.environ["INCASSO_DATABASE_URL"], autocommit=True) as poll:
        while not stopping.is_set():
            for (pid,) in poll.execute("SELECT pid FROM pg_stat_activity WHERE leader_pid = %s AND pid <> %s",
                                       [backend, backend]).fetchall():
                seen.setdefault(pid, 0.0)
            for pid in list(seen):
                try:
                    seen[pid] = backend_cpu(pid)
                except (FileNotFoundError, ProcessLookupError):
                    pass
            time.sleep(0.05)
    seen["poller"] = -(time.thread_time() - started)

if backend is not None and sys.argv[4] != "0":
    import psycopg
    poller = threading.Thread(target=poll_workers, daemon=True)
    poller.start()
load_before = os.getloadavg()[0]
server_before = backend_cpu(backend)
before = resource.getrusage(resource.RUSAGE_SELF)
report = import_erp_file("items", sys.argv[1], by=Actor(None, "bench"), as_of=date(2026, 7, 1),
                         bulk_min_items=int(sys.argv[2]), staged=sys.argv[3] == "staged",
                         columnar=sys.argv[3] in ("columns", "blocks"), arrow=sys.argv[3] == "columns")
after = resource.getrusage(resource.RUSAGE_SELF)
server = backend_cpu(backend) - server_before
if poller:
    stopping.set()
    poller.join()
poller_cpu = -seen.pop("poller", 0.0)
worker_cpu = sum(seen.values())
assert report.ok, report.errors[:5]
cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime - poller_cpu
print(json.dumps({"rows": report.rows, "created": report.created, "unchanged": report.unchanged,
                  "bulk_load": report.bulk_load, "path": report.path, "arrow": report.arrow,
                  "seconds": round(report.seconds, 2), "rows_per_s": round(report.rows_per_second),
                  "python_cpu_s": round(cpu, 2), "server_cpu_s": round(server, 2),
                  "workers_cpu_s": round(worker_cpu, 2),
                  "rows_per_cpu_s": round(report.rows / (cpu + server + worker_cpu)),
                  "peak_rss_mb": round(after.ru_maxrss / 1024),
                  "load_average": [load_before, os.getloadavg()[0]]}))
"""


def run(args: list[str], url: str, maintenance_workers: int = 0) -> str:
    env = {**os.environ, "INCASSO_DATABASE_URL": url,
           "PGOPTIONS": f"-c max_parallel_maintenance_workers={maintenance_workers}"}
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own tools
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def fresh_database(vendor: str, name: str) -> str:
    if vendor == "sqlite":
        path = ROOT / "var" / "bench" / f"{name}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def bench(vendor: str, folder: Path, name: str, bulk_min_items: int, path: str,  # noqa: PLR0913
          maintenance_workers: int = 0) -> dict[str, object]:
    url = fresh_database(vendor, name)
    run([str(INCASSO), "migrate", "-v", "0"], url)
    for kind in ("entities", "customers"):
        run([str(INCASSO), "import", kind, str(folder / f"{kind}.csv")], url)
    timed = [str(PYTHON), "-c", TIMED, str(folder / "items.csv"), str(bulk_min_items), path, str(maintenance_workers)]
    first = json.loads(run(timed, url, maintenance_workers))
    again = json.loads(run(timed, url, maintenance_workers))
    return {"database": vendor, "import_path": path, "bulk_min_items": bulk_min_items,
            "maintenance_workers": maintenance_workers, **first, "reimport": again}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=200_000, help="size of the synthetic extract")
    parser.add_argument("--dir", type=Path, help="folder with entities.csv, customers.csv, items.csv to use instead")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--database-name", default="bench_import",
                        help="PostgreSQL database (dropped and created) and SQLite file name under var/bench/")
    parser.add_argument("--paths", default="rows,columns",
                        help="import paths to time: columns (the default path), blocks (column-wise without "
                             "Arrow), rows (per row), staged (set-based)")
    parser.add_argument("--maintenance-workers", type=int, default=2,
                        help="PostgreSQL max_parallel_maintenance_workers for the timed imports "
                             "(2: the server's default; 0: serial index builds)")
    parser.add_argument("--bulk-min-items", type=int, default=50_000,
                        help="new items from which the bulk-load path is taken (huge: the per-row path)")
    options = parser.parse_args()
    folder = options.dir
    if folder is None:
        folder = ROOT / "var" / "bench" / f"synthetic-{options.items}"
        if not (folder / "items.csv").exists():
            write_synthetic(folder, options.items)
    for vendor in options.databases.split(","):
        for path in options.paths.split(","):
            print(json.dumps(bench(vendor, folder, options.database_name, options.bulk_min_items, path,
                                   options.maintenance_workers)), flush=True)


if __name__ == "__main__":
    main()
