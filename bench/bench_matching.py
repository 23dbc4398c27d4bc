"""Cash application matching benchmark (pure, and with --database the PostgreSQL pipeline).

Quality: generate a demo-profile ledger and N business days of bank statements (temp dir), parse the
statements with the core parsers, match every credit line, and compare with bank_truth.csv, per
noise class, next to a simple baseline (exact invoice number in the text, or an amount equal to
exactly one open item of the entity). Throughput: a synthetic ledger of ``--items`` open items over
``--customers`` customers and ``--lines`` bank lines (fixed seed), matched in memory.

    .venv/bin/python bench/bench_matching.py [--days 20] [--seed 1] [--lines 100000] [--items 1000000]

``--database``: the whole pipeline on PostgreSQL: a ledger and one statement written by SQL into the
benchmark database, then ``incasso cashapp run`` as a child process (load, match, apply, audit), with
its wall time, its CPU, the PostgreSQL server's CPU and its peak RSS (target: 100,000 lines against
1,000,000 open items in 60 s).

    .venv/bin/python bench/bench_matching.py --database [--lines 100000 --items 1000000 --customers 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random

from incasso.core.bank.references import rf_check_digits
from incasso.core.matching import (
    BankLineRef,
    CustomerRef,
    MatchingIndex,
    MatchSettings,
    OpenItemRef,
    Proposal,
    ProposedAllocation,
    match_line,
)
from incasso.core.matching.evaluation import Report, load_bank, load_ledger, load_truth, score
from incasso.demo.generator import PROFILES, generate
from incasso.demo.generator.bank import generate_bank

AS_OF = date(2026, 11, 20)


def baseline(index: MatchingIndex):  # type: ignore[no-untyped-def]
    """Exact document number written in the text with the amount equal, else an amount equal to
    exactly one open item of the line's entity and currency; nothing else."""
    by_amount: dict[tuple[object, str, Decimal], list[OpenItemRef]] = defaultdict(list)
    for item in index.items.values():
        by_amount[(item.entity_id, item.currency, item.open_amount)].append(item)

    def propose(line: BankLineRef) -> Proposal:
        text = f"{line.structured_reference} {line.remittance_text} {' '.join(d[0] for d in line.remittance_documents)}"
        for token in re.findall(r"[A-Z]{1,4}\d{5,}", text.upper()):
            hits = [i for i in index.items_by_number(token) if i.currency == line.currency]
            if len(hits) == 1 and hits[0].open_amount == line.amount:
                item = hits[0]
                return Proposal(line.line_id, item.customer_id, (ProposedAllocation(item.item_id, item.open_amount),),
                                Decimal(1), "exact number", Decimal(0), "none", "baseline_number")
        same = by_amount.get((line.entity_id, line.currency, line.amount), [])
        if len(same) == 1:
            item = same[0]
            return Proposal(line.line_id, item.customer_id, (ProposedAllocation(item.item_id, item.open_amount),),
                            Decimal(1), "unique amount", Decimal(0), "none", "baseline_amount")
        return Proposal(line.line_id, None, (), Decimal(0), "", line.amount, "unidentified", "unidentified")

    return propose


def quality(days: int, seed: int) -> tuple[dict, Report, Report]:
    settings = MatchSettings()
    with tempfile.TemporaryDirectory(prefix="bench_matching_") as tmp:
        out = Path(tmp)
        generate(PROFILES["demo"], out, seed=seed, as_of=AS_OF)
        generate_bank(out, seed=seed, as_of=AS_OF, days=days)
        customers, items = load_ledger(out)
        started = time.perf_counter()
        lines = load_bank(out)
        parse_seconds = time.perf_counter() - started
        index = MatchingIndex.build(customers, items)
        truth = load_truth(out)
        started = time.perf_counter()
        engine = score(lines, truth, lambda line: match_line(line, index, settings, AS_OF), settings)
        match_seconds = time.perf_counter() - started
        simple = score(lines, truth, baseline(index), settings)
    meta = {"days": days, "seed": seed, "lines": len(lines), "open_items": len(items), "customers": len(customers),
            "parse_seconds": round(parse_seconds, 3), "match_seconds": round(match_seconds, 3)}
    return meta, engine, simple


def synthetic(customers: int, items: int, lines: int, seed: int) -> tuple[list[CustomerRef], list[OpenItemRef],
                                                                          list[BankLineRef]]:
    rng = Random(seed)
    entities = ("FR01", "ES01", "DE01", "IT01", "RO01", "GB01")
    prefixes = {"FR01": "FA", "ES01": "FV", "DE01": "RE", "IT01": "FT", "RO01": "FCT", "GB01": "INV"}
    words = ("Transports", "Logistik", "Costruzioni", "Trading", "Durand", "Müller", "Rossi", "Popescu", "García",
             "Smith", "Bau", "Distribuciones", "Meccanica", "Agro", "Foods", "Print")
    refs = []
    for n in range(customers):
        entity = entities[n % 6]
        name = f"{rng.choice(words)} {rng.choice(words)} {n} SRL"
        refs.append(CustomerRef(n, entity, None, str(100000 + n), name, (f"XX{n:020d}",), "EUR"))
    item_refs = []
    counters = dict.fromkeys(entities, 0)
    day0 = AS_OF.toordinal()
    for n in range(items):
        customer = refs[int(rng.random() * customers)]
        counters[customer.entity_id] += 1
        document = date.fromordinal(day0 - 20 - int(rng.random() * 300))
        item_refs.append(OpenItemRef(n, customer.customer_id, customer.entity_id, None, "invoice",
                                     f"{prefixes[customer.entity_id]}{counters[customer.entity_id]:08d}", "", "EUR",
                                     Decimal(int(rng.random() * 5_000_000) + 100) / 100, document,
                                     document + timedelta(days=30), 30))
    line_refs = []
    for n in range(lines):
        item = item_refs[int(rng.random() * items)]
        customer = refs[item.customer_id]  # type: ignore[index]
        roll = rng.random()
        structured = text = ""
        if roll < 0.6:
            text = f"Payment invoice {item.number}"
        elif roll < 0.75:
            structured = f"RF{rf_check_digits(item.number)}{item.number}"
        elif roll < 0.9:
            text = f"Facture {int(item.number.lstrip('ABCDEFGHIJKLMNOPQRSTUVWXYZ'))}"
        else:
            text = "Virement"
        line_refs.append(BankLineRef(f"L{n}", item.entity_id, item.open_amount, "EUR", AS_OF, AS_OF, customer.name,
                                     customer.ibans[0], structured, text, ()))
    return refs, item_refs, line_refs


def throughput(customers: int, items: int, lines: int, seed: int) -> dict:
    started = time.perf_counter()
    customer_refs, item_refs, line_refs = synthetic(customers, items, lines, seed)
    build_data = time.perf_counter() - started
    started = time.perf_counter()
    index = MatchingIndex.build(customer_refs, item_refs)
    build_index = time.perf_counter() - started
    settings = MatchSettings()
    started = time.perf_counter()
    auto = sum(match_line(line, index, settings, AS_OF).is_auto(settings) for line in line_refs)
    match_seconds = time.perf_counter() - started
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"customers": customers, "open_items": items, "lines": lines, "synthetic_data_seconds": round(build_data, 2),
            "index_build_seconds": round(build_index, 2), "match_seconds": round(match_seconds, 2),
            "lines_per_second": round(lines / match_seconds), "auto_applied_share": round(auto / lines, 4),
            "peak_rss_mb": round(rss_kb / 1024)}


# --- Database pipeline: `incasso cashapp run` on PostgreSQL -------------------------------------------------

PG_URL = os.environ.get("INCASSO_BENCH_URL", "postgresql://postgres@127.0.0.1:5432/bench_matching")
DB_AS_OF = date(2026, 3, 31)


def build_database(url: str, customers: int, items: int, lines: int) -> float:
    """A ledger of ``items`` open invoices over ``customers`` customers (each with an IBAN) and one
    statement of ``lines`` bank credits, each paying one invoice in full: the payer's IBAN and the
    invoice number in the text (the common case the run must apply automatically), written by SQL."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        for table in ("cashapp_remittanceadvice", "cashapp_deduction", "cashapp_writeoff", "cashapp_matchproposal",
                      "cashapp_bankline", "cashapp_bankaccountstatement", "cashapp_bankfile", "cashapp_cashsettings",
                      "cashapp_bankfilemapping", "ledger_allocation", "ledger_item", "ledger_customeriban",
                      "ledger_contact", "ledger_customer", "ledger_entitybankaccount", "ledger_legalentity",
                      "audit_auditevent"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("SELECT setseed(0.2026)")
        entity = conn.execute("""
            INSERT INTO ledger_legalentity (code, name, country, currency, timezone, language, address, vat_id,
                                            registration, phone, email, website)
            VALUES ('FR01', 'Incasso France SAS', 'FR', 'EUR', 'Europe/Paris', 'fr', '', '', '', '', '', '')
            RETURNING id""").fetchone()[0]
        conn.execute("""INSERT INTO ledger_entitybankaccount (entity_id, iban, bic, bank_name, currency)
                        VALUES (%s, 'FR7630006000011234567890189', '', '', 'EUR')""", (entity,))
        conn.execute("""
            INSERT INTO ledger_customer (entity_id, account, name, country, language, currency, payment_terms_days,
                credit_limit, risk_class, segment, collector_id, vat_id, email, phone, dunning_block,
                dunning_block_reason, legal, insolvency, created_at, updated_at)
            SELECT %(entity)s, 'C' || lpad(n::text, 7, '0'), 'Customer ' || n || ' SA', 'FR', 'fr', 'EUR', 30, 0,
                   'low', '', NULL, '', '', '', false, '', false, false, now(), now()
            FROM generate_series(1, %(customers)s) AS n""", {"entity": entity, "customers": customers})
        conn.execute("""INSERT INTO ledger_customeriban (customer_id, iban, source)
                        SELECT id, 'FR76' || lpad(id::text, 23, '0'), 'erp' FROM ledger_customer""")
        first = conn.execute("SELECT min(id) FROM ledger_customer").fetchone()[0]
        conn.execute("""
            INSERT INTO ledger_item (entity_id, customer_id, kind, number, document_date, posting_date, due_date,
                currency, amount, open_amount, amount_entity, reference, external_id, text, last_activity_on,
                created_at)
            SELECT %(entity)s, %(first)s + (n %% %(customers)s), 'invoice', 'INV' || lpad(n::text, 8, '0'),
                   g.due - 30, NULL, g.due, 'EUR', g.amount, g.amount, g.amount, '', '', '', NULL, now()
            FROM (SELECT n, %(today)s::date - (random() * 200)::int AS due,
                         round((50 + random() * 19950)::numeric, 2) AS amount
                  FROM generate_series(1, %(items)s) AS n) g""",
                     {"entity": entity, "first": first, "customers": customers, "items": items,
                      "today": DB_AS_OF.isoformat()})
        bank_file = conn.execute("""INSERT INTO cashapp_bankfile (file_name, sha256, size, imported_at, report)
                                    VALUES ('bench.xml', md5(random()::text) || md5(random()::text), 0, now(), '{}')
                                    RETURNING id""").fetchone()[0]
        conn.execute("""
            INSERT INTO cashapp_bankaccountstatement (file_id, format, account, bank_account_id, entity_id, currency,
                statement_id, position, opening_balance, closing_balance, balance_ok, warning_text, line_count,
                duplicate_count, imported_at)
            SELECT %s, 'camt.053', iban, id, entity_id, 'EUR', 'BENCH', '', NULL, NULL, NULL, '', %s, 0, now()
            FROM ledger_entitybankaccount RETURNING id""", (bank_file, lines)).fetchone()[0]
        conn.commit()
    statement_lines(url, lines)
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("ledger_item", "ledger_customer", "ledger_customeriban", "cashapp_bankline"):
            conn.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def statement_lines(url: str, lines: int) -> float:
    """Undo what earlier runs did (payments, allocations, proposals, events; the invoices open again) and
    write a fresh set of ``lines`` bank credits into the statement: a second size without a new ledger."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        for table in ("cashapp_remittanceadvice", "cashapp_deduction", "cashapp_writeoff", "cashapp_matchproposal",
                      "cashapp_bankline", "ledger_allocation", "audit_auditevent"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM ledger_item WHERE kind <> 'invoice'")
        conn.execute("UPDATE ledger_item SET open_amount = amount, last_activity_on = NULL "
                     "WHERE open_amount <> amount OR last_activity_on IS NOT NULL")
        statement = conn.execute("SELECT id FROM cashapp_bankaccountstatement").fetchone()[0]
        conn.execute("UPDATE cashapp_bankaccountstatement SET line_count = %s", (lines,))
        # every line pays one invoice: a random sample of distinct invoices
        conn.execute("""
            INSERT INTO cashapp_bankline (statement_id, entity_id, position, sequence, booking_date, value_date,
                amount, sign, currency, bank_reference, end_to_end_id, bank_transaction_code, counterparty_name,
                counterparty_iban, structured_reference, reference_kind, remittance_text, remittance_documents,
                dedupe_key, occurrence, state, application)
            SELECT %(statement)s, i.entity_id, 'entry ' || row_number() OVER (), row_number() OVER (),
                   %(today)s::date, %(today)s::date, i.open_amount, 'CRDT', 'EUR', 'B' || i.id, '', '', c.name,
                   ci.iban, '', '', 'Paiement facture ' || i.number, '[]', 'ref:bench' || i.id, 1, 'unmatched', ''
            FROM (SELECT * FROM ledger_item ORDER BY random() LIMIT %(lines)s) i
            JOIN ledger_customer c ON c.id = i.customer_id
            JOIN ledger_customeriban ci ON ci.customer_id = c.id""",
                     {"statement": statement, "today": DB_AS_OF.isoformat(), "lines": lines})
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("ledger_item", "ledger_allocation", "cashapp_bankline", "cashapp_matchproposal",
                      "audit_auditevent"):
            conn.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


class ServerCpu:
    """CPU seconds of the PostgreSQL backends serving ``url`` other than our own, sampled every half second
    from /proc while the run goes (the server runs on this machine; a backend's last half second is lost)."""

    def __init__(self, url: str) -> None:
        import threading

        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self.stop.is_set():
            pids = [r[0] for r in self.conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
            for pid in pids:
                try:
                    with open(f"/proc/{pid}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.seen[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            self.stop.wait(0.5)

    def __enter__(self) -> ServerCpu:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.conn.close()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def database_pipeline(customers: int, items: int, lines: int, rebuild: bool) -> dict:
    """``incasso cashapp run`` as a child process: wall, its CPU, the server's CPU, peak RSS, counts."""
    import psycopg
    from common import BIN, ensure_database, env

    url = PG_URL
    ensure_database(url)
    with psycopg.connect(url) as conn:
        present = conn.execute("SELECT count(*) FROM cashapp_bankline WHERE state = 'unmatched'").fetchone()[0]
        invoices = conn.execute("SELECT count(*) FROM ledger_item WHERE kind = 'invoice'").fetchone()[0]
        accounts = conn.execute("SELECT count(*) FROM ledger_customer").fetchone()[0]
    result: dict = {"database": "postgresql", "customers": customers, "open_items": items, "lines": lines}
    if rebuild or invoices != items or accounts != customers:
        result["data_seconds"] = round(build_database(url, customers, items, lines), 1)
    elif present != lines:  # the same ledger: only the statement and what earlier runs applied are redone
        result["data_seconds"] = round(statement_lines(url, lines), 1)
    with psycopg.connect(url, autocommit=True) as conn:
        # the reset's own writes are flushed before the clock starts: otherwise a checkpoint they
        # trigger lands in some runs and not others (each reset writes about 1 GB of WAL)
        conn.execute("CHECKPOINT")
    load_before = os.getloadavg()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with ServerCpu(url) as server:
        proc = subprocess.run([str(BIN / "incasso"), "cashapp", "run", "--as-of", DB_AS_OF.isoformat()],
                              env=env(url), capture_output=True, text=True)
    wall = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(proc.returncode)
    with psycopg.connect(url) as conn:
        states = dict(conn.execute("SELECT state, count(*) FROM cashapp_bankline GROUP BY state").fetchall())
    result.update({
        "run_summary": proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else "",
        "wall_seconds": round(wall, 1),
        "client_cpu_seconds": round(children.ru_utime + children.ru_stime
                                    - children_before.ru_utime - children_before.ru_stime, 1),
        "server_cpu_seconds": round(server.seconds, 1),
        "peak_rss_mb": round(children.ru_maxrss / 1024),
        "line_states": states, "lines_per_second": round(lines / wall),
        "target_seconds": 60, "load_average_before": load_before, "load_average_after": os.getloadavg(),
    })
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--database", action="store_true",
                        help="only the database pipeline: `incasso cashapp run` on PostgreSQL (INCASSO_BENCH_URL, "
                             "default bench_matching) over --lines bank lines and --items open items")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark database's data")
    args = parser.parse_args(argv)
    if args.database:
        report = database_pipeline(args.customers, args.items, args.lines, args.rebuild)
        print(f"Database pipeline: {report['lines']:,} lines against {report['open_items']:,} open items: "
              f"wall {report['wall_seconds']} s (target 60 s), client CPU {report['client_cpu_seconds']} s, "
              f"server CPU {report['server_cpu_seconds']} s, peak RSS {report['peak_rss_mb']} MB; "
              f"{report['run_summary']}")
        print(json.dumps(report, indent=2, default=str))
        return 0 if report["wall_seconds"] <= 60 else 1

    meta, engine, simple = quality(args.days, args.seed)
    result: dict = {"quality": {**meta, "engine": engine.overall.as_dict(), "baseline": simple.overall.as_dict(),
                                "by_class": {k: {"engine": v.as_dict(), "baseline": simple.by_class[k].as_dict()}
                                             for k, v in sorted(engine.by_class.items())},
                                "stages": dict(sorted(engine.by_stage.items())),
                                "auto_applied_errors": engine.errors[:20]}}
    print(f"Quality: {meta['lines']} lines over {args.days} business days, demo profile seed {args.seed}")
    print(f"{'noise class':<20}{'lines':>6}  {'precision':>9} {'auto':>7} {'top-1':>7}  | baseline "
          f"{'precision':>9} {'auto':>7}")
    rows = sorted(engine.by_class.items()) + [("OVERALL", engine.overall)]
    for name, bucket in rows:
        e = bucket.as_dict()
        b = (simple.overall if name == "OVERALL" else simple.by_class[name]).as_dict()
        print(f"{name:<20}{e['lines']:>6}  {e['precision']:>9.2%} {e['auto_share']:>7.1%} {e['top1_accuracy']:>7.1%}"
              f"  |          {b['precision']:>9.2%} {b['auto_share']:>7.1%}")
    targets = engine.overall.precision >= 0.995 and engine.overall.auto_lines / engine.overall.lines >= 0.9
    print(f"targets (precision >= 99.5 %, auto share >= 90 %): {'met' if targets else 'NOT met'}")
    if not args.skip_throughput:
        result["throughput"] = throughput(args.customers, args.items, args.lines, args.seed)
        t = result["throughput"]
        print(f"Throughput: {t['lines']:,} lines against {t['open_items']:,} open items / {t['customers']:,} "
              f"customers: index {t['index_build_seconds']} s, matching {t['match_seconds']} s "
              f"({t['lines_per_second']:,} lines/s), peak RSS {t['peak_rss_mb']} MB")
    print(json.dumps(result, indent=2, default=str))
    return 0 if targets else 1


if __name__ == "__main__":
    sys.exit(main())
