"""Benchmark: aging by customer over a million open items, on PostgreSQL and SQLite, against pandas.

    .venv/bin/python bench/bench_aging.py [--items 1000000] [--customers 100000] [--db both|pg|sqlite]
                                          [--rebuild] [--repeat 3]

What it does:

1. Builds (or reuses, when the item count matches) a synthetic ledger with a fixed seed in the
   PostgreSQL database ``bench_aging`` and in ``var/bench/aging.sqlite3``, after ``incasso migrate``:
   three legal entities, ``--customers`` customer accounts, ``--items`` open items (90 % invoices, a
   fifth of them partly paid; 10 % unapplied payments and credit notes) and history: half as many
   again invoices fully paid by payments (each with its allocation, 2 % reversed and re-applied), so
   about 2.2 × N items and 0.7 × N allocations. Rows go in with COPY (PostgreSQL) and executemany
   (SQLite); no action code runs, so loading a million items takes seconds rather than hours.
2. Times ``aging_report(as_of=TODAY, by="customer")`` and ``as_of=TODAY-90`` on each database (best
   of ``--repeat``), each in its own subprocess.
3. Times the baseline, a straightforward pandas implementation (rebuild every item's open amount from
   its allocations, bucket with ``searchsorted``, group by customer) over DataFrames read once from
   the SQLite file. The computation is timed (best of ``--repeat``); the load time is reported apart.
4. Checks that both give the same totals per currency and prints JSON: seconds, CPU seconds of the
   measuring process and, on PostgreSQL, of its server backend and of the parallel workers that
   backend started (``_ParallelWorkers``), ratio ours/pandas and peak RSS. Of the ``--repeat`` runs
   the one with the best wall time is reported, all of them listed. Peak
   RSS is the child process's maximum resident set size (``os.wait4`` rusage ``ru_maxrss``), i.e.
   interpreter + Django + the data the process held, not the database server.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
INCASSO = str(ROOT / ".venv" / "bin" / "incasso")
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_aging")
SQLITE_PATH = ROOT / "var" / "bench" / "aging.sqlite3"
SQLITE_URL = f"sqlite:///{SQLITE_PATH}"
TODAY = date(2026, 11, 20)  # the data set's "today": fixed so that runs are comparable
SEED = 20261120
ENTITIES = [("FR01", "Incasso France SAS", "FR", "EUR", "Europe/Paris"),
            ("RO01", "Incasso Romania SRL", "RO", "RON", "Europe/Bucharest"),
            ("GB01", "Incasso UK Ltd", "GB", "GBP", "Europe/London")]


def _django(url: str) -> None:
    os.environ["INCASSO_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incasso.settings")
    import django

    django.setup()


# ------------------------------------------------------------------ building the data set

def _ledger_rows(items: int, customers: int):  # type: ignore[no-untyped-def]
    """Customers, items and allocations as tuples, from a fixed seed (numpy for the randomness)."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    now = "2026-11-20 12:00:00+00:00"
    customer_entity = rng.integers(0, len(ENTITIES), customers)
    customer_rows = [
        (cid + 1, int(customer_entity[cid]) + 1, f"C{cid + 1:07d}", f"Customer {cid + 1} SA", None,
         ENTITIES[customer_entity[cid]][2], "en", ENTITIES[customer_entity[cid]][3], 30, "0", "low", "",
         None, "", "", "", False, "", None, False, False, now, now)
        for cid in range(customers)
    ]
    item_rows: list[tuple] = []
    allocation_rows: list[tuple] = []
    next_item = [0]
    next_allocation = [0]

    def item(customer: int, kind: str, doc: date, due: date, cents: int, open_cents: int,
             last: date | None) -> int:
        next_item[0] += 1
        entity = int(customer_entity[customer - 1]) + 1
        currency = ENTITIES[entity - 1][3]
        item_rows.append((
            next_item[0], entity, customer, kind, f"{kind[:3].upper()}{next_item[0]:09d}", doc, None, due,
            currency, _money(cents), _money(open_cents), None, "", "", "", last, now,
        ))
        return next_item[0]

    def allocation(debit: int, credit: int, cents: int, on: date, reversed_on: date | None,
                   currency: str) -> None:
        next_allocation[0] += 1
        allocation_rows.append((
            next_allocation[0], debit, credit, _money(cents), currency, on, "erp", "", None, None, now,
            reversed_on, None, "",
        ))

    n_debit = int(items * 0.9)
    n_credit = items - n_debit
    n_closed = items // 2
    cust = rng.integers(1, customers + 1, n_debit + n_credit + n_closed)
    age_days = rng.integers(0, 540, n_debit + n_credit + n_closed)
    cents = rng.integers(1_000, 5_000_000, n_debit + n_credit + n_closed)
    paid_share = rng.random(n_debit + n_closed)
    pay_lag = rng.integers(1, 120, n_debit + n_closed)
    for k in range(n_debit):
        customer, doc = int(cust[k]), TODAY - timedelta(days=int(age_days[k]))
        due = doc + timedelta(days=30)
        amount = int(cents[k])
        if paid_share[k] < 0.2:  # partly paid by a payment that is fully applied
            paid = max(1, int(amount * paid_share[k] * 4) % amount)
            on = min(TODAY, doc + timedelta(days=int(pay_lag[k])))
            invoice = item(customer, "invoice", doc, due, amount, amount - paid, on)
            payment = item(customer, "payment", on, on, paid, 0, on)
            allocation(invoice, payment, paid, on, None, ENTITIES[int(customer_entity[customer - 1])][3])
        else:
            item(customer, "invoice", doc, due, amount, amount, None)
    for j in range(n_credit):
        k = n_debit + j
        doc = TODAY - timedelta(days=int(age_days[k]))
        item(int(cust[k]), "payment" if j % 3 else "credit_note", doc, doc, int(cents[k]), int(cents[k]), None)
    for j in range(n_closed):  # history: invoices paid in full, 2 % after a reversed first attempt
        k = n_debit + n_credit + j
        customer, doc = int(cust[k]), TODAY - timedelta(days=int(age_days[k]) + 30)
        amount = int(cents[k])
        on = min(TODAY, doc + timedelta(days=int(pay_lag[n_debit + j])))
        currency = ENTITIES[int(customer_entity[customer - 1])][3]
        invoice = item(customer, "invoice", doc, doc + timedelta(days=30), amount, 0, on)
        if j % 50 == 0 and on > doc + timedelta(days=2):
            # The payment came in two days before its final application: a first attempt on its own
            # date, reversed the next day (never before the payment document exists).
            first = on - timedelta(days=2)
            payment = item(customer, "payment", first, first, amount, 0, on)
            allocation(invoice, payment, amount, first, first + timedelta(days=1), currency)
        else:
            payment = item(customer, "payment", on, on, amount, 0, on)
        allocation(invoice, payment, amount, on, None, currency)
    return customer_rows, item_rows, allocation_rows


def _money(cents: int) -> str:
    sign, cents = ("-" if cents < 0 else ""), abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


TABLE_COLUMNS = {
    "ledger_legalentity": ["id", "code", "name", "country", "currency", "timezone", "language", "address",
                           "vat_id", "registration", "phone", "email", "website"],
    "ledger_customer": ["id", "entity_id", "account", "name", "group_id", "country", "language", "currency",
                        "payment_terms_days", "credit_limit", "risk_class", "segment", "collector_id",
                        "vat_id", "email", "phone", "dunning_block", "dunning_block_reason",
                        "dunning_block_until", "legal", "insolvency", "created_at", "updated_at"],
    "ledger_item": ["id", "entity_id", "customer_id", "kind", "number", "document_date", "posting_date",
                    "due_date", "currency", "amount", "open_amount", "amount_entity", "reference",
                    "external_id", "text", "last_activity_on", "created_at"],
    "ledger_allocation": ["id", "debit_item_id", "credit_item_id", "amount", "currency", "date", "source",
                          "note", "idempotency_key", "created_by_id", "created_at", "reversed_on",
                          "reversed_by_id", "reversal_reason"],
}


def build(url: str, items: int, customers: int, rebuild: bool) -> dict:
    """Migrate and fill one database unless it already holds a data set of this size."""
    env = {**os.environ, "INCASSO_DATABASE_URL": url}
    if url.startswith("postgresql"):
        # An existing database is fine: psql's error is ignored.
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c",  # noqa: S603, S607 - our own tools
                        "CREATE DATABASE bench_aging"], capture_output=True, check=False)
    else:
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([INCASSO, "migrate", "-v", "0"], env=env, check=True)  # noqa: S603 - our own tools
    _django(url)
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ledger_item WHERE open_amount <> 0")
        existing = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM ledger_customer")
        existing_customers = cursor.fetchone()[0]
    if existing == items and existing_customers == customers and not rebuild:
        _vacuum_analyze(connection)  # statistics for indexes a migration may just have added
        return {"reused": True, "open_items": existing}
    started = time.perf_counter()
    customer_rows, item_rows, allocation_rows = _ledger_rows(items, customers)
    entity_rows = [(n + 1, code, name, country, currency, tz, "en", "", "", "", "", "", "")
                   for n, (code, name, country, currency, tz) in enumerate(ENTITIES)]
    data = {"ledger_legalentity": entity_rows, "ledger_customer": customer_rows,
            "ledger_item": item_rows, "ledger_allocation": allocation_rows}
    generated = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor:
        for table in reversed(list(data)):
            cursor.execute(f"DELETE FROM {table}")
        for table, rows in data.items():
            columns = TABLE_COLUMNS[table]
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in data:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
    _vacuum_analyze(connection)
    return {"reused": False, "open_items": items, "items": len(item_rows), "allocations": len(allocation_rows),
            "generate_seconds": round(generated, 2),
            "load_seconds": round(time.perf_counter() - started - generated, 2)}


def _vacuum_analyze(connection) -> None:  # type: ignore[no-untyped-def]
    """What autovacuum does in production after a bulk load: planner statistics, and on PostgreSQL the
    visibility map that lets aging read the covering index without visiting the table."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# ------------------------------------------------------------------ measured parts (run as children)

def measure_ours(url: str, as_of: date, repeat: int) -> dict:
    _django(url)
    from django.db import connection

    from incasso.reports.aging import aging_report

    server_cpu = _server_cpu_reader(connection)
    workers = _ParallelWorkers(connection)
    seconds, cpu_seconds, server_seconds, worker_seconds = [], [], [], []
    for _ in range(repeat):
        workers.start()
        started, cpu_started, server_started = time.perf_counter(), time.process_time(), server_cpu()
        report = aging_report(as_of, by="customer")
        seconds.append(time.perf_counter() - started)
        server_seconds.append(server_cpu() - server_started)
        worker_cpu, poller_cpu = workers.stop()
        # The poller thread's own CPU is not the report's.
        cpu_seconds.append(time.process_time() - cpu_started - poller_cpu)
        worker_seconds.append(worker_cpu)
    totals = {c: str(row.total) for c, row in report.totals().items()}
    # CPU seconds of this process: on SQLite the whole report (the database runs in-process), on
    # PostgreSQL the Python side only; there the server backend's CPU seconds are given apart, and
    # those of the parallel workers it started. Less noisy than wall time on a shared machine.
    best = min(range(repeat), key=lambda n: seconds[n])
    result = {"seconds": seconds[best], "all_seconds": [round(s, 3) for s in seconds],
              "cpu_seconds": round(cpu_seconds[best], 3), "all_cpu_seconds": [round(s, 3) for s in cpu_seconds],
              "rows": len(report.rows), "totals": totals}
    if connection.vendor == "postgresql":
        result["server_cpu_seconds"] = round(server_seconds[best], 3)
        result["all_server_cpu_seconds"] = [round(s, 3) for s in server_seconds]
        result["worker_cpu_seconds"] = round(worker_seconds[best], 3)
        result["all_worker_cpu_seconds"] = [round(s, 3) for s in worker_seconds]
    return result


def _server_cpu_reader(connection):  # type: ignore[no-untyped-def]
    """A function giving the CPU seconds (user + system) used so far by this connection's PostgreSQL
    backend, read from /proc (the server runs on this machine); 0 on SQLite. Parallel workers the
    backend may start are other processes: see ``_ParallelWorkers``."""
    if connection.vendor != "postgresql":
        return lambda: 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return lambda: _proc_cpu(pid) or 0.0


def _proc_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process on this machine, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _ParallelWorkers:
    """The CPU seconds of the parallel workers the measured backend starts: a thread polls
    ``pg_stat_activity`` (by ``leader_pid``, from a connection of its own) every few milliseconds and
    keeps each worker's last CPU reading from /proc. A worker's last few milliseconds before it exits
    may be missed, so the figure is a slight underestimate. Does nothing on SQLite."""

    INTERVAL = 0.005

    def __init__(self, connection) -> None:  # type: ignore[no-untyped-def]
        self.leader = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.leader = cursor.fetchone()[0]
            import psycopg

            self.poll_connection = psycopg.connect(os.environ["INCASSO_DATABASE_URL"], autocommit=True)

    def start(self) -> None:
        import threading

        self.seen: dict[int, float] = {}
        self.poller_cpu = 0.0
        self.stopping = threading.Event()
        self.thread = None
        if self.leader is not None:
            self.thread = threading.Thread(target=self._poll, daemon=True)
            self.thread.start()

    def _poll(self) -> None:
        started = time.thread_time()
        with self.poll_connection.cursor() as cursor:
            while not self.stopping.is_set():
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE leader_pid = %s AND pid <> %s",
                               [self.leader, self.leader])
                for (pid,) in cursor.fetchall():
                    self.seen.setdefault(pid, 0.0)
                for pid in list(self.seen):
                    cpu = _proc_cpu(pid)
                    if cpu is not None:
                        self.seen[pid] = cpu
                time.sleep(self.INTERVAL)
        self.poller_cpu = time.thread_time() - started

    def stop(self) -> tuple[float, float]:
        """(CPU seconds of the workers seen since start, CPU seconds the poller thread used)."""
        if self.thread is None:
            return 0.0, 0.0
        self.stopping.set()
        self.thread.join()
        return sum(self.seen.values()), self.poller_cpu


def measure_pandas(url: str, as_of: date, repeat: int) -> dict:
    import numpy as np
    import pandas as pd

    _django(url)
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, customer_id, kind, currency, document_date, due_date, "
                       "CAST(ROUND(amount * 100) AS BIGINT) FROM ledger_item")
        items = pd.DataFrame(cursor.fetchall(),
                             columns=["id", "customer_id", "kind", "currency", "document_date", "due_date", "cents"])
        cursor.execute("SELECT debit_item_id, credit_item_id, CAST(ROUND(amount * 100) AS BIGINT), date, reversed_on "
                       "FROM ledger_allocation")
        allocations = pd.DataFrame(cursor.fetchall(), columns=["debit", "credit", "cents", "date", "reversed_on"])
    for frame, column in ((items, "document_date"), (items, "due_date"), (allocations, "date"),
                          (allocations, "reversed_on")):
        frame[column] = pd.to_datetime(frame[column]).values.astype("datetime64[D]")
    load = time.perf_counter() - started
    edges = np.array([0, 30, 60, 90, 180, 360])  # the default buckets' upper ends, in days
    seconds, cpu_seconds = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        day = np.datetime64(as_of, "D")
        live = allocations[(allocations["date"] <= day)
                           & (allocations["reversed_on"].isna() | (allocations["reversed_on"] > day))]
        applied = pd.concat([live[["debit", "cents"]].rename(columns={"debit": "id"}),
                             live[["credit", "cents"]].rename(columns={"credit": "id"})]).dropna()
        applied = applied.groupby("id")["cents"].sum()
        frame = items[items["document_date"] <= day].copy()
        frame["open"] = frame["cents"] - frame["id"].map(applied).fillna(0).astype("int64")
        frame = frame[frame["open"] != 0]
        frame["signed"] = np.where(frame["kind"].isin(["payment", "credit_note"]), -frame["open"], frame["open"])
        days = (day - frame["due_date"].values).astype("int64")
        frame["bucket"] = np.searchsorted(edges, days, side="left")
        table = frame.pivot_table(index=["customer_id", "currency"], columns="bucket", values="signed",
                                  aggfunc="sum", fill_value=0)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
    totals = table.groupby(level="currency").sum().sum(axis=1)
    return {"seconds": min(seconds), "all_seconds": [round(s, 3) for s in seconds],
            "cpu_seconds": round(min(cpu_seconds), 3), "load_seconds": round(load, 2),
            "rows": len(table), "totals": {c: _money(int(v)) for c, v in totals.items()}}


def _child(kind: str, url: str, as_of: date, repeat: int) -> dict:
    """Run one measured part in a fresh process; its own peak RSS comes from wait4."""
    process = subprocess.Popen(  # noqa: S603 - this very script
        [PYTHON, __file__, "--measure", kind, "--url", url, "--as-of", as_of.isoformat(), "--repeat", str(repeat)],
        stdout=subprocess.PIPE, env={**os.environ, "INCASSO_DATABASE_URL": url},
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{kind} on {url} failed with exit code {process.returncode}")
    result = json.loads(output)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", choices=["both", "pg", "sqlite"], default="both")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", choices=["ours", "pandas", "build"])
    parser.add_argument("--url")
    parser.add_argument("--as-of", type=date.fromisoformat)
    args = parser.parse_args()
    if args.measure == "ours":
        print(json.dumps(measure_ours(args.url, args.as_of, args.repeat)))
        return
    if args.measure == "pandas":
        print(json.dumps(measure_pandas(args.url, args.as_of, args.repeat)))
        return
    if args.measure == "build":
        print(json.dumps(build(args.url, args.items, args.customers, args.rebuild)))
        return
    databases = {"postgresql": PG_URL, "sqlite": SQLITE_URL}
    if args.db != "both":
        databases = {"pg": {"postgresql": PG_URL}, "sqlite": {"sqlite": SQLITE_URL}}[args.db]
    result: dict = {"open_items": args.items, "customers": args.customers, "today": TODAY.isoformat(),
                    "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
                    "rss": "peak resident set size of each measuring child process (os.wait4 ru_maxrss)",
                    "pandas": "computation time excludes loading the DataFrames (load_seconds, reported apart)",
                    "build": {}, "ours": {}}
    for name, url in databases.items():
        command = [PYTHON, __file__, "--measure", "build", "--url", url, "--items", str(args.items),
                   "--customers", str(args.customers)] + (["--rebuild"] if args.rebuild else [])
        built = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 - this script
        result["build"][name] = json.loads(built.stdout)
    dates = {"today": TODAY, "today-90": TODAY - timedelta(days=90)}
    for name, url in databases.items():
        result["ours"][name] = {label: _child("ours", url, day, args.repeat) for label, day in dates.items()}
    baseline_url = databases.get("sqlite", next(iter(databases.values())))
    result["pandas"] = {label: _child("pandas", baseline_url, day, args.repeat) for label, day in dates.items()}
    result["pandas_note"] = f"DataFrames read from {baseline_url.split('@')[-1]}"
    for name in databases:
        for label in dates:
            ours, baseline = result["ours"][name][label], result["pandas"][label]
            ours["ratio_to_pandas"] = round(ours["seconds"] / baseline["seconds"], 3)
            ours["cpu_ratio_to_pandas"] = round(ours["cpu_seconds"] / baseline["cpu_seconds"], 3)
            ours["totals_match_pandas"] = ours["totals"] == baseline["totals"]
            ours["seconds"] = round(ours["seconds"], 3)
    for label in dates:
        result["pandas"][label]["seconds"] = round(result["pandas"][label]["seconds"], 3)
    result["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
