"""Benchmark: a dunning proposal over 100,000 customers / 1,000,000 open items on PostgreSQL, PDF
letters rendered per second on 2 cores, and letter e-mails sent per second to a local SMTP server.

    .venv/bin/python bench/bench_dunning.py [--customers 100000] [--items 1000000] [--rebuild]
                                            [--pdfs 40] [--emails 200] [--quick]

1. Builds (or reuses, when the counts match) the PostgreSQL database ``bench_dunning`` after
   ``incasso migrate``: three entities (FR, RO, DE) with bank accounts, the customers (one in 50
   blocked, 95 % with a reminders contact, one in 20 of those without e-mail), ``--items`` open
   items (90 % invoices due from 200 days ago to 60 days ahead, a fifth partly paid; 10 % payments),
   and a level-1 history for a tenth of the invoices. Rows are generated inside PostgreSQL with
   ``INSERT ... SELECT generate_series`` and a fixed ``setseed``.
2. Times ``propose_run(as_of)`` for all entities in a fresh process -- target 30 s.
3. Renders ``--pdfs`` letters of that run to PDF with WeasyPrint in 2 worker processes: PDFs/s.
4. Sends ``--emails`` letter e-mails (HTML + the PDF attached) over one SMTP connection to an aiosmtpd
   server on loopback started by this script: e-mails/s.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from common import ensure_database, env, free_port, insert_open_items, ledger_counts

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_dunning")
TODAY = date(2026, 11, 20)








def build_data(url: str, customers: int, items: int) -> float:
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        for table in ("dunning_itemlevel", "dunning_letterline", "dunning_runexception", "dunning_letter",
                      "dunning_run", "dunning_level", "dunning_procedure", "ledger_contact", "ledger_allocation",
                      "ledger_item", "ledger_customer", "ledger_entitybankaccount", "ledger_legalentity"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("SELECT setseed(0.2026)")
        conn.execute("""
            INSERT INTO ledger_legalentity (code, name, country, currency, timezone, language, address, vat_id,
                                            registration, phone, email, website)
            VALUES ('FR01', 'Incasso France SAS', 'FR', 'EUR', 'Europe/Paris', 'fr', '1 rue de la Paix, Paris',
                    'FR12345678901', '', '', 'credit@incasso.fr', ''),
                   ('RO01', 'Incasso Romania SRL', 'RO', 'RON', 'Europe/Bucharest', 'ro', 'Bd. Unirii 1, București',
                    'RO1234567', '', '', 'credit@incasso.ro', ''),
                   ('DE01', 'Incasso Deutschland GmbH', 'DE', 'EUR', 'Europe/Berlin', 'de',
                    'Unter den Linden 1, Berlin', 'DE123456789', '', '', 'credit@incasso.de', '')
        """)
        conn.execute("""
            INSERT INTO ledger_entitybankaccount (entity_id, iban, bic, bank_name, currency)
            SELECT id, CASE code WHEN 'FR01' THEN 'FR7630006000011234567890189' WHEN 'RO01'
                   THEN 'RO49AAAA1B31007593840000' ELSE 'DE89370400440532013000' END, '', '', currency
            FROM ledger_legalentity
        """)
        entities = [r[0] for r in conn.execute("SELECT id FROM ledger_legalentity ORDER BY code").fetchall()]
        conn.execute("""
            INSERT INTO ledger_customer (entity_id, account, name, country, language, currency, payment_terms_days,
                credit_limit, risk_class, segment, collector_id, vat_id, email, phone, dunning_block,
                dunning_block_reason, legal, insolvency, created_at, updated_at)
            SELECT (%(entities)s::bigint[])[1 + n %% 3], 'C' || lpad(n::text, 7, '0'), 'Customer ' || n || ' SA',
                   (ARRAY['DE','FR','RO'])[1 + n %% 3], (ARRAY['de','fr','ro'])[1 + n %% 3],
                   (ARRAY['EUR','EUR','RON'])[1 + n %% 3], 30, 0, 'low', '', NULL, '', '', '',
                   n %% 50 = 0, CASE WHEN n %% 50 = 0 THEN 'bench block' ELSE '' END, false, false, now(), now()
            FROM generate_series(1, %(customers)s) AS n
        """, {"entities": entities, "customers": customers})
        conn.execute("""
            INSERT INTO ledger_contact (customer_id, purpose, name, email, phone, language)
            SELECT id, 'reminders', '', CASE WHEN id % 20 = 0 THEN '' ELSE 'ap' || id || '@example.com' END, '',
                   language
            FROM ledger_customer WHERE id % 19 <> 0
        """)
        insert_open_items(conn, customers, items, TODAY.isoformat())
        conn.commit()
    # A level-1 history for a tenth of the overdue invoices, from an earlier (sent) run.
    setup = (
        "from datetime import date\n"
        "from incasso.audit.events import Actor\n"
        "from incasso.dunning.actions.procedures import seed_procedure\n"
        "from incasso.ledger.models import LegalEntity\n"
        "for e in LegalEntity.objects.all(): seed_procedure(e, by=Actor(None, 'bench'))\n"
    )
    subprocess.run([str(BIN / "incasso"), "shell", "-c", setup], env=env(url), check=True)
    with psycopg.connect(url) as conn:
        conn.execute("""
            INSERT INTO dunning_run (as_of, entity_codes, segments, status, four_eyes, proposed_at)
            VALUES (%(d)s::date - 30, '[]', '[]', 'sent', true, now())
        """, {"d": TODAY.isoformat()})
        conn.execute("""
            INSERT INTO dunning_letter (run_id, customer_id, currency, level, tone, channel, language, email,
                idempotency_key, status, reasons, fee, items_total, interest_total, compensation_total, total,
                payment_reference, review_note, subject, html, message_id, status_note)
            SELECT r.id, c.id, c.currency, 1, 'polite', 'email', c.language, '', 'bench:' || c.id, 'sent', '[]',
                   0, 0, 0, 0, 0, '', '', '', '', '', ''
            FROM ledger_customer c, (SELECT max(id) AS id FROM dunning_run) r WHERE c.id % 10 = 0
        """)
        conn.execute("""
            INSERT INTO dunning_itemlevel (item_id, level, reached_on, letter_id)
            SELECT i.id, 1, %(d)s::date - 30, l.id
            FROM ledger_item i JOIN dunning_letter l ON l.customer_id = i.customer_id
            WHERE i.kind = 'invoice' AND i.due_date < %(d)s::date - 40
        """, {"d": TODAY.isoformat()})
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


PROPOSE = """
import json, os, time
from datetime import date
from django.db import connection
from incasso.audit.events import Actor
from incasso.dunning.actions.proposal import propose_run
from incasso.dunning.models import Run

def backend_cpu():
    # utime + stime of this connection's PostgreSQL backend (the server runs on this machine)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

Run.objects.filter(status="proposed").delete()
load = os.getloadavg()[0]
server, client = backend_cpu(), time.process_time()
started = time.perf_counter()
run = propose_run(date.fromisoformat({today!r}), by=Actor(None, "bench"))
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": round(seconds, 2), "client_cpu_seconds": round(time.process_time() - client, 2),
                  "server_cpu_seconds": round(backend_cpu() - server, 2), "load_average_before": round(load, 2),
                  "run": run.pk, "letters": run.letters.count(),
                  "lines": sum(1 for _ in run.letters.values_list("lines").iterator()),
                  "exceptions": run.exceptions.count()}}))
"""

LETTERS = """
import json, time, sys
from concurrent.futures import ProcessPoolExecutor
from incasso.dunning.models import Letter
from incasso.dunning.letters.render import render_letter, pdf_of

run_id, pdfs, emails, port = {run}, {pdfs}, {emails}, {port}
letters = list(Letter.objects.filter(run_id=run_id).select_related("run", "customer__entity", "contact")
               .prefetch_related("lines__item", "customer__entity__bank_accounts").order_by("id")[:max(pdfs, 20)])
started = time.perf_counter()
htmls = [render_letter(letter).html for letter in letters[:pdfs]]
html_seconds = time.perf_counter() - started
started = time.perf_counter()
with ProcessPoolExecutor(2) as pool:
    pdf_sizes = [len(p) for p in pool.map(pdf_of, htmls)]
pdf_seconds = time.perf_counter() - started

from aiosmtpd.controller import Controller
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend

class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"

controller = Controller(Count(), hostname="127.0.0.1", port=port)
controller.start()
pdf = pdf_of(htmls[0])
connection = EmailBackend(host="127.0.0.1", port=port, use_tls=False, username="", password="")
connection.open()
started = time.perf_counter()
for n in range(emails):
    letter = letters[n % len(letters)]
    message = EmailMultiAlternatives("Payment reminder", "text", "credit@incasso.example", [f"ap{{n}}@example.com"],
                                     connection=connection)
    message.attach_alternative(htmls[n % len(htmls)], "text/html")
    message.attach("letter.pdf", pdf, "application/pdf")
    message.send()
email_seconds = time.perf_counter() - started
connection.close()
controller.stop()
print(json.dumps({{"pdfs": len(pdf_sizes), "pdf_seconds": round(pdf_seconds, 2),
                  "pdfs_per_second": round(len(pdf_sizes) / pdf_seconds, 2),
                  "html_per_second": round(len(htmls) / html_seconds, 1),
                  "avg_pdf_kb": round(sum(pdf_sizes) / len(pdf_sizes) / 1024, 1),
                  "emails": Count.n, "email_seconds": round(email_seconds, 2),
                  "emails_per_second": round(Count.n / email_seconds, 1)}}))
"""




def _shell(url: str, code: str) -> dict:
    proc = subprocess.run([str(BIN / "incasso"), "shell", "-c", code], env=env(url), capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit(proc.returncode)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--pdfs", type=int, default=40)
    parser.add_argument("--emails", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="5,000 customers, 50,000 items")
    args = parser.parse_args()
    url = PG_URL
    if args.quick:
        args.customers, args.items, args.rebuild, url = 5000, 50000, True, PG_URL + "_quick"
    ensure_database(url)
    report: dict = {"database": "postgresql", "cores": os.cpu_count(), "load_average": os.getloadavg()}
    if args.rebuild or ledger_counts(url)[0] != args.customers:
        report["data_seconds"] = round(build_data(url, args.customers, args.items), 1)
    report["customers"], report["open_items"] = ledger_counts(url)
    started = time.process_time()
    report["proposal"] = _shell(url, PROPOSE.format(today=TODAY.isoformat()))
    report["proposal_target_seconds"] = 30
    report["letters"] = _shell(url, LETTERS.format(run=report["proposal"]["run"], pdfs=args.pdfs,
                                                   emails=args.emails, port=free_port()))
    report["bench_cpu_seconds"] = round(time.process_time() - started, 2)
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
