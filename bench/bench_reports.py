"""Benchmark: the monthly report pack and one entity's monthly KPIs on PostgreSQL, against pandas.

    .venv/bin/python bench/bench_reports.py [--url postgresql://.../bench_reports] [--as-of 2026-10-31]
                                            [--repeat 3] [--skip-pack] [--cleared 2000000]

The large profile in its own database ``bench_reports`` (``BENCH_REPORTS_URL``): created and migrated
when missing, filled with the ledger of ``bench/bench_aging.py`` (same seed: a million open items,
about 1.2 million cleared ones, 2 % of the payments reversed and re-applied, three entities,
100,000 customers), then topped up by PostgreSQL itself with invoices paid in full over the last
12 months until ``--cleared`` (2,000,000) items are cleared. Both steps are skipped when done; the
measurements only read. KPI times come with the CPU seconds of this process and of its PostgreSQL
backend (read from /proc, so the machine's load shows as wall time above CPU time) and of the parallel
workers the backend starts (polled as ``bench_aging.py`` does; a slight underestimate).

1. KPIs of one entity (FR01) for one month (``--as-of``'s month): ``kpi_table`` — DSO simple and
   countback over 12 months, BPDSO, ADD, CEI, aging shares, days to pay and late, disputes,
   promises, cash. Best of ``--repeat``. Target: at most 2 s.
2. The monthly pack as of ``--as-of`` for every entity: 12 monthly KPI tables (trend), month-end
   agings, root causes, write-offs and the control checks, then its workbook and PDF written to a
   temporary folder (no archive row: the database stays untouched). Once. Target: at most 60 s.
3. The agings of step 1 both ways: the multi-date totals (one pass for both dates) against one
   aging per date (what the KPIs ran before), timed, and whether they agree to the cent.
4. Baseline: the same KPIs of step 1 in pandas over DataFrames of the entity's items and allocations
   (read once, load time reported apart): open amounts as of the month's start and end rebuilt from
   the allocations, credit sales per month, DSO simple and countback, CEI, average days to pay.
   Both answers are compared figure by figure; the JSON says whether they agree.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("BENCH_REPORTS_URL", "postgresql://postgres@127.0.0.1:5432/bench_reports")


def _django(url: str) -> None:
    os.environ["INCASSO_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incasso.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def top_up_history(cleared: int) -> dict:
    """Bring the cleared items up to ``cleared`` (the large profile: 2,000,000) with invoices paid in
    full by a payment each, issued over the 12 months before the data set's last month, written by
    PostgreSQL itself (invoice, payment and allocation per pair). Idempotent: adds only what is missing."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ledger_item WHERE open_amount = 0")
        (have,) = cursor.fetchone()
        pairs = max(0, (cleared - have + 1) // 2)
        if not pairs:
            return {"cleared_items": have, "added_pairs": 0}
        started = time.perf_counter()
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_item")
        (base,) = cursor.fetchone()
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_allocation")
        (base_allocation,) = cursor.fetchone()
        cursor.execute("SELECT MIN(id), MAX(id) FROM ledger_customer")
        low, high = cursor.fetchone()
        cursor.execute("SELECT setseed(0.2026)")
        cursor.execute(f"""
            CREATE TEMP TABLE topup AS
            SELECT n, {int(low)} + (random() * ({int(high)} - {int(low)}))::int AS customer_id,
                   DATE '2026-10-31' - (random() * 365)::int AS doc,
                   1 + (random() * 90)::int AS lag,
                   round((50 + random() * 19950)::numeric, 2) AS amount
            FROM generate_series(1, {int(pairs)}) AS n""")
        cursor.execute(f"""
            INSERT INTO ledger_item (id, entity_id, customer_id, kind, number, document_date, posting_date,
                due_date, currency, amount, open_amount, amount_entity, reference, external_id, text,
                last_activity_on, created_at)
            SELECT {int(base)} + 2 * t.n - 1, c.entity_id, c.id, 'invoice', 'HIN' || lpad(t.n::text, 9, '0'), t.doc,
                   NULL::date, t.doc + 30, c.currency, t.amount, 0, t.amount, '', '', '', LEAST(t.doc + t.lag, DATE
                   '2026-11-20'), now()
            FROM topup t JOIN ledger_customer c ON c.id = t.customer_id
            UNION ALL
            SELECT {int(base)} + 2 * t.n, c.entity_id, c.id, 'payment', 'HPA' || lpad(t.n::text, 9, '0'),
                   LEAST(t.doc + t.lag, DATE '2026-11-20'), NULL, LEAST(t.doc + t.lag, DATE '2026-11-20'), c.currency,
                   t.amount, 0, t.amount, '', '', '', LEAST(t.doc + t.lag, DATE '2026-11-20'), now()
            FROM topup t JOIN ledger_customer c ON c.id = t.customer_id""")
        cursor.execute(f"""
            INSERT INTO ledger_allocation (id, debit_item_id, credit_item_id, amount, currency, date, source, note,
                idempotency_key, created_by_id, created_at, reversed_on, reversed_by_id, reversal_reason)
            SELECT {int(base_allocation)} + t.n, {int(base)} + 2 * t.n - 1, {int(base)} + 2 * t.n, t.amount,
                   c.currency, LEAST(t.doc + t.lag, DATE '2026-11-20'), 'erp', '', NULL, NULL, now(),
                   NULL::date, NULL, ''
            FROM topup t JOIN ledger_customer c ON c.id = t.customer_id""")
        for table in ("ledger_item", "ledger_allocation"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        cursor.execute("DROP TABLE topup")
    connection.commit() if not connection.get_autocommit() else None
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ledger_item")
        cursor.execute("VACUUM ANALYZE ledger_allocation")
    return {"cleared_items": have + 2 * pairs, "added_pairs": pairs,
            "seconds": round(time.perf_counter() - started, 1)}


def _month(as_of: date) -> tuple[date, date]:
    return as_of.replace(day=1), as_of


def sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FILTER (WHERE open_amount <> 0), COUNT(*) FILTER (WHERE open_amount = 0),"
                       " MIN(document_date), MAX(document_date) FROM ledger_item")
        open_items, cleared, first, last = cursor.fetchone()
        cursor.execute("SELECT COUNT(*) FROM ledger_allocation")
        (allocations,) = cursor.fetchone()
        cursor.execute("SELECT COUNT(*) FROM ledger_customer")
        (customers,) = cursor.fetchone()
    return {"open_items": open_items, "cleared_items": cleared, "allocations": allocations,
            "customers": customers, "history": f"{first} to {last}"}


def _server_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend process (same machine; parallel workers,
    when the planner starts any, are separate processes and not counted)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _workers():  # type: ignore[no-untyped-def]
    """The parallel workers' CPU poller of ``bench_aging.py`` (a thread watching the backend's
    workers in ``pg_stat_activity`` and reading their CPU from /proc), for this connection."""
    from bench_aging import _ParallelWorkers
    from django.db import connection

    return _ParallelWorkers(connection)


def measure_kpis(entity_id: int, as_of: date, repeat: int) -> tuple[dict, dict]:
    from incasso.reports.kpis import KpiParams, kpi_table

    start, end = _month(as_of)
    params = KpiParams(start=start, end=end, by="entity", entity_ids=(entity_id,))
    seconds, client, server, workers_cpu = [], [], [], []
    workers = _workers()
    for _ in range(repeat):
        workers.start()
        started, cpu, backend = time.perf_counter(), time.process_time(), _server_cpu()
        table = kpi_table(params)
        seconds.append(time.perf_counter() - started)
        ended_cpu, ended_backend = time.process_time(), _server_cpu()
        worker_cpu, poller_cpu = workers.stop()
        client.append(ended_cpu - cpu - poller_cpu)
        server.append(ended_backend - backend)
        workers_cpu.append(worker_cpu)
    (row,) = table.rows
    figures = {
        "beginning_ar": row.inputs.beginning_ar, "ending_ar": row.inputs.ending_ar,
        "ending_current": row.inputs.ending_current, "credit_sales": row.inputs.credit_sales,
        "dso_simple": row.dso_simple.days.value, "dso_countback": row.dso_countback.days.value,
        "cei": row.cei.index.value, "invoices_paid": row.days_to_pay.count,
        "days_to_pay": row.days_to_pay.simple.value,
    }
    best = seconds.index(min(seconds))
    return ({"seconds": round(min(seconds), 3), "all_seconds": [round(s, 3) for s in seconds],
             "client_cpu_seconds": round(client[best], 3), "server_cpu_seconds": round(server[best], 3),
             "parallel_worker_cpu_seconds": round(workers_cpu[best], 3), "target_seconds": 2}, figures)


def measure_totals(entity_id: int, as_of: date) -> dict:
    """The KPIs' agings both ways, in the same run: the multi-date totals (one pass for the month's
    start and end, ``reports.kpis.totals``) against one aging per date (``reports.aging.aged_groups``
    by entity, what the KPIs ran before), with their CPU and whether they agree to the cent."""
    from incasso.core.aging import DEFAULT_BUCKETS
    from incasso.reports.aging import AgingScope, aged_groups
    from incasso.reports.kpis.compute import _reading
    from incasso.reports.kpis.totals import aging_totals

    start, end = _month(as_of)
    dates = [start - timedelta(days=1), end]

    def timed(work):  # type: ignore[no-untyped-def]
        started, cpu, backend = time.perf_counter(), time.process_time(), _server_cpu()
        with _reading():
            result = work()
        return result, {"seconds": round(time.perf_counter() - started, 3),
                        "client_cpu_seconds": round(time.process_time() - cpu, 3),
                        "server_cpu_seconds": round(_server_cpu() - backend, 3)}

    totals, ours = timed(lambda: aging_totals(dates, buckets=DEFAULT_BUCKETS, entity_ids=(entity_id,)))
    agings, per_date = timed(lambda: {day: aged_groups(day, "entity", "due_date", DEFAULT_BUCKETS,
                                                       AgingScope(entity_ids=(entity_id,)), {}) for day in dates})
    same = all({k: r.amounts for k, r in totals[day].items()}
               == {(key, row.currency): row.amounts for key, row in agings[day]} for day in dates)
    return {"dates": [d.isoformat() for d in dates], "multi_date_totals": ours, "one_aging_per_date": per_date,
            "same_amounts": same}


def measure_pack(as_of: date) -> dict:
    from incasso.reports.pack_files import write_pdf, write_xlsx
    from incasso.reports.packs import build_pack

    workers = _workers()
    workers.start()
    started, cpu, backend = time.perf_counter(), time.process_time(), _server_cpu()
    result = build_pack("monthly", as_of)
    built = time.perf_counter() - started
    built_cpu, built_server = time.process_time() - cpu, _server_cpu() - backend
    worker_cpu, poller_cpu = workers.stop()
    built_cpu -= poller_cpu
    with tempfile.TemporaryDirectory() as folder:
        write_xlsx(result, Path(folder) / "monthly.xlsx")
        write_pdf(result, Path(folder) / "monthly.pdf", generated_at=__import__("datetime").datetime.now(
            __import__("datetime").UTC))
    total = time.perf_counter() - started
    return {"seconds": round(total, 2), "build_seconds": round(built, 2),
            "build_client_cpu_seconds": round(built_cpu, 2),
            "build_server_cpu_seconds": round(built_server, 2),
            "build_parallel_worker_cpu_seconds": round(worker_cpu, 2), "files_seconds": round(total - built, 2),
            "target_seconds": 60,
            "controls_passed": result.passed,
            "checks": [f"{c.code} {c.currency} {c.difference}" for c in result.checks],
            "trend_rows": len(result.section("kpi_trend").rows)}


def measure_pandas(entity_id: int, as_of: date, repeat: int) -> tuple[dict, dict]:
    """The same KPIs, straightforwardly in pandas over the entity's items and all its allocations."""
    import numpy as np
    import pandas as pd
    from django.db import connection

    started, cpu = time.perf_counter(), time.process_time()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, kind, document_date, due_date, CAST(ROUND(amount * 100) AS BIGINT)"
                       " FROM ledger_item WHERE entity_id = %s", [entity_id])
        items = pd.DataFrame(cursor.fetchall(), columns=["id", "kind", "document_date", "due_date", "cents"])
        cursor.execute("SELECT a.debit_item_id, a.credit_item_id, CAST(ROUND(a.amount * 100) AS BIGINT), a.date,"
                       " a.reversed_on FROM ledger_allocation a JOIN ledger_item i"
                       " ON i.id = COALESCE(a.debit_item_id, a.credit_item_id) WHERE i.entity_id = %s", [entity_id])
        allocations = pd.DataFrame(cursor.fetchall(), columns=["debit", "credit", "cents", "date", "reversed_on"])
    for frame, column in ((items, "document_date"), (items, "due_date"), (allocations, "date"),
                          (allocations, "reversed_on")):
        frame[column] = pd.to_datetime(frame[column]).values.astype("datetime64[D]")
    load, load_cpu = time.perf_counter() - started, time.process_time() - cpu
    start, end = _month(as_of)
    seconds, cpus = [], []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        figures = _pandas_figures(items, allocations, start, end, np, pd)
        seconds.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
    return ({"seconds": round(min(seconds), 3), "all_seconds": [round(s, 3) for s in seconds],
             "cpu_seconds": round(min(cpus), 3), "load_seconds": round(load, 2),
             "load_client_cpu_seconds": round(load_cpu, 2), "items": len(items),
             "allocations": len(allocations)}, figures)


def _pandas_figures(items, allocations, start: date, end: date, np, pd) -> dict:  # type: ignore[no-untyped-def]
    credit = items["kind"].isin(["payment", "credit_note"])

    def open_as_of(day: date):  # type: ignore[no-untyped-def]
        d = np.datetime64(day, "D")
        live = allocations[(allocations["date"] <= d) & (allocations["reversed_on"].isna()
                                                         | (allocations["reversed_on"] > d))]
        applied = pd.concat([live[["debit", "cents"]].rename(columns={"debit": "id"}),
                             live[["credit", "cents"]].rename(columns={"credit": "id"})]).dropna()
        applied = applied.groupby("id")["cents"].sum()
        exists = items["document_date"] <= d
        open_cents = items["cents"] - items["id"].map(applied).fillna(0).astype("int64")
        signed = np.where(credit, -open_cents, open_cents)
        return exists, signed, live

    exists, signed, live = open_as_of(end)
    ending = int(signed[exists].sum())
    current = int(signed[exists & (items["due_date"] >= np.datetime64(end, "D"))].sum())
    before, signed_before, _ = open_as_of(start - timedelta(days=1))
    beginning = int(signed_before[before].sum())
    sales_kinds = items["kind"].isin(["invoice", "debit_note", "credit_note"])
    sales = items[sales_kinds].assign(signed=lambda f: np.where(f["kind"] == "credit_note", -f["cents"], f["cents"]))
    sales["month"] = sales["document_date"].values.astype("datetime64[M]")
    by_month = sales.groupby("month")["signed"].sum()
    months = [np.datetime64(f"{y:04d}-{m:02d}", "M") for y, m in _months(end)]
    month_sales = [int(by_month.get(m, 0)) for m in months]
    period_sales = int(sales[(sales["document_date"] >= np.datetime64(start, "D"))
                             & (sales["document_date"] <= np.datetime64(end, "D"))]["signed"].sum())
    days = (end - start).days + 1
    dso_simple = Decimal(ending) / Decimal(period_sales) * days if ending > 0 and period_sales > 0 else None
    remaining, countback = Decimal(ending), Decimal(0)
    for (y, m), amount in zip(reversed(_months(end)), reversed(month_sales), strict=True):
        month_days = __import__("calendar").monthrange(y, m)[1]
        if amount <= 0 or remaining >= amount:
            countback += month_days
            remaining -= max(amount, 0)
        else:
            countback += remaining / amount * month_days
            remaining = Decimal(0)
        if remaining <= 0:
            break
    collectible = beginning + period_sales - current
    cei = Decimal(beginning + period_sales - ending) / Decimal(collectible) * 100 if collectible else None
    paid = live[live["debit"].notna()].groupby("debit").agg(cents=("cents", "sum"), paid_on=("date", "max"))
    invoices = items[items["kind"] == "invoice"].set_index("id")
    joined = paid.join(invoices.rename(columns={"cents": "cents_item"}), how="inner")
    joined = joined[(joined["cents"] == joined["cents_item"]) & (joined["paid_on"] >= np.datetime64(start, "D"))]
    days_to_pay = (joined["paid_on"] - joined["document_date"]).dt.days
    cents = Decimal("0.01")
    return {
        "beginning_ar": Decimal(beginning) / 100, "ending_ar": Decimal(ending) / 100,
        "ending_current": Decimal(current) / 100, "credit_sales": Decimal(period_sales) / 100,
        "dso_simple": dso_simple.quantize(cents) if dso_simple is not None else None,
        "dso_countback": countback.quantize(cents), "cei": cei.quantize(cents) if cei is not None else None,
        "invoices_paid": len(days_to_pay),
        "days_to_pay": (Decimal(int(days_to_pay.sum())) / len(days_to_pay)).quantize(cents) if len(days_to_pay)
        else None,
    }


def _months(end: date) -> list[tuple[int, int]]:
    year, month, months = end.year, end.month, []
    for _ in range(12):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=PG_URL)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 10, 31))
    parser.add_argument("--entity", default="FR01")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pack", action="store_true")
    parser.add_argument("--cleared", type=int, default=2_000_000, help="cleared items of the large profile")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from common import ensure_database, ledger_counts

    ensure_database(args.url)
    if ledger_counts(args.url)[1] == 0:  # the open items and first history of bench_aging.py, same seed
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_aging.py"), "--measure", "build", "--url",
                        args.url], check=True, capture_output=True)  # noqa: S603 - our own script
    _django(args.url)
    from incasso.ledger.models import LegalEntity

    built = top_up_history(args.cleared)
    entity = LegalEntity.objects.filter(code=args.entity).first()
    if entity is None:
        raise SystemExit(f"{args.url}: no entity {args.entity}")
    result: dict = {"database": args.url.rsplit("/", 1)[-1], "as_of": args.as_of.isoformat(), "sizes": sizes(),
                    "history_top_up": built, "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    ours, our_figures = measure_kpis(entity.pk, args.as_of, args.repeat)
    baseline, pandas_figures = measure_pandas(entity.pk, args.as_of, args.repeat)
    result["kpis_one_entity_one_month"] = ours
    result["pandas_same_kpis"] = baseline
    result["ratio_ours_to_pandas_compute"] = round(ours["seconds"] / baseline["seconds"], 2)
    result["ratio_ours_to_pandas_load_and_compute"] = round(
        ours["seconds"] / (baseline["seconds"] + baseline["load_seconds"]), 2)
    result["figures"] = {k: str(v) for k, v in our_figures.items()}
    disagree = {k: {"ours": str(v), "pandas": str(pandas_figures[k])}
                for k, v in our_figures.items() if v != pandas_figures[k]}
    result["same_figures_as_pandas"] = not disagree
    if disagree:
        result["disagreements"] = disagree
    result["agings_of_the_kpis"] = measure_totals(entity.pk, args.as_of)
    if not args.skip_pack:
        result["monthly_pack"] = measure_pack(args.as_of)
    result["ratio_ours_cpu_to_pandas_compute_cpu"] = round(
        (ours["client_cpu_seconds"] + ours["server_cpu_seconds"]) / baseline["cpu_seconds"], 2)
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
